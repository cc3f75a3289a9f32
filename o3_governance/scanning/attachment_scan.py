"""The scan of attachments: each file due (``attachments.register``) is read once per content and
configuration, its extracted text goes through the same scanner as message bodies, and the findings
are written for every message that carries the file, with ``source = 'attachment'`` and the page.
Faces become ``FACE`` findings (one a face, recognizer ``face_detector``), an EXIF GPS position a
``LOCATION`` finding (recognizer ``exif``); both have no text, so their offsets are 0.

The text itself is never written: it lives in memory from its extraction to its scan."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import duckdb

from o3_governance.attachments import register
from o3_governance.attachments.limits import DEFAULT_LIMITS, Limits
from o3_governance.scanning import pool as scan_pool
from o3_governance.scanning.fingerprint import config_hash
from o3_governance.scanning.store import current_people, ensure_schema
from o3_governance.storage import warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.storage.restrictions import exclusion_sql
from o3_governance.vocabulary import ATTACHMENT_TERMS, FINDINGS, MESSAGES

if TYPE_CHECKING:
    from o3_governance.attachments.extract import Extraction  # the extractors load when a file is read

FACE_RECOGNIZER = "face_detector"
EXIF_RECOGNIZER = "exif"
BATCH_CHARS = 2_000_000   # extracted text held before it is scanned (memory bound)
_COLUMNS = ("media_sha256", "entity_type", "start", "end", "score", "recognizer", "page")


@dataclass
class AttachmentScanSummary:
    """Counts only: what a night's attachment scan did."""

    scanned_with: str
    due: int = 0
    read: int = 0                      # files whose text (or image) was read: status scanned
    unreadable: int = 0                # unsupported / failed / too_large
    ocr_files: int = 0
    faces: int = 0
    findings_written: int = 0          # rows in findings (a file's findings times the messages carrying it)
    by_type: dict[str, int] = field(default_factory=dict)   # findings per type, per file (not per message)
    workers: int = 1
    seconds: float = 0.0


def scanned_with(people: Iterable[str], document_terms: Iterable[str], limits: Limits = DEFAULT_LIMITS) -> str:
    """The attachment scan's configuration: the scanner's, the extractors', and the policy's terms."""
    h = hashlib.sha256()
    h.update(config_hash(people).encode() + b"\0" + register.extractor_config(limits).encode() + b"\0")
    for term in sorted({t.lower() for t in document_terms}):
        h.update(b"term:" + term.encode() + b"\n")
    return h.hexdigest()[:16]


class _Collector:
    """Receives each extraction, scans its text in batches, keeps offsets and types only."""

    def __init__(self, people: list[str], terms: frozenset[str], summary: AttachmentScanSummary):
        self.people, self.terms, self.summary = people, terms, summary
        self.rows: dict[str, list] = {c: [] for c in _COLUMNS}
        self.terms_found: list[tuple[str, str]] = []
        self.pending: list[tuple[str, str, list]] = []   # (sha, text, page spans)
        self.pending_chars = 0

    def add(self, sha: str, ex: Extraction) -> None:
        if ex.status == "scanned":
            self.summary.read += 1
        else:
            self.summary.unreadable += 1
        self.summary.ocr_files += ex.ocr
        self.summary.faces += len(ex.faces)
        for _ in ex.faces:
            self._row(sha, "FACE", 0, 0, 1.0, FACE_RECOGNIZER, 1)
        if ex.gps:
            self._row(sha, "LOCATION", 0, 0, 1.0, EXIF_RECOGNIZER, None)
        text = ex.text
        if not text.strip():
            return
        lowered = text.lower()
        self.terms_found.extend((sha, t) for t in sorted(self.terms) if t in lowered)
        self.pending.append((sha, text, ex.page_spans()))
        self.pending_chars += len(text)
        if self.pending_chars >= BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        results, _ = scan_pool.scan_unique([(text, None) for _, text, _ in self.pending], self.people, workers=1)
        for (sha, _, spans), (_, findings) in zip(self.pending, results):
            for f in findings:
                page = next((p for s, e, p in spans if s <= f.start < e + 2), None)
                self._row(sha, f.entity_type, f.start, f.end, f.score, f.recognizer, page)
        self.pending, self.pending_chars = [], 0

    def _row(self, sha, entity_type, start, end, score, recognizer, page) -> None:
        for k, v in zip(_COLUMNS, (sha, entity_type, start, end, score, recognizer, page)):
            self.rows[k].append(v)
        self.summary.by_type[entity_type] = self.summary.by_type.get(entity_type, 0) + 1


