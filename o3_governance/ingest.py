"""Ingest: inbox files → archive registry, Parquet lake, DuckDB ``messages`` and content-addressed media.

Streaming throughout: messages go from the parser into Arrow batches and a DuckDB staging table, so
memory stays flat in the size of an archive. A file that cannot be read is quarantined with a
one-line reason and the run goes on. Re-exports of a chat add no duplicate messages because
``message_id`` depends only on (chat, local time, author, body, occurrence).
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Iterator

import pyarrow as pa

from o3_governance.storage import audit, lake, warehouse
from o3_governance import purge
from o3_governance.storage.hashing import sha256_file
from o3_governance.storage.layout import DataLayout
from o3_governance.parsing import NotAnExport, ParsedExport, open_archive
from o3_governance.parsing.archive import expanded_size, too_large

# Defaults of the bounded-work settings (``o3_governance.settings``); entry points pass the configured values.
DEFAULT_MAX_BODY_CHARS = 5_000_000
DEFAULT_MAX_ARCHIVE_BYTES = 2 * 1024 ** 3
DEFAULT_MAX_NIGHT_BYTES = 20 * 1024 ** 3
DEFAULT_QUARANTINE_RETENTION_DAYS = 30

BATCH_ROWS = 50_000
# Browsers and sync tools leave these while a download is still being written.
PARTIAL_SUFFIXES = (".crdownload", ".part", ".partial", ".tmp", ".download")

# What Python hands to DuckDB per message; ids, instants and partitions are computed there, vectorised.
PARSED_SCHEMA = pa.schema([
    ("chat_name", pa.string()),
    ("sent_local", pa.timestamp("us")),
    ("author", pa.string()),
    ("author_phone", pa.string()),
    ("message_type", pa.string()),
    ("body", pa.string()),
    ("attachment", pa.string()),
    ("media_sha256", pa.string()),
    ("edited", pa.bool_()),
    ("line_no", pa.int32()),
])

# message_id = hash of (chat, local time as written, author, body, occurrence): the same message in a
# later or overlapping export of the chat gets the same id. Occurrence tells identical messages apart.
MESSAGE_ID_SQL = ("substr(sha256(concat_ws(chr(31), chat_name, strftime(sent_local, '%Y-%m-%dT%H:%M:%S'), "
                  "coalesce(author, ''), body, occurrence::VARCHAR)), 1, 32)")
# Wall-clock Brussels time → instant (ICU): a spring-gap time moves forward an hour; a time in the
# repeated autumn hour is read as standard time.
SENT_AT_SQL = "timezone('Europe/Brussels', sent_local)"


@dataclass
class ArchiveResult:
    archive_id: str
    file_name: str
    status: str  # ingested / duplicate / quarantined
    reason: str | None = None
    message_count: int = 0
    new_message_count: int = 0
    media_count: int = 0


@dataclass
class IngestSummary:
    archives: list[ArchiveResult] = field(default_factory=list)
    inbox_files: list[tuple[str, str]] = field(default_factory=list)  # (file name, sha256) seen this run
    raw_removed: int = 0
    purges_resumed: int = 0
    left_in_inbox: int = 0        # files left for the next night: the night's byte cap was reached
    bytes_expanded: int = 0       # bytes the files handled this night expand to (counted against the cap)

    def count(self, status: str) -> int:
        return sum(1 for a in self.archives if a.status == status)

    @property
    def new_messages(self) -> int:
        return sum(a.new_message_count for a in self.archives)

    @property
    def messages_read(self) -> int:
        return sum(a.message_count for a in self.archives)


def inbox_files(inbox: Path) -> list[Path]:
    """Files waiting in the inbox, oldest name first; hidden files and partial downloads are left."""
    if not inbox.exists():
        return []
    return sorted(p for p in inbox.iterdir()
                  if p.is_file() and not p.name.startswith(".") and not p.name.endswith(PARTIAL_SUFFIXES))


class MediaStore:
    """Content-addressed media: ``media/<sha[:2]>/<sha256><ext>``; identical files are stored once.
    At most ``max_bytes`` are copied in all (beyond: NotAnExport); the partial copy never stays."""

    def __init__(self, root: Path, work: Path, max_bytes: int | None = None) -> None:
        self.root = root
        self.work = work
        self.max_bytes = max_bytes
        self.copied = 0

    def path_for(self, sha: str, ext: str) -> Path:
        return self.root / sha[:2] / f"{sha}{ext}"

    def put(self, ref) -> str:
        ext = Path(ref.name).suffix.lower()[:10]
        self.work.mkdir(parents=True, exist_ok=True)
        tmp = self.work / f"media-{os.getpid()}.part"
        h = hashlib.sha256()
        try:
            with ref.open() as src, open(tmp, "wb") as dst:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    self.copied += len(chunk)
                    if self.max_bytes is not None and self.copied > self.max_bytes:
                        raise too_large(self.max_bytes)
                    h.update(chunk)
                    dst.write(chunk)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        sha = h.hexdigest()
        dest = self.path_for(sha, ext)
        if dest.exists():
            tmp.unlink()
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, dest)
        return sha


def _rows(export: ParsedExport, media: MediaStore, stored_media: dict[str, str]) -> Iterator[tuple]:
    default_chat = export.chat_name
    for m in export.messages:
        media_sha = None
        if m.attachment:
            media_sha = stored_media.get(m.attachment)
            if media_sha is None:
                ref = export.media.get(m.attachment)
                if ref is not None:
                    media_sha = stored_media[m.attachment] = media.put(ref)
        yield (m.chat_name or default_chat, m.sent_local, m.author, m.author_phone, m.message_type, m.body,
               m.attachment, media_sha, m.edited, m.line_no)


def _batches(rows: Iterable[tuple], size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    def batch(buffer: list[tuple]) -> pa.RecordBatch:
        columns = zip(*buffer)
        return pa.RecordBatch.from_arrays([pa.array(c, type=t) for c, t in zip(columns, PARSED_SCHEMA.types)],
                                          schema=PARSED_SCHEMA)

    buffer: list[tuple] = []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= size:
            yield batch(buffer)
            buffer = []
    if buffer:
        yield batch(buffer)


def _staged_messages_sql(staging: str, archive_id: str, source_format: str, language: str | None) -> str:
    """The staged rows as ``messages`` rows, in the warehouse's column order."""
    lang = "NULL" if language is None else f"'{language}'"
    return f"""
        WITH counted AS (
            SELECT *, row_number() OVER (PARTITION BY chat_name, sent_local, author, body ORDER BY line_no) - 1
                   AS occurrence
            FROM {staging})
        SELECT {MESSAGE_ID_SQL} AS message_id, '{archive_id}' AS archive_id, {lake.CHAT_ID_SQL} AS chat_id,
               chat_name, '{source_format}' AS source_format, {SENT_AT_SQL} AS sent_at, sent_local,
               sent_local::DATE AS local_date, strftime(sent_local, '%Y-%m') AS month, author, author_phone,
               message_type, body, attachment, media_sha256, edited, {lang}::VARCHAR AS language, line_no
        FROM counted"""


