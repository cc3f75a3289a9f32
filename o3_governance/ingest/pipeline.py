"""Ingest: inbox items → archive registry, Parquet lake, DuckDB ``messages`` and content-addressed media.

Streaming throughout: messages go from the parser into Arrow batches and a DuckDB staging table, so
memory stays flat in the size of an archive. Each chat of an item is matched to the chat it belongs to
(``identity``), and only messages the warehouse does not hold — and never held and purged — are added.
A file that cannot be read is quarantined with a one-line reason and the run goes on; a failure of our
own folders leaves the item in the inbox for the next night.
"""
from __future__ import annotations

import functools
import os
import shutil
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from o3_governance import purge
from o3_governance.ingest import events as ev
from o3_governance.ingest import matching, migrate
from o3_governance.ingest import quarantine as q
from o3_governance.ingest import registry as reg
from o3_governance.ingest.media import MediaCounts, MediaMismatch, MediaStore, expired
from o3_governance.ingest.registry import (DUPLICATE, INGESTED, PARTIAL, QUARANTINED, RETRY_LATER, ArchiveResult,
                                           SystemFault)
from o3_governance.parsing import NotAnExport
from o3_governance.parsing.archive import expanded_size, open_container
from o3_governance.parsing.inbox import discover, remove_empty_folders
from o3_governance.parsing.model import ITEM_FOLDER, ITEM_SYMLINK, InboxItem, ParsedExport
from o3_governance.purge.tombstones import ensure_purged_schema
from o3_governance.storage import audit, lake, warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import MESSAGES

if TYPE_CHECKING:  # pyarrow (and numpy with it) loads when an inbox item is read: a night with an
    import pyarrow as pa  # empty inbox, and every run that only loads the definitions, does not import it

# Defaults of the bounded-work settings (``o3_governance.settings``); entry points pass the configured values.
DEFAULT_MAX_BODY_CHARS = 5_000_000
DEFAULT_MAX_ARCHIVE_BYTES = 2 * 1024 ** 3
DEFAULT_MAX_NIGHT_BYTES = 20 * 1024 ** 3
DEFAULT_QUARANTINE_RETENTION_DAYS = 30

BATCH_ROWS = 50_000
SYMLINK_REASON = "symbolic link: not followed"

@functools.lru_cache(maxsize=None)
def parsed_schema() -> pa.Schema:
    """What Python hands to DuckDB per message; ids, instants and partitions are computed there, vectorised."""
    import pyarrow as pa

    return pa.schema([
        ("member", pa.int32()),            # 1-based: which chat text of the container
        ("chat_name", pa.string()),
        ("chat_key", pa.string()),         # Cloud API conversation key
        ("source_format", pa.string()),
        ("language", pa.string()),
        ("sent_local", pa.timestamp("us")),
        ("author", pa.string()),
        ("author_id", pa.string()),
        ("author_phone", pa.string()),
        ("message_type", pa.string()),
        ("body", pa.string()),
        ("attachment", pa.string()),
        ("media_id", pa.string()),
        ("declared_sha256", pa.string()),
        ("edited", pa.bool_()),
        ("line_no", pa.int32()),
        ("source_id", pa.string()),        # wamid
    ])


MESSAGE_COLUMN_NAMES = [c for c, _ in warehouse.MESSAGE_COLUMNS]


@dataclass
class IngestSummary:
    archives: list[ArchiveResult] = field(default_factory=list)
    inbox_files: list[tuple[str, str]] = field(default_factory=list)  # (relative name, sha256) seen this run
    left_items: list[str] = field(default_factory=list)   # relative names deliberately left in the inbox
    raw_removed: int = 0
    purges_resumed: int = 0
    left_in_inbox: int = 0        # items left for the next night: the night's byte cap was reached
    bytes_expanded: int = 0       # bytes the items handled this night expand to (counted against the cap)
    folders_removed: int = 0      # inbox folders left empty and removed
    messages_changed: int = 0     # held messages edited or revoked by Cloud API events this night
    migration: dict | None = None  # what the one-time identity migration did, when it ran this night

    def count(self, status: str) -> int:
        return sum(1 for a in self.archives if a.status == status)

    @property
    def new_messages(self) -> int:
        return sum(a.new_message_count for a in self.archives)

    @property
    def messages_read(self) -> int:
        return sum(a.message_count for a in self.archives)

    def counted(self, key: str) -> int:
        return sum(a.counts.get(key, 0) for a in self.archives)


