"""The one mechanism that changes or removes stored messages, in every store at once.

Retention (delete / anonymise) and data-subject rights (erasure, rectification, redaction) call
``apply_changes``. It reaches every place a message can live:

- the Parquet lake: only the files holding an affected message are rewritten (new file beside the old
  one, then an atomic rename), so the old bytes leave with the old file;
- the warehouse: ``messages`` and every other base table with a ``message_id`` column lose the rows of
  deleted messages; for messages whose ``body`` changes, the ``findings`` rows are replaced by the
  caller's ``new_findings`` (default: removed, because their offsets point into the old text);
- media: files of ``media/`` referenced by a deleted (or re-pointed) message are removed once no
  remaining message references the same sha256;
- raw archives still kept under ``raw/`` that hold an affected message (the archive the message came
  from, or any kept export of the same chat, which repeats it) are removed and
  ``archives.raw_path`` is cleared;
- earlier access exports under ``exports/<id>/`` that hold an affected message (its id, its text, or
  its media file) are removed whole: a copy handed to the data subject is not kept by us. Which ones
  (their request ids, and how many affected messages each held) is in ``exports_affected``, so that
  the caller can say so and the export can be regenerated;
- a fingerprint of each deleted id goes into ``purged_messages`` (see ``was_purged``), so that a
  later export of the same chat, which repeats its whole history, does not bring it back;
- finally the DuckDB file is check-pointed and compacted (copied into a fresh file), so deleted
  rows leave no bytes behind, and one audit event with counts only is appended.

Crash safety: the whole plan is written to ``tmp/purge-journal-<purge_id>.json`` before anything
changes, every step is idempotent and the counts come from the plan, so running ``apply_changes``
or ``resume_pending`` again after a crash finishes the job. Per store, a crash leaves either the
old or the new state: each lake file is swapped atomically and the warehouse changes are one
transaction. The journal holds message ids and the new values only, never the old text.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from o3_governance.storage import audit, locking, warehouse
from o3_governance.config import DataLayout

# Columns a caller may change; keys (message_id, chat_id, month, dates) never move.
UPDATABLE_COLUMNS = frozenset({"body", "author", "author_phone", "attachment", "media_sha256", "message_type",
                               "language", "edited"})
JOURNAL_PREFIX = "purge-journal-"
TMP_SUFFIX = ".purge-tmp"
# Texts shorter than this are too common to tell one export from another ("ok", "Merci").
MIN_TEXT_NEEDLE = 8

# Deleted messages leave a keyed fingerprint (never the id itself, no message_id column, so no sweep
# removes it): WhatsApp exports repeat the whole history, and ingest must not bring them back.
PURGED_DDL = """CREATE TABLE IF NOT EXISTS purged_messages (
    message_key VARCHAR NOT NULL,   -- sha256('o3-purged:' || message_id)
    purged_at   TIMESTAMPTZ NOT NULL,
    event       VARCHAR NOT NULL
)"""


def purged_key_sql(column: str) -> str:
    """SQL for the fingerprint of a message id column, as stored in ``purged_messages``."""
    return f"sha256('o3-purged:' || {column})"


def purged_key(message_id: str) -> str:
    return hashlib.sha256(f"o3-purged:{message_id}".encode()).hexdigest()


def was_purged(con, message_ids) -> set[str]:
    """Which of these ids were deleted by a purge (for ingest: do not bring them back)."""
    ids = sorted(set(message_ids))
    if not ids or not _table_exists(con, "purged_messages"):
        return set()
    keys = {purged_key(i): i for i in ids}
    found = con.execute("SELECT DISTINCT message_key FROM purged_messages WHERE message_key IN "
                        "(SELECT unnest(?::VARCHAR[]))", [sorted(keys)]).fetchall()
    return {keys[k] for (k,) in found}


# As o3_governance.rights.register.REQUEST_ID_RE (not imported: purge sits below the rights domain).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")

STEPS = ("lake", "raw", "exports", "warehouse", "media", "compact", "audit")


class PurgeError(RuntimeError):
    """A purge request that cannot be carried out (one line, no content)."""


@dataclass
class PurgeResult:
    purge_id: str
    event: str
    messages_deleted: int = 0
    messages_updated: int = 0
    lake_files_rewritten: int = 0
    lake_files_removed: int = 0
    warehouse_rows_deleted: dict[str, int] = field(default_factory=dict)  # table -> rows, excl. messages
    findings_replaced: int = 0  # findings rows of updated messages removed
    findings_added: int = 0
    media_files_removed: int = 0
    raw_archives_removed: int = 0
    exports_removed: int = 0
    exports_affected: dict[str, int] = field(default_factory=dict)  # export request id -> affected messages
    compacted: bool = False
    resumed: bool = False

    def counts(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("event")
        d.pop("resumed")
        return d

    @classmethod
    def from_counts(cls, event: str, counts: Mapping[str, Any], resumed: bool = False) -> "PurgeResult":
        known = {k: v for k, v in counts.items() if k in cls.__dataclass_fields__}
        return cls(event=event, resumed=resumed, **known)


# ----------------------------------------------------------------------------------------------- API

def apply_changes(layout: DataLayout, *, delete_ids: set[str] | frozenset[str] | list[str] = (),
                  updates: Mapping[str, Mapping[str, object]] | None = None,
                  run_id: str | None = None, event: str = "messages_purged",
                  details: Mapping[str, Any] | None = None,
                  new_findings: Mapping[str, list[Mapping[str, Any]]] | None = None,
                  purge_id: str | None = None) -> PurgeResult:
    """Delete ``delete_ids`` and apply ``updates`` (message_id -> {column: value}) in every store.

    ``new_findings`` (message_id -> list of findings rows as dicts) replaces the findings of updated
    messages whose body changes; without it those findings are removed. ``details`` goes into the
    audit event next to the counts: counts and ids only, never content. ``purge_id`` names the
    job; it defaults to a hash of the request, so the same request is done once. Pending purges
    left by a crash are finished first.
    """
    updates = {str(k): dict(v) for k, v in (updates or {}).items()}
    delete_ids = {str(i) for i in delete_ids}
    for mid, cols in updates.items():
        bad = set(cols) - UPDATABLE_COLUMNS
        if bad:
            raise PurgeError(f"cannot update column(s) {sorted(bad)}: only {sorted(UPDATABLE_COLUMNS)}")
        for col, value in cols.items():  # checked before the journal: a bad value must not block every purge
            wanted = bool if col == "edited" else str
            if value is not None and not isinstance(value, wanted):
                raise PurgeError(f"update of {col} must be {wanted.__name__} or None")
    for mid in delete_ids & set(updates):  # deleting wins
        updates.pop(mid)
    new_findings = {str(k): [dict(r) for r in v] for k, v in (new_findings or {}).items() if str(k) in updates}
    for rows in new_findings.values():
        for r in rows:
            if not (isinstance(r.get("entity_type"), str) and isinstance(r.get("start"), int)
                    and isinstance(r.get("end"), int) and 0 <= r["start"] <= r["end"]):
                raise PurgeError("each new finding needs entity_type (text) and start <= end (whole numbers)")
    request = {"delete_ids": sorted(delete_ids), "updates": updates, "new_findings": new_findings}
    request_hash = _hash(request)
    explicit = purge_id is not None
    purge_id = purge_id or request_hash[:20]
    if not all(c.isalnum() or c in "-_" for c in purge_id):
        raise PurgeError("purge_id may hold only letters, digits, '-' and '_'")

    layout.work.mkdir(parents=True, exist_ok=True)
    with _lock(layout):
        for other in _pending_journals(layout):
            if other.name != _journal_path(layout, purge_id).name:
                _run(layout, _read_journal(other), resumed=True)
        journal_path = _journal_path(layout, purge_id)
        if journal_path.exists():
            journal = _read_journal(journal_path)
            if journal["request_hash"] != request_hash:
                raise PurgeError(f"purge {purge_id} is pending with a different request; resume it first")
            return _run(layout, journal, resumed=True)
        # A named job that already finished is not done twice. An unnamed request is planned afresh:
        # the same ids may have come back since (a later export of the chat re-ingested them).
        done = _completed_counts(layout, purge_id) if explicit else None
        if done is not None:
            return PurgeResult.from_counts(done[0], done[1], resumed=True)
        journal = _plan(layout, purge_id, request, request_hash, run_id, event, dict(details or {}))
        _write_journal(layout, journal)
        return _run(layout, journal, resumed=False)


def resume_pending(layout: DataLayout) -> list[PurgeResult]:
    """Finish every purge a crash interrupted (oldest first)."""
    if not layout.work.exists():
        return []
    with _lock(layout):
        return [_run(layout, _read_journal(p), resumed=True) for p in _pending_journals(layout)]


def pending_purges(layout: DataLayout) -> list[str]:
    return [p.name[len(JOURNAL_PREFIX):-len(".json")] for p in _pending_journals(layout)]


def completed(layout: DataLayout, purge_id: str) -> PurgeResult | None:
    """The result of a finished purge, read back from its audit event; None when not finished."""
    done = _completed_counts(layout, purge_id)
    return PurgeResult.from_counts(done[0], done[1], resumed=True) if done else None


# ---------------------------------------------------------------------------------------- planning

def _plan(layout: DataLayout, purge_id: str, request: dict, request_hash: str, run_id: str | None,
          event: str, details: dict) -> dict:
    """Find every copy of every affected message; nothing is changed here."""
    delete_ids = set(request["delete_ids"])
    updates: dict[str, dict] = request["updates"]
    affected = delete_ids | set(updates)
    plan: dict[str, Any] = {"lake_files": [], "raw_archives": [], "exports": [], "media_shas": [],
                            "tables": {}, "findings_replace_ids": []}
    counts: dict[str, Any] = {"messages_deleted": 0, "messages_updated": 0, "warehouse_rows_deleted": {},
                              "findings_replaced": 0, "findings_added": 0}
    rows: list[tuple] = []
    if affected and layout.warehouse.exists():
        with warehouse.open_warehouse(layout.warehouse) as con:
            _register_ids(con, "purge_affected", affected)
            rows = con.execute(
                "SELECT m.message_id, m.archive_id, m.chat_id, m.media_sha256, m.body FROM messages m "
                "JOIN purge_affected a USING (message_id)").fetchall()
            present = {r[0] for r in rows}
            counts["messages_deleted"] = len(present & delete_ids)
            counts["messages_updated"] = len(present & set(updates))
            _register_ids(con, "purge_deleted", delete_ids)
            for table in _message_id_tables(con):
                if table == "messages":
                    continue
                n = _scalar(con, f'SELECT count(*) FROM "{table}" WHERE message_id IN '
                                 f'(SELECT message_id FROM purge_deleted)')
                plan["tables"][table] = n
                counts["warehouse_rows_deleted"][table] = n
            body_changed = sorted(m for m, cols in updates.items() if "body" in cols and m in present)
            plan["findings_replace_ids"] = body_changed
            if body_changed and _table_exists(con, "findings"):
                _register_ids(con, "purge_body_changed", body_changed)
                counts["findings_replaced"] = _scalar(
                    con, "SELECT count(*) FROM findings WHERE message_id IN (SELECT message_id FROM purge_body_changed)")
                counts["findings_added"] = sum(len(request["new_findings"].get(m, [])) for m in body_changed)
            archive_ids = sorted({r[1] for r in rows if r[1]})
            chat_ids = sorted({r[2] for r in rows if r[2]})
            plan["raw_archives"] = [list(r) for r in con.execute(
                "SELECT archive_id, raw_path FROM archives WHERE raw_path IS NOT NULL AND "
                "(archive_id IN (SELECT unnest(?::VARCHAR[])) OR chat_id IN (SELECT unnest(?::VARCHAR[]))) "
                "ORDER BY archive_id", [archive_ids, chat_ids]).fetchall()]
    # Media whose last reference may go: of deleted messages, and of updated ones re-pointed elsewhere.
    media = {r[3] for r in rows if r[3] and (r[0] in delete_ids or "media_sha256" in updates.get(r[0], {}))}
    plan["media_shas"] = sorted(media)
    plan["lake_files"] = _lake_files_holding(layout, affected)
    held = _exports_holding(layout, rows)
    plan["exports"] = sorted(held)
    counts["raw_archives_removed"] = len(plan["raw_archives"])
    counts["exports_removed"] = len(plan["exports"])
    counts["exports_affected"] = {_export_request_id(name): n for name, n in sorted(held.items())
                                  if _export_request_id(name)}
    return {
        "purge_id": purge_id, "request_hash": request_hash, "created_at": _now().isoformat(),
        "run_id": run_id, "event": event, "details": details, "request": request, "plan": plan,
        "counts": counts, "done": [],
    }


def _lake_files_holding(layout: DataLayout, ids: set[str]) -> list[str]:
    files = sorted(layout.lake_messages.glob("*/*/*.parquet")) if layout.lake_messages.exists() else []
    if not ids or not files:
        return []
    con = duckdb.connect(":memory:")
    try:
        _register_ids(con, "wanted", ids)
        pattern = str(layout.lake_messages / "*" / "*" / "*.parquet").replace("'", "''")
        found = con.execute(
            f"SELECT DISTINCT filename FROM read_parquet('{pattern}', filename=true, hive_partitioning=false, "
            f"union_by_name=true) WHERE message_id IN (SELECT message_id FROM wanted)").fetchall()
    finally:
        con.close()
    return sorted(str(Path(f).relative_to(layout.root)) for (f,) in found)


def _needles(row: tuple) -> list[bytes]:
    """What betrays one message in a file: its id, its text (as written in JSON or CSV)."""
    message_id, _a, _c, _m, body = row
    out: set[bytes] = {message_id.encode()}
    if body and len(body) >= MIN_TEXT_NEEDLE:
        for form in (body, json.dumps(body, ensure_ascii=False)[1:-1], json.dumps(body)[1:-1],
                     body.replace('"', '""')):
            out.add(form.encode("utf-8"))
    return sorted(out)


def _exports_holding(layout: DataLayout, rows: list[tuple]) -> dict[str, int]:
    """Export folder name -> how many of the affected messages it holds (by id, text or media file)."""
    if not rows or not layout.exports.exists():
        return {}
    needles = [(row[3], _needles(row)) for row in rows]
    hit: dict[str, int] = {}
    for folder in sorted(p for p in layout.exports.iterdir() if p.is_dir()):
        n = _messages_held(folder, needles)
        if n:
            hit[folder.name] = n
    return hit


def _messages_held(folder: Path, needles: list[tuple[str | None, list[bytes]]]) -> int:
    found = [False] * len(needles)
    for f in folder.rglob("*"):
        if not f.is_file():
            continue
        data = f.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        for i, (media_sha, message_needles) in enumerate(needles):
            if not found[i] and (media_sha == sha or any(n in data for n in message_needles)):
                found[i] = True
        if all(found):
            break
    return sum(found)


def _export_request_id(folder_name: str) -> str | None:
    """The request id an export folder belongs to (``<id>`` or a staging ``.<id>.partial``); None for a
    folder that is not named like a request id (it is removed and counted, never named)."""
    name = folder_name
    if name.startswith(".") and name.endswith(".partial"):
        name = name[1:-len(".partial")]
    return name if _REQUEST_ID.fullmatch(name) else None


# --------------------------------------------------------------------------------------- execution

def _run(layout: DataLayout, journal: dict, resumed: bool) -> PurgeResult:
    done: list[str] = journal["done"]
    for step in STEPS:
        if step in done:
            continue
        extra = _STEP_FUNCS[step](layout, journal)
        if extra:
            journal["counts"].update(extra)
        done.append(step)
        _write_journal(layout, journal)
    _journal_path(layout, journal["purge_id"]).unlink(missing_ok=True)
    return PurgeResult.from_counts(journal["event"], {"purge_id": journal["purge_id"], **journal["counts"]},
                                   resumed=resumed)


def _step_lake(layout: DataLayout, journal: dict) -> dict:
    request = journal["request"]
    delete_ids = set(request["delete_ids"])
    updates = request["updates"]
    rewritten = removed = 0
    for rel in journal["plan"]["lake_files"]:
        path = layout.root / rel
        tmp = path.with_name("." + path.name + TMP_SUFFIX)
        tmp.unlink(missing_ok=True)  # a half-written file from an earlier crash
        if not path.exists():
            removed += 1  # an earlier attempt emptied and removed it
            continue
        table = pq.ParquetFile(path).read()
        ids = table.column("message_id").to_pylist()
        keep = [i for i, mid in enumerate(ids) if mid not in delete_ids]
        if len(keep) != len(ids):
            table = table.take(pa.array(keep, type=pa.int64()))
            ids = [ids[i] for i in keep]
        table = _apply_updates(table, ids, updates)
        if table.num_rows == 0:
            path.unlink()
            _fsync_dir(path.parent)
            removed += 1
            continue
        pq.write_table(table, tmp, compression="zstd")
        _fsync_file(tmp)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        rewritten += 1
    for d in {(layout.root / rel).parent for rel in journal["plan"]["lake_files"]}:
        _remove_empty_dirs(d, stop=layout.lake_messages)
    return {"lake_files_rewritten": rewritten, "lake_files_removed": removed}


def _apply_updates(table: pa.Table, ids: list[str], updates: dict[str, dict]) -> pa.Table:
    rows = {i: updates[mid] for i, mid in enumerate(ids) if mid in updates}
    if not rows:
        return table
    columns = sorted({c for cols in rows.values() for c in cols})
    for col in columns:
        if col not in table.column_names:
            continue
        idx = table.column_names.index(col)
        values = table.column(col).to_pylist()
        for i, cols in rows.items():
            if col in cols:
                values[i] = cols[col]
        # Some writers declare columns "required" when no null was seen; a redaction may bring one.
        target = table.schema.field(idx).with_nullable(True)
        table = table.set_column(idx, target, pa.array(values, type=target.type))
    return table


def _step_raw(layout: DataLayout, journal: dict) -> dict:
    for _archive_id, raw_path in journal["plan"]["raw_archives"]:
        target = (layout.root / raw_path).resolve()
        if layout.root.resolve() in target.parents:  # never follow a path out of the data folder
            target.unlink(missing_ok=True)
    return {}


def _step_exports(layout: DataLayout, journal: dict) -> dict:
    for name in journal["plan"]["exports"]:
        folder = layout.exports / name
        if folder.exists():
            shutil.rmtree(folder)
    return {}


def _step_warehouse(layout: DataLayout, journal: dict) -> dict:
    if not layout.warehouse.exists():
        return {}
    request, plan = journal["request"], journal["plan"]
    delete_ids = request["delete_ids"]
    updates: dict[str, dict] = request["updates"]
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            _register_ids(con, "purge_deleted", delete_ids)
            for table in _message_id_tables(con):
                con.execute(f'DELETE FROM "{table}" WHERE message_id IN (SELECT message_id FROM purge_deleted)')
            con.execute(PURGED_DDL)
            con.execute(f"INSERT INTO purged_messages SELECT DISTINCT {purged_key_sql('d.message_id')}, ?, ? "
                        f"FROM purge_deleted d WHERE NOT EXISTS (SELECT 1 FROM purged_messages p "
                        f"WHERE p.message_key = {purged_key_sql('d.message_id')})", [_now(), journal["event"]])
            _update_messages(con, updates)
            replace_ids = plan["findings_replace_ids"]
            if replace_ids and _table_exists(con, "findings"):
                _register_ids(con, "purge_body_changed", replace_ids)
                con.execute("DELETE FROM findings WHERE message_id IN (SELECT message_id FROM purge_body_changed)")
                _insert_findings(con, [dict(r, message_id=m) for m in replace_ids
                                       for r in request["new_findings"].get(m, [])])
            archive_ids = [a for a, _ in plan["raw_archives"]]
            if archive_ids:
                con.execute("UPDATE archives SET raw_path = NULL, raw_removed_at = ? "
                            "WHERE archive_id IN (SELECT unnest(?::VARCHAR[]))", [_now(), archive_ids])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
    return {}


def _update_messages(con, updates: dict[str, dict]) -> None:
    if not updates:
        return
    types = dict(warehouse.MESSAGE_COLUMNS)
    groups: dict[tuple[str, ...], list[str]] = {}
    for mid, cols in updates.items():
        groups.setdefault(tuple(sorted(cols)), []).append(mid)
    for n, (cols, mids) in enumerate(sorted(groups.items())):
        arrays = {"message_id": pa.array(mids, type=pa.string())}
        for c in cols:
            arrays[c] = pa.array([updates[m][c] for m in mids],
                                 type=pa.bool_() if types[c] == "BOOLEAN" else pa.string())
        name = f"purge_updates_{n}"
        con.register(name, pa.table(arrays))
        sets = ", ".join(f'"{c}" = u."{c}"' for c in cols)
        con.execute(f"UPDATE messages SET {sets} FROM {name} u WHERE messages.message_id = u.message_id")
        con.unregister(name)


def _insert_findings(con, rows: list[dict]) -> None:
    if not rows:
        return
    existing = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'findings' ORDER BY ordinal_position"
    ).fetchall()]
    cols = [c for c in existing if any(c in r for r in rows)]
    placeholders = ", ".join("?" for _ in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    con.executemany(f"INSERT INTO findings ({quoted}) VALUES ({placeholders})",
                    [[r.get(c) for c in cols] for r in rows])


def _step_media(layout: DataLayout, journal: dict) -> dict:
    shas = journal["plan"]["media_shas"]
    if not shas:
        return {"media_files_removed": 0}
    referenced: set[str] = set()
    if layout.warehouse.exists():
        with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
            referenced = {r[0] for r in con.execute(
                "SELECT DISTINCT media_sha256 FROM messages WHERE media_sha256 IN (SELECT unnest(?::VARCHAR[]))",
                [shas]).fetchall()}
    removed = 0  # counted per sha, so a re-run after a crash reports the same number
    for sha in shas:
        if sha in referenced:
            continue
        for f in (layout.media / sha[:2]).glob(f"{sha}*"):
            f.unlink(missing_ok=True)
        removed += 1
    return {"media_files_removed": removed}


def _step_compact(layout: DataLayout, journal: dict) -> dict:
    c = journal["counts"]
    changed = (c["messages_deleted"] or c["messages_updated"] or any(c["warehouse_rows_deleted"].values())
               or c["raw_archives_removed"] or c["findings_replaced"])
    if not layout.warehouse.exists() or not changed:
        return {"compacted": False}
    warehouse.compact(layout.warehouse)
    return {"compacted": True}


def _step_audit(layout: DataLayout, journal: dict) -> dict:
    if _completed_counts(layout, journal["purge_id"]) is not None:
        return {}
    counts = {"purge_id": journal["purge_id"], **journal["counts"]}
    details = {**journal["details"], "purge": counts}
    with warehouse.open_warehouse(layout.warehouse) as con:
        audit.append(con, journal["event"], details, run_id=journal["run_id"], ts=_now())
        con.execute("CHECKPOINT")
    return {}


_STEP_FUNCS = {"lake": _step_lake, "raw": _step_raw, "exports": _step_exports, "warehouse": _step_warehouse,
               "media": _step_media, "compact": _step_compact, "audit": _step_audit}


# ------------------------------------------------------------------------------------------ helpers

def _completed_counts(layout: DataLayout, purge_id: str) -> tuple[str, dict] | None:
    if not layout.warehouse.exists():
        return None
    with warehouse.open_warehouse(layout.warehouse) as con:
        rows = con.execute(
            "SELECT event, details FROM audit_log WHERE contains(details, ?) ORDER BY seq DESC",
            [f'"purge_id":"{purge_id}"']).fetchall()
    for event, details in rows:
        purge = json.loads(details).get("purge") or {}
        if purge.get("purge_id") == purge_id:
            return event, purge
    return None


def _scalar(con, sql: str, params: list | None = None):
    # fetchall, not fetchone: DuckDB refuses register() while a result is left unfinished.
    return con.execute(sql, params or []).fetchall()[0][0]


def _table_exists(con, name: str) -> bool:
    return bool(_scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]))


def _message_id_tables(con) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_name = c.table_name AND t.table_schema = c.table_schema "
        "WHERE c.column_name = 'message_id' AND t.table_type = 'BASE TABLE' AND t.table_schema = 'main' "
        "ORDER BY c.table_name").fetchall()]


def _register_ids(con, name: str, ids) -> None:
    con.register(name, pa.table({"message_id": pa.array(sorted(ids), type=pa.string())}))


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _journal_path(layout: DataLayout, purge_id: str) -> Path:
    return layout.work / f"{JOURNAL_PREFIX}{purge_id}.json"


def _pending_journals(layout: DataLayout) -> list[Path]:
    if not layout.work.exists():
        return []
    found = [(json.loads(p.read_text()).get("created_at", ""), p) for p in layout.work.glob(f"{JOURNAL_PREFIX}*.json")]
    return [p for _, p in sorted(found)]


def _read_journal(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write_journal(layout: DataLayout, journal: dict) -> None:
    path = _journal_path(layout, journal["purge_id"])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(journal, sort_keys=True, default=str), encoding="utf-8")
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


@contextmanager
def _lock(layout: DataLayout) -> Iterator[None]:
    """One purge at a time per data folder (the compaction swaps the DuckDB file): the warehouse's
    writer lock, held for the whole purge and released by the kernel if the process dies."""
    with locking.writer_lock(layout):
        yield


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_empty_dirs(d: Path, stop: Path) -> None:
    while d != stop and stop in d.parents and d.exists() and not any(d.iterdir()):
        d.rmdir()
        d = d.parent