def _archive_id(sha: str, con) -> str:
    """The first registration of some bytes is named by their hash; a later byte-identical copy
    gets a name of its own (same hash, counted), so every file seen has its own row."""
    seen = con.execute("SELECT count(*) FROM archives WHERE sha256 = ?", [sha]).fetchone()[0]
    return sha[:20] if seen == 0 else hashlib.sha256(f"{sha}:{seen}".encode()).hexdigest()[:20]


def _register(con, result: ArchiveResult, sha: str, size: int, received_at: datetime, *, source_format=None,
              chat_id=None, chat_name=None, raw_path=None) -> None:
    con.execute(
        "INSERT INTO archives (archive_id, file_name, sha256, status, reason, message_count, new_message_count, "
        "media_count, source_format, chat_id, chat_name, size_bytes, received_at, raw_path) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.archive_id, result.file_name, sha, result.status, result.reason, result.message_count,
         result.new_message_count, result.media_count, source_format, chat_id, chat_name, size, received_at, raw_path])


def _quarantine(con, layout: DataLayout, path: Path, result: ArchiveResult, sha: str, size: int,
                received_at: datetime, reason: str, run_id: str | None) -> ArchiveResult:
    """Move the file aside, unchanged, with its reason beside it (nothing is lost), and register it."""
    layout.quarantine.mkdir(parents=True, exist_ok=True)
    dest = layout.quarantine / f"{result.archive_id}{''.join(path.suffixes[-1:]).lower()}"
    shutil.move(str(path), dest)
    dest.with_name(dest.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    result.status, result.reason = "quarantined", reason
    _register(con, result, sha, size, received_at, raw_path=str(dest.relative_to(layout.root)))
    audit.append(con, "archive_quarantined", {"archive_id": result.archive_id, "sha256": sha, "reason": reason},
                 run_id=run_id, ts=received_at)
    return result


def _forget_unreferenced_media(con, layout: DataLayout, shas: Iterable[str]) -> None:
    """Media copied from an archive that then failed must not stay behind as an orphan copy."""
    for sha in set(shas):
        if not con.execute("SELECT count(*) FROM messages WHERE media_sha256 = ?", [sha]).fetchone()[0]:
            for f in (layout.media / sha[:2]).glob(f"{sha}*"):
                f.unlink()


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def ingest_file(con, layout: DataLayout, path: Path, *, received_at: datetime, run_id: str | None = None,
                sha: str | None = None, raw_retention_days: int = 0,
                max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
                max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES) -> ArchiveResult:
    """One inbox file into the warehouse, or into quarantine with a one-line reason: among others a
    line or message longer than ``max_body_chars``, or an archive expanding to more than
    ``max_archive_bytes``. ``received_at``: the clock's instant, read by the entry point. With
    ``raw_retention_days`` above 0 the file is kept under ``raw/``; otherwise it is removed."""
    sha = sha or sha256_file(path)
    size = path.stat().st_size
    archive_id = _archive_id(sha, con)
    result = ArchiveResult(archive_id=archive_id, file_name=path.name, status="ingested")

    if con.execute("SELECT count(*) FROM archives WHERE sha256 = ?", [sha]).fetchone()[0]:
        result.status, result.reason = "duplicate", "byte-identical to an archive already registered"
        _register(con, result, sha, size, received_at)
        path.unlink()
        audit.append(con, "archive_duplicate", {"archive_id": archive_id, "sha256": sha}, run_id=run_id,
                     ts=received_at)
        return result

    staging = f"staging_{archive_id}"
    stored_media: dict[str, str] = {}
    export: ParsedExport | None = None
    try:
        export = open_archive(path, work_dir=layout.work, max_body_chars=max_body_chars,
                              max_archive_bytes=max_archive_bytes)
        # Arrow objects are read through DuckDB's replacement scan of local variables: unlike
        # register(), it does not trip over an earlier, partly fetched result on the connection.
        parsed_empty = PARSED_SCHEMA.empty_table()  # noqa: F841 - read by name in the SQL below
        con.execute(f"CREATE OR REPLACE TEMP TABLE {staging} AS SELECT * FROM parsed_empty")
        media_store = MediaStore(layout.media, layout.work, max_bytes=max_archive_bytes)
        for incoming_batch in _batches(_rows(export, media_store, stored_media)):
            con.execute(f"INSERT INTO {staging} SELECT * FROM incoming_batch")
        source_format, chat_name, language = export.source_format, export.chat_name, export.export_language
    except Exception as exc:  # noqa: BLE001 - any failure to read a file quarantines that file, never the run
        reason = _one_line(exc) if isinstance(exc, NotAnExport) else f"could not be read ({type(exc).__name__})"
        con.execute(f"DROP TABLE IF EXISTS {staging}")
        if export is not None:
            export.close()
        _forget_unreferenced_media(con, layout, stored_media.values())
        return _quarantine(con, layout, path, result, sha, size, received_at, reason, run_id)
    finally:
        if export is not None:
            export.close()

    result.message_count = con.execute(f"SELECT count(*) FROM {staging}").fetchone()[0]
    if result.message_count == 0:
        con.execute(f"DROP TABLE {staging}")
        return _quarantine(con, layout, path, result, sha, size, received_at, "no messages found in the export",
                           run_id)

    # Only messages the warehouse does not hold yet: an older export is a prefix of a newer one.
    staged = _staged_messages_sql(staging, archive_id, source_format, language)
    # Not already held, and not deleted earlier by retention or erasure: a later export of the chat
    # repeats its whole history, and what was destroyed must not come back.
    con.execute(purge.PURGED_DDL)
    new_rows = (f"SELECT s.* FROM ({staged}) s WHERE NOT EXISTS "
                f"(SELECT 1 FROM messages m WHERE m.message_id = s.message_id) AND NOT EXISTS "
                f"(SELECT 1 FROM purged_messages p WHERE p.message_key = {purge.purged_key_sql('s.message_id')})")
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_{staging} AS {new_rows}")
    result.new_message_count = con.execute(f"SELECT count(*) FROM new_{staging}").fetchone()[0]
    result.media_count = len(stored_media)
    chat_id = lake.chat_id_for(chat_name)

    # Lake first (idempotent file names), then one warehouse transaction: a crash in between is
    # repaired by the next run, which parses the still-present inbox file again.
    if result.new_message_count:
        lake.write_archive_rows(con, f"SELECT * FROM new_{staging}", layout.lake_messages,
                                layout.work / f"lake-{archive_id}", archive_id)
    raw_rel = None
    if raw_retention_days > 0:
        layout.raw.mkdir(parents=True, exist_ok=True)
        raw_rel = str(Path("raw") / f"{archive_id}{path.suffix.lower()}")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"INSERT INTO messages SELECT * FROM new_{staging}")
        _register(con, result, sha, size, received_at, source_format=source_format, chat_id=chat_id,
                  chat_name=chat_name, raw_path=raw_rel)
        audit.append(con, "archive_ingested", {
            "archive_id": archive_id, "sha256": sha, "messages": result.message_count,
            "new_messages": result.new_message_count, "media": result.media_count}, run_id=run_id, ts=received_at)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {staging}")
        con.execute(f"DROP TABLE IF EXISTS new_{staging}")
    if raw_rel:
        shutil.move(str(path), layout.root / raw_rel)
    else:
        path.unlink()
    return result