def inbox_files(inbox: Path) -> list[Path]:
    """Every file waiting anywhere in the inbox tree (members of folder items included, links too);
    hidden files and partial downloads are left."""
    out: list[Path] = []
    for item in discover(inbox):
        out.extend(item.members if item.kind == ITEM_FOLDER else (item.path,))
    return sorted(out)


def item_size(item: InboxItem) -> int:
    if item.kind == ITEM_SYMLINK:
        return 0
    if item.kind == ITEM_FOLDER:
        return sum(m.stat().st_size for m in item.members)
    return item.path.stat().st_size


def item_expanded_size(item: InboxItem) -> int:
    if item.kind == ITEM_SYMLINK:
        return 0
    if item.kind == ITEM_FOLDER:
        return sum(expanded_size(m) for m in item.members)
    return expanded_size(item.path)


def _rows(export: ParsedExport, member: int) -> Iterator[tuple]:
    default_chat = export.chat_name
    for m in export.messages:
        yield (member, m.chat_name or default_chat, m.chat_key, export.source_format, export.export_language,
               m.sent_local, m.author, m.author_id, m.author_phone, m.message_type, m.body, m.attachment, m.media_id,
               (m.media_sha256 or None), m.edited, m.line_no, m.source_id)


def _batches(rows: Iterable[tuple], size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    import pyarrow as pa

    schema = parsed_schema()

    def batch(buffer: list[tuple]) -> pa.RecordBatch:
        columns = zip(*buffer)
        return pa.RecordBatch.from_arrays([pa.array(c, type=t) for c, t in zip(columns, schema.types)],
                                          schema=schema)

    buffer: list[tuple] = []
    for row in rows:
        buffer.append(row)
        if len(buffer) >= size:
            yield batch(buffer)
            buffer = []
    if buffer:
        yield batch(buffer)


@contextmanager
def _system_errors():
    """A block writing to our own stores: an OS or disk failure there is the system's, not the file's
    (a block, not a call, where DuckDB's replacement scans must see the caller's local variables)."""
    try:
        yield
    except SystemFault:
        raise
    except Exception as exc:  # noqa: BLE001 - only system errors are re-labelled
        if reg.is_system_error(exc):
            raise reg.system_fault(exc) from None
        raise


def _ours(fn, *args, **kwargs):
    """Run a write to our own stores: an OS or disk failure there is the system's, not the file's."""
    with _system_errors():
        return fn(*args, **kwargs)


@dataclass
class _Parsed:
    chats: list[ParsedExport]
    rejects: list[tuple[int, int, str]]
    events: list
    counts: dict[str, int]
    messages: int


def _stage(con, t: matching.Tables, container) -> _Parsed:
    parsed_empty = parsed_schema().empty_table()  # noqa: F841 - read by name in the SQL below
    with _system_errors():
        con.execute(f"CREATE OR REPLACE TEMP TABLE {t.staging} AS SELECT * FROM parsed_empty")
    rejects: list[tuple[int, int, str]] = []
    events: list = []
    counts: dict[str, int] = {}
    for member, chat in enumerate(container.chats, 1):
        # Arrow objects are read through DuckDB's replacement scan of local variables.
        for incoming_batch in _batches(_rows(chat, member)):  # noqa: B007 - read by name in the SQL below
            with _system_errors():
                con.execute(f"INSERT INTO {t.staging} SELECT * FROM incoming_batch")
        rejects.extend((member, r.line_no, r.reason) for r in chat.rejected)
        events.extend(chat.events)
        for k, v in (chat.counts or {}).items():
            counts[k] = counts.get(k, 0) + int(v)
    n = con.execute(f"SELECT count(*) FROM {t.staging}").fetchall()[0][0]
    return _Parsed(list(container.chats), rejects, events, counts, n)


def _most_common(rejects: list[tuple[int, int, str]]) -> str:
    reasons: dict[str, int] = {}
    for _m, _n, reason in rejects:
        reasons[reason] = reasons.get(reason, 0) + 1
    return max(sorted(reasons), key=lambda r: reasons[r])


def _apply_events(con, t: matching.Tables, parsed: _Parsed) -> ev.EventOutcome:
    wanted = sorted(ev.targets(parsed.events))
    in_pending: set[str] = set()
    in_warehouse: set[str] = set()
    if wanted:
        in_pending = {r[0] for r in con.execute(f"SELECT message_id FROM {t.pending} WHERE message_id IN "
                                                "(SELECT unnest(?::VARCHAR[]))", [wanted]).fetchall()}
        in_warehouse = {r[0] for r in con.execute(f"SELECT message_id FROM {MESSAGES} WHERE message_id IN "
                                                  "(SELECT unnest(?::VARCHAR[]))", [wanted]).fetchall()}
    outcome = ev.resolve(parsed.events, in_pending, in_warehouse)
    for message_id, change in outcome.pending_changes.items():
        sets = [f"{col} = ?" for col in change]
        values = list(change.values())
        if change.get("message_type") == "deleted":
            sets += ["media_id = NULL", "declared_sha256 = NULL"]
        con.execute(f"UPDATE {t.pending} SET {', '.join(sets)} WHERE message_id = ?", [*values, message_id])
    return outcome


def _store_media(con, t: matching.Tables, parsed: _Parsed, store: MediaStore, now: datetime) -> MediaCounts:
    counts = MediaCounts()
    rows = con.execute(f"SELECT message_id, member, attachment, media_id, declared_sha256, sent_at FROM {t.pending} "
                       "WHERE attachment IS NOT NULL OR media_id IS NOT NULL ORDER BY member, line_no").fetchall()
    if not rows:
        return counts
    by_stem: list[dict] = []
    for chat in parsed.chats:
        by_stem.append({Path(name).stem: ref for name, ref in chat.media.items()})
    done: dict[tuple[int, str], str | None] = {}
    shas: dict[str, str] = {}
    for message_id, member, attachment, media_id, declared, sent_at in rows:
        media = parsed.chats[member - 1].media
        ref = media.get(attachment) if attachment else None
        if ref is None and media_id:
            ref = media.get(media_id) or by_stem[member - 1].get(media_id)
        if ref is None:
            if media_id:
                counts.not_captured += 1
                counts.not_captured_expired += int(expired(sent_at, now))
            continue
        cache_key = (member, ref.name)
        if cache_key not in done:
            try:
                done[cache_key] = store.put(ref, declared)
                counts.stored += 1
            except MediaMismatch:
                done[cache_key] = None
                counts.sha_mismatch += 1
        if done[cache_key]:
            shas[message_id] = done[cache_key]
    if shas:
        import pyarrow as pa

        media_shas = pa.table({"message_id": list(shas), "sha": list(shas.values())})  # noqa: F841 - read in SQL
        con.execute(f"UPDATE {t.pending} SET media_sha256 = u.sha FROM media_shas u WHERE {t.pending}.message_id = u.message_id")
    return counts


def _forget_unreferenced_media(con, layout: DataLayout, shas: Iterable[str]) -> None:
    """Media copied for an item that then failed must not stay behind as an orphan copy."""
    for sha in set(shas):
        if not con.execute(f"SELECT count(*) FROM {MESSAGES} WHERE media_sha256 = ?", [sha]).fetchall()[0][0]:
            for f in (layout.media / sha[:2]).glob(f"{sha}*"):
                f.unlink(missing_ok=True)


def _remove_item(item: InboxItem) -> None:
    if item.kind == ITEM_FOLDER:
        shutil.rmtree(item.path)
    else:
        item.path.unlink()


def _keep_raw(layout: DataLayout, item: InboxItem, archive_id: str) -> str:
    """raw/<archive_id><ext> for a file; a folder is kept as raw/<archive_id>.zip (one file, so that
    every store's purge can remove it like any raw archive)."""
    layout.raw.mkdir(parents=True, exist_ok=True)
    if item.kind != ITEM_FOLDER:
        rel = Path("raw") / q.kept_name(archive_id, item.relative_name, False)
        shutil.move(str(item.path), layout.root / rel)
        return str(rel)
    rel = Path("raw") / f"{archive_id}.zip"
    tmp = layout.root / rel.with_suffix(".zip.part")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in item.members:
            zf.write(m, m.relative_to(item.path).as_posix())
    os.replace(tmp, layout.root / rel)
    shutil.rmtree(item.path)
    return str(rel)


def _quarantine(con, layout: DataLayout, item: InboxItem, result: ArchiveResult, sha: str, size: int,
                received_at: datetime, reason: str, run_id: str | None,
                rejects: list[tuple[int, int, str]] = ()) -> ArchiveResult:
    """Move the item aside, unchanged, with its reason beside it (nothing is lost), and register it.
    A symlink is not kept: it is registered and removed."""
    if item.kind == ITEM_SYMLINK:
        raw_path = None
        _ours(item.path.unlink)
    else:
        raw_path = _ours(q.move_aside, layout, item.path, result.archive_id, item.relative_name, reason)
    result.status, result.reason = QUARANTINED, reason
    result.message_count = result.new_message_count = result.media_count = 0
    result.chats = []
    reg.register(con, result, sha, size, received_at, raw_path=raw_path)
    reg.write_rejects(con, result.archive_id, list(rejects))
    audit.append(con, "archive_quarantined", {"archive_id": result.archive_id, "sha256": sha, "reason": reason},
                 run_id=run_id, ts=received_at)
    return result


def ingest_item(con, layout: DataLayout, item: InboxItem, *, received_at: datetime, run_id: str | None = None,
                sha: str | None = None, raw_retention_days: int = 0, max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
                max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES) -> tuple[ArchiveResult, dict[str, dict]]:
    """One inbox item into the warehouse (or into quarantine with a one-line reason). Returns the result
    and the changes (edits, revokes) to apply to messages already held (by the purge engine, later).
    ``received_at`` is the night's clock. A SystemFault leaves the item where it is (caller: retry later)."""
    size = item_size(item)
    sha = sha or reg.item_sha256(item.kind == ITEM_FOLDER, item.path, item.members)
    earlier = reg.rows_for(con, sha)
    active = [r for r in earlier if r[1] in (INGESTED, PARTIAL)]
    quarantined = [r for r in earlier if r[1] == QUARANTINED]
    if active or (quarantined and quarantined[-1][2] == received_at):
        result = ArchiveResult(reg.new_archive_id(con, sha), item.relative_name, DUPLICATE,
                               "byte-identical to an archive already registered")
        _ours(_remove_item, item) if item.kind != ITEM_SYMLINK else _ours(item.path.unlink)
        reg.register(con, result, sha, size, received_at)
        audit.append(con, "archive_duplicate", {"archive_id": result.archive_id, "sha256": sha}, run_id=run_id,
                     ts=received_at)
        return result, {}
    archive_id = quarantined[0][0] if quarantined else reg.new_archive_id(con, sha)
    kept_before = (con.execute("SELECT raw_path FROM archives WHERE archive_id = ?", [archive_id]).fetchall()[0][0]
                   if quarantined else None)
    result = ArchiveResult(archive_id, item.relative_name, INGESTED,
                           previous_status=QUARANTINED if quarantined else None)
    if item.kind == ITEM_SYMLINK:
        return _quarantine(con, layout, item, result, sha, size, received_at, SYMLINK_REASON, run_id), {}

    t = matching.Tables(archive_id)
    store = MediaStore(layout.media, layout.work, max_bytes=max_archive_bytes)
    container = None
    parsed: _Parsed | None = None
    try:
        try:
            container = open_container(item.path, work_dir=layout.work, max_body_chars=max_body_chars,
                                       max_archive_bytes=max_archive_bytes)
            parsed = _stage(con, t, container)
            result.rejected_count = len(parsed.rejects)
            has_other = bool(parsed.events) or any(v for v in parsed.counts.values())
            if parsed.messages == 0 and not has_other:
                reason = (f"no record could be read ({len(parsed.rejects)} rejected): {_most_common(parsed.rejects)}"
                          if parsed.rejects else "no messages found in the export")
                t.drop(con)
                return _quarantine(con, layout, item, result, sha, size, received_at, reason, run_id,
                                   parsed.rejects), {}
            matching.key(con, t)
            matching.match_and_add(con, t, archive_id, result)
            outcome = _apply_events(con, t, parsed)
            media_counts = _store_media(con, t, parsed, store, received_at)
        except SystemFault:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure to read an item quarantines it, never the run
            if isinstance(exc, OSError) and item.kind == ITEM_FOLDER:
                # A folder of the inbox we cannot list or read: our data folder's permissions, not a file's.
                raise reg.system_fault(exc) from None
            reason = reg.one_line(exc) if isinstance(exc, NotAnExport) else f"could not be read ({type(exc).__name__})"
            t.drop(con)
            _forget_unreferenced_media(con, layout, store.stored)
            return _quarantine(con, layout, item, result, sha, size, received_at, reason, run_id,
                               parsed.rejects if parsed else ()), {}
        finally:
            if container is not None:
                container.close()

        result.message_count = parsed.messages
        result.new_message_count = con.execute(f"SELECT count(*) FROM {t.pending}").fetchall()[0][0]
        result.media_count = media_counts.stored
        result.counts = {**parsed.counts, **media_counts.as_dict(), **outcome.counts()}
        if parsed.rejects:
            result.status, result.reason = PARTIAL, f"{len(parsed.rejects)} record(s) could not be read"
        first = result.chats[0] if result.chats else None
        source_format = parsed.chats[0].source_format if parsed.chats else None
        chat_name = first.chat_name if first else None

        # Lake first (idempotent file names), then one warehouse transaction: a crash in between is
        # repaired by the next run, which parses the still-present inbox item again.
        columns = ", ".join(MESSAGE_COLUMN_NAMES)
        if result.new_message_count:
            _ours(lake.write_archive_rows, con, f"SELECT {columns} FROM {t.pending}", layout.lake_messages,
                  layout.work / f"lake-{archive_id}", archive_id)
        raw_rel = None
        if raw_retention_days > 0:
            raw_rel = str(Path("raw") / (f"{archive_id}.zip" if item.kind == ITEM_FOLDER
                                         else q.kept_name(archive_id, item.relative_name, False)))
        try:
            _ours(con.execute, "BEGIN TRANSACTION")
            _ours(con.execute, f"INSERT INTO {MESSAGES} BY NAME SELECT {columns} FROM {t.pending}")
            reg.register(con, result, sha, size, received_at, source_format=source_format,
                         chat_id=first.chat_id if first else None, chat_name=chat_name, raw_path=raw_rel)
            reg.write_chats(con, result)
            reg.write_rejects(con, archive_id, parsed.rejects)
            ev.write_reactions(con, outcome, archive_id)
            audit.append(con, "archive_ingested", {
                "archive_id": archive_id, "sha256": sha, "status": result.status, "messages": result.message_count,
                "new_messages": result.new_message_count, "media": result.media_count,
                "rejected": result.rejected_count, "chat_match": result.chat_match,
                "chats": [{"position": c.position, "chat_id": c.chat_id, "match": c.chat_match,
                           "messages": c.message_count, "new_messages": c.new_message_count} for c in result.chats],
                "counts": result.counts}, run_id=run_id, ts=received_at)
            _ours(con.execute, "COMMIT")
        except BaseException as exc:
            con.execute("ROLLBACK")
            if isinstance(exc, Exception) and not isinstance(exc, KeyboardInterrupt):
                lake.remove_archive_files(layout.lake_messages, archive_id)
                if reg.is_system_error(exc):
                    raise reg.system_fault(exc) from None
            raise
        try:
            if kept_before:   # ingested at last: the copy kept in quarantine has served its purpose
                q.remove_kept(layout, kept_before)
            if raw_rel:
                _keep_raw(layout, item, archive_id)
            else:
                _remove_item(item)
        except OSError:
            pass   # registered: a copy left behind is a duplicate of itself tomorrow, and removed then
        return result, outcome.held_changes
    except SystemFault:
        t.drop(con)
        _forget_unreferenced_media(con, layout, store.stored)
        raise
    finally:
        t.drop(con)


def _retry_later(con, item: InboxItem, sha: str | None, fault: SystemFault, received_at: datetime,
                 run_id: str | None) -> ArchiveResult:
    result = ArchiveResult((sha or "")[:20], item.relative_name, RETRY_LATER, str(fault))
    try:
        audit.append(con, "archive_retry_later", {"archive_id": result.archive_id, "error": str(fault)},
                     run_id=run_id, ts=received_at)
    except Exception:  # noqa: BLE001 - the warehouse itself may be what failed; the item waits anyway
        pass
    return result


def ingest_inbox(layout: DataLayout, *, now: datetime, run_id: str | None = None,
                 raw_retention_days: int = 0, quarantine_retention_days: int = DEFAULT_QUARANTINE_RETENTION_DAYS,
                 max_body_chars: int = DEFAULT_MAX_BODY_CHARS, max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
                 max_night_bytes: int = DEFAULT_MAX_NIGHT_BYTES) -> IngestSummary:
    """Ingest every item waiting in the inbox tree. Never raises for a bad file.

    ``now`` is the real clock, read by the entry point: it stamps ``received_at`` and decides when
    kept raw archives and quarantined files expire. ``O3_AS_OF`` never plays a part here.

    Bounded work: an item expanding to more than ``max_archive_bytes`` (or more than a whole night's
    ``max_night_bytes``) is quarantined; once the items handled this night would expand to more than
    ``max_night_bytes``, the rest stay in the inbox for the next night (``left_in_inbox``).

    ``raw_retention_days`` (``O3_RAW_RETENTION_DAYS``; 0 removes an item once ingested) and
    ``quarantine_retention_days`` (``O3_QUARANTINE_RETENTION_DAYS``) are the configured keep times."""
    archive_cap = min(max_archive_bytes, max_night_bytes)   # one that no night can take is refused
    layout.ensure()
    summary = IngestSummary()
    # A disposal or erasure cut short by a crash is finished before anything new comes in.
    summary.purges_resumed = len(purge.resume_pending(layout, now=now))
    changes: dict[str, dict] = {}
    con = warehouse.connect(layout.warehouse)
    try:
        ensure_purged_schema(con)
        summary.migration = migrate.ensure_identity_v2(con, layout, now=now, run_id=run_id)
        items = discover(layout.inbox)
        if items:   # a night with nothing new skips it: building it from Arrow imports pandas (start-up time)
            matching.spellings_table(con)
        for n, item in enumerate(items):
            try:
                need = item_expanded_size(item)
            except OSError:
                need = 0
            if need <= archive_cap and summary.bytes_expanded + need > max_night_bytes:
                summary.left_in_inbox = len(items) - n   # oldest first: these go first tomorrow
                summary.left_items.extend(i.relative_name for i in items[n:])
                break
            sha = None
            try:
                sha = (reg.item_sha256(item.kind == ITEM_FOLDER, item.path, item.members) if item.kind != ITEM_SYMLINK
                       else reg.hashlib.sha256(f"o3-symlink\x1f{item.relative_name}".encode()).hexdigest())
                summary.inbox_files.append((item.relative_name, sha))
                result, held = ingest_item(con, layout, item, run_id=run_id, sha=sha, received_at=now,
                                           raw_retention_days=raw_retention_days, max_body_chars=max_body_chars,
                                           max_archive_bytes=archive_cap)
            except SystemFault as fault:
                result, held = _retry_later(con, item, sha, fault, now, run_id), {}
                summary.left_items.append(item.relative_name)
            except OSError as exc:   # the item itself cannot be read (permission on the file): the file's
                result, held = _unreadable(con, layout, item, exc, now, run_id, summary), {}
            summary.archives.append(result)
            ev.merge_changes(changes, held)
            if result.status not in (DUPLICATE, RETRY_LATER) and need <= archive_cap:
                summary.bytes_expanded += need
        summary.folders_removed = remove_empty_folders(layout.inbox)
        if summary.left_in_inbox:
            audit.append(con, "inbox_left_for_next_night", {"files": summary.left_in_inbox,
                                                            "max_night_bytes": max_night_bytes}, run_id=run_id, ts=now)
        summary.raw_removed = remove_expired_raw_archives(con, layout, now, raw_retention_days=raw_retention_days,
                                                          quarantine_retention_days=quarantine_retention_days,
                                                          run_id=run_id)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    if changes:
        # Edits and revokes of messages held already: in every store, the earlier text gone (purge engine).
        done = purge.apply_changes(layout, now=now, updates=changes, run_id=run_id, event="messages_changed_by_sender",
                                   details={"messages": len(changes)})
        summary.messages_changed = done.messages_updated
    return summary


def _unreadable(con, layout: DataLayout, item: InboxItem, exc: OSError, now: datetime, run_id: str | None,
                summary: IngestSummary) -> ArchiveResult:
    """An item we may not read: quarantined under a hash of its place (its bytes cannot be hashed)."""
    sha = reg.hashlib.sha256(f"o3-unreadable\x1f{item.relative_name}".encode()).hexdigest()
    summary.inbox_files.append((item.relative_name, sha))
    result = ArchiveResult(reg.new_archive_id(con, sha), item.relative_name, INGESTED)
    try:
        return _quarantine(con, layout, item, result, sha, 0, now, f"could not be read ({type(exc).__name__})",
                           run_id)
    except SystemFault as fault:
        summary.left_items.append(item.relative_name)
        return _retry_later(con, item, sha, fault, now, run_id)


def remove_expired_raw_archives(con, layout: DataLayout, now: datetime, *, raw_retention_days: int = 0,
                                quarantine_retention_days: int = DEFAULT_QUARANTINE_RETENTION_DAYS,
                                run_id: str | None = None) -> int:
    """Raw archives are kept only as long as configured, and quarantined items too (they are unread
    copies of chats: someone fixes or re-exports them, or they go). Their sha256 stays in the registry."""
    from datetime import timedelta

    keep = {INGESTED: timedelta(days=raw_retention_days), PARTIAL: timedelta(days=raw_retention_days),
            QUARANTINED: timedelta(days=quarantine_retention_days)}
    rows = con.execute("SELECT archive_id, status, raw_path, received_at FROM archives "
                       "WHERE raw_path IS NOT NULL").fetchall()
    removed = 0
    for archive_id, status, raw_path, received_at in rows:
        if received_at + keep.get(status, timedelta(0)) <= now:
            q.remove_kept(layout, raw_path)
            con.execute("UPDATE archives SET raw_path = NULL, raw_removed_at = ? WHERE archive_id = ?", [now, archive_id])
            removed += 1
    if removed:
        audit.append(con, "raw_archives_removed", {"count": removed}, run_id=run_id, ts=now)
    return removed
