"""The register of attachments: one row per file content (``media_sha256``) with its kind, status and
reason, and which scan configuration read it (``scanned_with``). ``scan_media`` reads the files that
are due — never registered, or registered under another configuration — with two processes, hands
each ``Extraction`` to a callback (the scanner above this layer), and returns them without their text.

A file is read once per content and configuration, however many messages carry it."""
from __future__ import annotations

import hashlib
import importlib.metadata
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import duckdb

from o3_governance.attachments import ocr
from o3_governance.attachments.limits import DEFAULT_LIMITS, Limits
from o3_governance.storage.catalog import table_exists
from o3_governance.storage.layout import DataLayout
from o3_governance.storage.restrictions import exclusion_sql
from o3_governance.vocabulary import ATTACHMENT_TERMS, ATTACHMENTS, MESSAGES

if TYPE_CHECKING:  # the extractors (Pillow, OpenCV, the document readers) load when a file is read:
    from o3_governance.attachments import extract  # a night with no file due does not pay their import

ATTACHMENTS_DDL = f"""
CREATE TABLE IF NOT EXISTS {ATTACHMENTS} (
    media_sha256  VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,   -- image / document / audio / video / contact / other
    mime          VARCHAR NOT NULL,
    bytes         BIGINT NOT NULL,
    status        VARCHAR NOT NULL,   -- scanned / unsupported / failed / too_large
    reason        VARCHAR,            -- one line, never content
    pages         INTEGER,
    ocr           BOOLEAN NOT NULL DEFAULT false,
    faces         INTEGER NOT NULL DEFAULT 0,
    gps           BOOLEAN NOT NULL DEFAULT false,
    scanned_with  VARCHAR NOT NULL,   -- the scan configuration (scanner + extractors + document terms)
    scanned_at    TIMESTAMPTZ NOT NULL
)
"""
ATTACHMENT_TERMS_DDL = f"""
CREATE TABLE IF NOT EXISTS {ATTACHMENT_TERMS} (
    media_sha256  VARCHAR NOT NULL,
    term          VARCHAR NOT NULL    -- one of the policy's document_terms, lower case
)
"""
PACKAGE_DIR = Path(__file__).resolve().parent
_LIBRARIES = ("pypdf", "python-docx", "openpyxl", "pillow", "pillow-heif", "opencv-python-headless")
PARALLEL_MIN = 8   # files: below this, starting processes costs more than it saves


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ATTACHMENTS_DDL)
    con.execute(ATTACHMENT_TERMS_DDL)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def extractor_config(limits: Limits = DEFAULT_LIMITS) -> str:
    """What an extraction depends on: this package's code, the libraries, Tesseract and the limits.
    A change makes every file due again."""
    h = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for dist in _LIBRARIES:
        h.update(f"{dist}=={_version(dist)}\n".encode())
    h.update(ocr.tesseract_version().encode() + b"\n")
    h.update(repr(asdict(limits)).encode())
    return h.hexdigest()[:16]


def carried_files(con: duckdb.DuckDBPyConnection) -> str:
    """SQL: the distinct files that messages not restricted (Art. 18: stored only) carry."""
    return (f"SELECT DISTINCT m.media_sha256 FROM {MESSAGES} m WHERE m.media_sha256 IS NOT NULL "
            f"AND {exclusion_sql(con, 'm.message_id')}")


def due_files(con: duckdb.DuckDBPyConnection, scanned_with: str) -> list[str]:
    """Files carried by messages that are not registered under ``scanned_with``."""
    if not table_exists(con, ATTACHMENTS):
        return [r[0] for r in con.execute(carried_files(con) + " ORDER BY 1").fetchall()]
    return [r[0] for r in con.execute(
        f"SELECT c.media_sha256 FROM ({carried_files(con)}) c LEFT JOIN {ATTACHMENTS} a USING (media_sha256) "
        "WHERE a.media_sha256 IS NULL OR a.scanned_with <> ? ORDER BY 1", [scanned_with]).fetchall()]


@dataclass
class Registered:
    """One file's register entry, its text gone once the callback has seen it."""

    media_sha256: str
    extraction: extract.Extraction


@dataclass
class MediaScan:
    due: int = 0
    entries: list[Registered] = field(default_factory=list)
    workers: int = 1


def _extract_one(path: str | None, limits: Limits) -> extract.Extraction:
    from o3_governance.attachments import extract

    if path is None:
        return extract.Extraction("other", "application/octet-stream", 0, "failed", "missing from the media store")
    return extract.extract_file(Path(path), limits)