def remove_expired_raw_archives(con, layout: DataLayout, now: datetime, *, raw_retention_days: int = 0,
                                quarantine_retention_days: int = DEFAULT_QUARANTINE_RETENTION_DAYS,
                                run_id: str | None = None) -> int:
    """Raw archives are kept only as long as configured, and quarantined files too (they are unread
    copies of chats: someone fixes or re-exports them, or they go). Their sha256 stays in the registry."""
    keep = {"ingested": timedelta(days=raw_retention_days),
            "quarantined": timedelta(days=quarantine_retention_days)}
    rows = con.execute("SELECT archive_id, status, raw_path, received_at FROM archives "
                       "WHERE raw_path IS NOT NULL").fetchall()
    removed = 0
    for archive_id, status, raw_path, received_at in rows:
        if received_at + keep.get(status, timedelta(0)) <= now:
            target = layout.root / raw_path
            target.unlink(missing_ok=True)
            target.with_name(target.name + ".reason.txt").unlink(missing_ok=True)
            con.execute("UPDATE archives SET raw_path = NULL, raw_removed_at = ? WHERE archive_id = ?", [now, archive_id])
            removed += 1
    if removed:
        audit.append(con, "raw_archives_removed", {"count": removed}, run_id=run_id, ts=now)
    return removed


