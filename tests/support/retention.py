"""Small builders shared by the retention tests (no tests here): messages and findings inserted
straight into the warehouse with the DDL's columns, and policies written from text."""
from __future__ import annotations

import hashlib
import textwrap
import zipfile
from datetime import date, datetime, time

import pyarrow.parquet as pq
from conftest import zip_bytes  # noqa: F401 - re-exported to the retention tests

from o3_governance.storage import warehouse

FINDINGS_DDL = ('CREATE TABLE IF NOT EXISTS findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, '
                '"end" INTEGER, score DOUBLE, recognizer VARCHAR)')


def chat_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def add_message(con, mid: str, *, chat: str = "Werf Leuven", day: date = date(2024, 1, 10),
                at: time = time(12, 0), mtype: str = "text", body: str = "Goeiemorgen", author: str | None = "Ann Peeters",
                phone: str | None = None, source_format: str = "android", language: str = "nl",
                attachment: str | None = None, media_sha256: str | None = None) -> str:
    local = datetime.combine(day, at)
    con.execute(
        "INSERT INTO messages (message_id, archive_id, chat_id, chat_name, source_format, sent_at, sent_local, local_date, "
        "month, author, author_phone, message_type, body, attachment, media_sha256, edited, language, line_no) "
        "VALUES (?, 'arch1', ?, ?, ?, timezone('Europe/Brussels', ?::TIMESTAMP), ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, 1)",
        [mid, chat_id(chat), chat, source_format, local, local, day, f"{day:%Y-%m}", author, phone, mtype, body,
         attachment, media_sha256, language])
    return mid


def add_finding(con, mid: str, entity_type: str, start: int = 0, end: int = 4, score: float = 0.9) -> None:
    con.execute(FINDINGS_DDL)
    con.execute("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) VALUES (?, ?, ?, ?, ?, 'test')", [mid, entity_type, start, end, score])


def write_policy(path, text: str):
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def open_wh(layout):
    return warehouse.connect(layout.warehouse)


SIMPLE_POLICY = """
timezone: Europe/Brussels
rules:
  - name: sensitive
    match: {special_category: true}
    retain_days: 30
    action: anonymise
  - name: system
    match: {message_type: [system, deleted]}
    retain_days: 90
    action: delete
  - name: media
    match: {message_type: [media]}
    retain_days: 365
    action: delete
  - name: default
    retain_days: 730
    action: delete
"""


def _decoded_blobs(path):
    """The file's bytes plus, for compressed containers, their decoded contents."""
    data = path.read_bytes()
    yield data
    if path.suffix == ".parquet":
        for col in pq.ParquetFile(path).read().columns:
            for v in col.to_pylist():
                if isinstance(v, str):
                    yield v.encode("utf-8")
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                yield zf.read(name)


def holders(root, needle: str) -> list[str]:
    """Every file under the data folder whose bytes (or decoded contents) hold the text."""
    raw = needle.encode("utf-8")
    found = []
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        if any(raw in blob for blob in _decoded_blobs(f)):
            found.append(str(f.relative_to(root)))
    return found