def scan_attachments(con: duckdb.DuckDBPyConnection, layout: DataLayout, *, now: datetime,
                     document_terms: Iterable[str] = (), known_people: Iterable[str] | None = None,
                     staff_directory: Path | str | None = None, limits: Limits = DEFAULT_LIMITS,
                     workers: int = 2) -> AttachmentScanSummary:
    """Scans the files due and writes their register rows, findings and document terms in one transaction."""
    t0 = time.perf_counter()
    ensure_schema(con)
    register.ensure_schema(con)
    people = current_people(con, known_people, staff_directory)
    terms = frozenset(t.lower() for t in document_terms if t and t.strip())
    summary = AttachmentScanSummary(scanned_with=scanned_with(people, terms, limits))
    collector = _Collector(people, terms, summary)
    media = register.scan_media(con, layout, summary.scanned_with, collector.add, limits=limits, workers=workers)
    collector.flush()
    summary.due, summary.workers = media.due, media.workers
    shas = [e.media_sha256 for e in media.entries]
    # Built by DuckDB from the lists (warehouse.register_columns): no pyarrow, numpy or pandas (start-up time).
    warehouse.register_columns(con, "_att_found", collector.rows,
                               {"start": "INTEGER", "end": "INTEGER", "score": "DOUBLE", "page": "INTEGER"})
    warehouse.register_columns(con, "_att_terms", {"media_sha256": [s for s, _ in collector.terms_found],
                                                   "term": [t for _, t in collector.terms_found]})
    warehouse.register_columns(con, "_att_scanned", {"media_sha256": shas})
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            carriers = f"SELECT message_id FROM {MESSAGES} WHERE media_sha256 IN (SELECT media_sha256 FROM _att_scanned)"
            con.execute(f"DELETE FROM {FINDINGS} WHERE source = 'attachment' AND message_id IN ({carriers})")
            before = con.execute(f"SELECT count(*) FROM {FINDINGS} WHERE source = 'attachment'").fetchone()[0]
            con.execute(f"""INSERT INTO {FINDINGS} (message_id, entity_type, start, "end", score, recognizer, source, page)
                SELECT m.message_id, f.entity_type, f.start, f."end", f.score, f.recognizer, 'attachment', f.page
                FROM _att_found f JOIN {MESSAGES} m USING (media_sha256)
                WHERE {exclusion_sql(con, 'm.message_id')}""")
            con.execute(f"DELETE FROM {ATTACHMENT_TERMS} WHERE media_sha256 IN (SELECT media_sha256 FROM _att_scanned)")
            con.execute(f"INSERT INTO {ATTACHMENT_TERMS} SELECT media_sha256, term FROM _att_terms")
            register.record(con, media.entries, summary.scanned_with, now)
            _follow_messages(con)
            summary.findings_written = con.execute(
                f"SELECT count(*) FROM {FINDINGS} WHERE source = 'attachment'").fetchone()[0] - before
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        for name in ("_att_found", "_att_terms", "_att_scanned"):
            warehouse.unregister_columns(con, name)
    summary.seconds = time.perf_counter() - t0
    return summary


def _follow_messages(con: duckdb.DuckDBPyConnection) -> None:
    """Attachment findings follow the messages: a message that no longer carries a file loses them
    (erased, anonymised); a message that newly carries a file read before (another export, a lifted
    restriction) gets a copy of what another carrier of the same file has."""
    con.execute(f"""DELETE FROM {FINDINGS} WHERE source = 'attachment' AND message_id NOT IN
        (SELECT message_id FROM {MESSAGES} WHERE media_sha256 IS NOT NULL)""")
    con.execute(f"""INSERT INTO {FINDINGS} (message_id, entity_type, start, "end", score, recognizer, source, page)
        WITH has AS (SELECT DISTINCT message_id FROM {FINDINGS} WHERE source = 'attachment'),
        donor AS (SELECT m.media_sha256, min(m.message_id) AS message_id FROM {MESSAGES} m JOIN has USING (message_id)
                  WHERE m.media_sha256 IS NOT NULL GROUP BY m.media_sha256)
        SELECT n.message_id, f.entity_type, f.start, f."end", f.score, f.recognizer, 'attachment', f.page
        FROM {MESSAGES} n JOIN donor d USING (media_sha256)
        JOIN {FINDINGS} f ON f.message_id = d.message_id AND f.source = 'attachment'
        WHERE n.message_id NOT IN (SELECT message_id FROM has) AND {exclusion_sql(con, 'n.message_id')}""")
    register.forget_gone_files(con)