def ingest_inbox(layout: DataLayout, *, now: datetime, run_id: str | None = None,
                 raw_retention_days: int = 0, quarantine_retention_days: int = DEFAULT_QUARANTINE_RETENTION_DAYS,
                 max_body_chars: int = DEFAULT_MAX_BODY_CHARS, max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
                 max_night_bytes: int = DEFAULT_MAX_NIGHT_BYTES) -> IngestSummary:
    """Ingest every file waiting in the inbox. Never raises for a bad file.

    ``now`` is the real clock, read by the entry point: it stamps ``received_at`` and decides when
    kept raw archives and quarantined files expire. ``O3_AS_OF`` never plays a part here.

    Bounded work: a file expanding to more than ``max_archive_bytes`` (or more than a whole night's
    ``max_night_bytes``) is quarantined; once the files handled this night would expand to more than
    ``max_night_bytes``, the rest stay in the inbox for the next night (``left_in_inbox``).

    ``raw_retention_days`` (``O3_RAW_RETENTION_DAYS``; 0 removes a file once ingested) and
    ``quarantine_retention_days`` (``O3_QUARANTINE_RETENTION_DAYS``) are the configured keep times."""
    archive_cap = min(max_archive_bytes, max_night_bytes)   # one that no night can take is refused
    layout.ensure()
    summary = IngestSummary()
    # A disposal or erasure cut short by a crash is finished before anything new comes in.
    summary.purges_resumed = len(purge.resume_pending(layout, now=now))
    con = warehouse.connect(layout.warehouse)
    try:
        waiting = inbox_files(layout.inbox)
        for n, path in enumerate(waiting):
            need = expanded_size(path)
            if need <= archive_cap and summary.bytes_expanded + need > max_night_bytes:
                summary.left_in_inbox = len(waiting) - n   # oldest first: these go first tomorrow
                break
            sha = sha256_file(path)
            summary.inbox_files.append((path.name, sha))
            result = ingest_file(con, layout, path, run_id=run_id, sha=sha, received_at=now,
                                 raw_retention_days=raw_retention_days,
                                 max_body_chars=max_body_chars, max_archive_bytes=archive_cap)
            summary.archives.append(result)
            if result.status != "duplicate" and need <= archive_cap:   # refused for size: nothing expanded
                summary.bytes_expanded += need
        if summary.left_in_inbox:
            audit.append(con, "inbox_left_for_next_night", {"files": summary.left_in_inbox,
                                                            "max_night_bytes": max_night_bytes}, run_id=run_id, ts=now)
        summary.raw_removed = remove_expired_raw_archives(con, layout, now, raw_retention_days=raw_retention_days,
                                                          quarantine_retention_days=quarantine_retention_days,
                                                          run_id=run_id)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return summary


