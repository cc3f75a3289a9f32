"""One step per store, in the order ``STEPS``. Each step is idempotent (a re-run after a crash
finishes the job) and leaves its store either old or new: each lake file is swapped atomically, the
warehouse changes are one transaction. A step takes the layout, the journal and the time of the run,
and returns counts to add to the journal's (or nothing)."""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from o3_governance.storage.layout import DataLayout
from o3_governance.purge import journal as journals
from o3_governance.purge.plan import message_id_tables, register_ids
from o3_governance.purge.tombstones import CURRENT_KEY_VERSION, ensure_purged_schema, purged_key_sql
from o3_governance.storage import audit, warehouse
from o3_governance.vocabulary import ARCHIVES, FINDINGS, MESSAGES, PURGED_MESSAGES

if TYPE_CHECKING:  # pyarrow (and numpy with it) loads where a table is built
    import pyarrow as pa


STEPS = ("lake", "raw", "exports", "warehouse", "media", "compact", "audit")
TMP_SUFFIX = ".purge-tmp"

Step = Callable[[DataLayout, dict, datetime], "dict | None"]


def step_lake(layout: DataLayout, journal: dict, now: datetime) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

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
            journals.fsync_dir(path.parent)
            removed += 1
            continue
        pq.write_table(table, tmp, compression="zstd")
        journals.fsync_file(tmp)
        os.replace(tmp, path)
        journals.fsync_dir(path.parent)
        rewritten += 1
    for d in {(layout.root / rel).parent for rel in journal["plan"]["lake_files"]}:
        _remove_empty_dirs(d, stop=layout.lake_messages)
    return {"lake_files_rewritten": rewritten, "lake_files_removed": removed}


def _apply_updates(table: pa.Table, ids: list[str], updates: dict[str, dict]) -> pa.Table:
    import pyarrow as pa

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


def step_raw(layout: DataLayout, journal: dict, now: datetime) -> dict:
    for _archive_id, raw_path in journal["plan"]["raw_archives"]:
        target = (layout.root / raw_path).resolve()
        if layout.root.resolve() in target.parents:  # never follow a path out of the data folder
            target.unlink(missing_ok=True)
    return {}


def step_exports(layout: DataLayout, journal: dict, now: datetime) -> dict:
    for name in journal["plan"]["exports"]:
        folder = layout.exports / name
        if folder.exists():
            shutil.rmtree(folder)
    return {}


def step_warehouse(layout: DataLayout, journal: dict, now: datetime) -> dict:
    if not layout.warehouse.exists():
        return {}
    request, plan = journal["request"], journal["plan"]
    delete_ids = request["delete_ids"]
    updates: dict[str, dict] = request["updates"]
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            register_ids(con, "purge_deleted", delete_ids)
            # Tombstones first, while the messages still tell their chat (ingest's chat matching counts them).
            ensure_purged_schema(con)
            con.execute(f"INSERT INTO {PURGED_MESSAGES} (message_key, purged_at, event, chat_id, key_version) "
                        f"SELECT {purged_key_sql('d.message_id')}, ?, ?, any_value(m.chat_id), {CURRENT_KEY_VERSION} "
                        f"FROM purge_deleted d LEFT JOIN {MESSAGES} m ON m.message_id = d.message_id "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {PURGED_MESSAGES} p "
                        f"WHERE p.message_key = {purged_key_sql('d.message_id')}) GROUP BY d.message_id",
                        [now, journal["event"]])
            for table in message_id_tables(con):
                con.execute(f'DELETE FROM "{table}" WHERE message_id IN (SELECT message_id FROM purge_deleted)')
            _update_messages(con, updates)
            replace_ids = plan["findings_replace_ids"]
            if replace_ids and warehouse.table_exists(con, FINDINGS):
                register_ids(con, "purge_body_changed", replace_ids)
                con.execute(f"DELETE FROM {FINDINGS} WHERE message_id IN (SELECT message_id FROM purge_body_changed)")
                _insert_findings(con, [dict(r, message_id=m) for m in replace_ids
                                       for r in request["new_findings"].get(m, [])])
            archive_ids = [a for a, _ in plan["raw_archives"]]
            if archive_ids:
                con.execute(f"UPDATE {ARCHIVES} SET raw_path = NULL, raw_removed_at = ? "
                            "WHERE archive_id IN (SELECT unnest(?::VARCHAR[]))", [now, archive_ids])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
    return {}


def _update_messages(con, updates: dict[str, dict]) -> None:
    import pyarrow as pa

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
        con.execute(f"UPDATE {MESSAGES} SET {sets} FROM {name} u WHERE {MESSAGES}.message_id = u.message_id")
        con.unregister(name)


def _insert_findings(con, rows: list[dict]) -> None:
    if not rows:
        return
    existing = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [FINDINGS]).fetchall()]
    cols = [c for c in existing if any(c in r for r in rows)]
    placeholders = ", ".join("?" for _ in cols)
    quoted = ", ".join(f'"{c}"' for c in cols)
    con.executemany(f"INSERT INTO {FINDINGS} ({quoted}) VALUES ({placeholders})",
                    [[r.get(c) for c in cols] for r in rows])


def step_media(layout: DataLayout, journal: dict, now: datetime) -> dict:
    shas = journal["plan"]["media_shas"]
    if not shas:
        return {"media_files_removed": 0}
    referenced: set[str] = set()
    if layout.warehouse.exists():
        with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
            referenced = {r[0] for r in con.execute(
                f"SELECT DISTINCT media_sha256 FROM {MESSAGES} WHERE media_sha256 IN (SELECT unnest(?::VARCHAR[]))",
                [shas]).fetchall()}
    removed = 0  # counted per sha, so a re-run after a crash reports the same number
    for sha in shas:
        if sha in referenced:
            continue
        for f in (layout.media / sha[:2]).glob(f"{sha}*"):
            f.unlink(missing_ok=True)
        removed += 1
    return {"media_files_removed": removed}


def step_compact(layout: DataLayout, journal: dict, now: datetime) -> dict:
    c = journal["counts"]
    changed = (c["messages_deleted"] or c["messages_updated"] or any(c["warehouse_rows_deleted"].values())
               or c["raw_archives_removed"] or c["findings_replaced"])
    if not layout.warehouse.exists() or not changed:
        return {"compacted": False}
    warehouse.compact(layout.warehouse)
    return {"compacted": True}


def step_audit(layout: DataLayout, journal: dict, now: datetime) -> dict:
    if journals.completed_counts(layout, journal["purge_id"]) is not None:
        return {}
    counts = {"purge_id": journal["purge_id"], **journal["counts"]}
    details = {**journal["details"], "purge": counts}
    with warehouse.open_warehouse(layout.warehouse) as con:
        audit.append(con, journal["event"], details, run_id=journal["run_id"], ts=now)
        con.execute("CHECKPOINT")
    return {}


STEP_FUNCS: dict[str, Step] = {"lake": step_lake, "raw": step_raw, "exports": step_exports,
                               "warehouse": step_warehouse, "media": step_media, "compact": step_compact,
                               "audit": step_audit}


def _remove_empty_dirs(d: Path, stop: Path) -> None:
    while d != stop and stop in d.parents and d.exists() and not any(d.iterdir()):
        d.rmdir()
        d = d.parent