def scan_media(con: duckdb.DuckDBPyConnection, layout: DataLayout, scanned_with: str,
               on_extraction: Callable[[str, extract.Extraction], None], *, limits: Limits = DEFAULT_LIMITS,
               workers: int = 2) -> MediaScan:
    """Reads every due file (``workers`` processes when there are several), calls ``on_extraction(sha,
    extraction)`` for each in the order of ``due_files``, then drops the text. Writes nothing: the
    caller records the entries (``record``) together with what it made of them."""
    ensure_schema(con)
    due = due_files(con, scanned_with)
    result = MediaScan(due=len(due))
    paths = [layout.media_file(sha) for sha in due]
    args = [None if p is None else str(p) for p in paths]
    if workers > 1 and len(due) >= PARALLEL_MIN:
        result.workers = workers
        # spawn, not fork: the caller holds DuckDB and Dagster threads that a fork would copy mid-flight.
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                for sha, ex in zip(due, pool.map(_extract_one, args, [limits] * len(args), chunksize=1)):
                    _handle(result, sha, ex, on_extraction)
            return result
        except BrokenProcessPool:
            # Workers could not start or one died (a parser crashed its process): the rest here, in order.
            done = {e.media_sha256 for e in result.entries}
            args = [a for s, a in zip(due, args) if s not in done]
            due = [s for s in due if s not in done]
    result.workers = 1
    for sha, arg in zip(due, args):
        _handle(result, sha, _extract_one(arg, limits), on_extraction)
    return result


def _handle(result: MediaScan, sha: str, ex: extract.Extraction,
            on_extraction: Callable[[str, extract.Extraction], None]) -> None:
    on_extraction(sha, ex)
    ex.parts = []    # the text lives only as long as the scan of it
    result.entries.append(Registered(sha, ex))


def record(con: duckdb.DuckDBPyConnection, entries: list[Registered], scanned_with: str, now: datetime) -> None:
    """The entries into ``attachments`` (replacing earlier rows of the same files); inside the caller's
    transaction."""
    if not entries:
        return
    import pyarrow as pa

    ex = [e.extraction for e in entries]
    table = pa.table({
        "media_sha256": pa.array([e.media_sha256 for e in entries], pa.string()),
        "kind": pa.array([x.kind for x in ex], pa.string()),
        "mime": pa.array([x.mime for x in ex], pa.string()),
        "bytes": pa.array([x.bytes for x in ex], pa.int64()),
        "status": pa.array([x.status for x in ex], pa.string()),
        "reason": pa.array([x.reason for x in ex], pa.string()),
        "pages": pa.array([x.pages for x in ex], pa.int32()),
        "ocr": pa.array([x.ocr for x in ex], pa.bool_()),
        "faces": pa.array([len(x.faces) for x in ex], pa.int32()),
        "gps": pa.array([x.gps for x in ex], pa.bool_()),
    })
    con.register("_attachments_new", table)
    try:
        con.execute(f"DELETE FROM {ATTACHMENTS} WHERE media_sha256 IN (SELECT media_sha256 FROM _attachments_new)")
        con.execute(f"INSERT INTO {ATTACHMENTS} (media_sha256, kind, mime, bytes, status, reason, pages, ocr, faces, "
                    "gps, scanned_with, scanned_at) SELECT media_sha256, kind, mime, bytes, status, reason, pages, "
                    "ocr, faces, gps, ?, ? FROM _attachments_new", [scanned_with, now])
    finally:
        con.unregister("_attachments_new")


def forget_gone_files(con: duckdb.DuckDBPyConnection) -> int:
    """Register rows and terms of files no message carries any more (erased, anonymised, expired)."""
    ensure_schema(con)
    gone = f"media_sha256 NOT IN (SELECT media_sha256 FROM {MESSAGES} WHERE media_sha256 IS NOT NULL)"
    n = con.execute(f"SELECT count(*) FROM {ATTACHMENTS} WHERE {gone}").fetchone()[0]
    con.execute(f"DELETE FROM {ATTACHMENTS} WHERE {gone}")
    con.execute(f"DELETE FROM {ATTACHMENT_TERMS} WHERE {gone}")
    return n


@dataclass(frozen=True)
class RegisterCheck:
    """Counts only: files not registered under the current configuration, unreadable files per reason."""

    unregistered: int
    unreadable: dict[str, int]           # "status: reason" → files
    by_kind_status: dict[str, int]       # "kind/status" → files

    @property
    def every_attachment_registered(self) -> bool:
        return self.unregistered == 0


def check_register(con: duckdb.DuckDBPyConnection, scanned_with: str) -> RegisterCheck:
    if not table_exists(con, ATTACHMENTS):
        return RegisterCheck(unregistered=len(due_files(con, scanned_with)), unreadable={}, by_kind_status={})
    unreadable = {f"{s}: {r or 'no reason'}": n for s, r, n in con.execute(
        f"SELECT status, reason, count(*) FROM {ATTACHMENTS} WHERE status <> 'scanned' GROUP BY ALL ORDER BY ALL"
    ).fetchall()}
    by_kind = {f"{k}/{s}": n for k, s, n in con.execute(
        f"SELECT kind, status, count(*) FROM {ATTACHMENTS} GROUP BY ALL ORDER BY ALL").fetchall()}
    return RegisterCheck(unregistered=len(due_files(con, scanned_with)), unreadable=unreadable,
                         by_kind_status=by_kind)