@dataclass(frozen=True)
class IngestCheck:
    """What the ingest invariants found after a run: plain numbers, no names (the shell reports them)."""

    archives_total: int
    archives_by_status: dict[str, int]
    messages_total: int
    chats: int
    duplicated_ids: int             # message ids held more than once (must be 0)
    lake_rows: int                  # rows in the Parquet lake (must equal messages_total)
    unaccounted_files: int          # inbox files of this run without a registry row, or still in the inbox (must be 0)
    quarantined_this_run: int
    quarantine_reasons: dict[str, int]   # one-line reason -> files (reasons never hold content)

    @property
    def unique_message_ids(self) -> bool:
        return self.duplicated_ids == 0

    @property
    def lake_matches_warehouse(self) -> bool:
        return self.lake_rows == self.messages_total

    @property
    def every_inbox_file_accounted_for(self) -> bool:
        return self.unaccounted_files == 0


def check_ingest(con, layout: DataLayout, summary: IngestSummary) -> IngestCheck:
    """The invariants of ingest after ``summary``'s run, read on ``con`` (read-only is enough)."""
    by_status = dict(con.execute("SELECT status, count(*) FROM archives GROUP BY status").fetchall())
    messages_total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    duplicates = con.execute(
        "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1)").fetchone()[0]
    shas = [sha for _, sha in summary.inbox_files]
    registered = {r[0] for r in con.execute(
        "SELECT DISTINCT sha256 FROM archives WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))", [shas]).fetchall()}
    still_in_inbox = {p.name for p in inbox_files(layout.inbox)}
    unaccounted = [name for name, sha in summary.inbox_files if sha not in registered or name in still_in_inbox]
    reasons: dict[str, int] = {}
    for a in summary.archives:
        if a.status == "quarantined":
            reasons[a.reason or ""] = reasons.get(a.reason or "", 0) + 1
    return IngestCheck(
        archives_total=sum(by_status.values()), archives_by_status=by_status, messages_total=messages_total,
        chats=con.execute("SELECT count(DISTINCT chat_id) FROM messages").fetchone()[0],
        duplicated_ids=duplicates, lake_rows=lake.lake_row_count(con, layout.lake_messages),
        unaccounted_files=len(unaccounted), quarantined_this_run=summary.count("quarantined"),
        quarantine_reasons=reasons)
