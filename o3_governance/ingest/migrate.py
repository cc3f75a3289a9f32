"""The one-time migration of an existing warehouse to message identity v2 (see ``identity``).

Detected by the row ``schema_versions(component='message_identity')``; runs on its own at the start of
the first ingest that finds it missing. Crash-safe in two idempotent steps:

1. One warehouse transaction: every table with a ``message_id`` column (``purge.plan.message_id_tables``:
   messages, findings, scan_state, retention, deletion list items, access-export items, restriction
   marks, reactions, ...) has its ids re-keyed to v2; ``messages.content_key`` is filled; the
   fingerprints of purged messages are marked ``key_version = 1`` (a fingerprint cannot be turned back
   into an id: ingest checks every incoming message's v1 ids against them, so nothing purged before the
   migration comes back); the version row is written with ``lake_rebuilt = false``.
2. The Parquet lake is rebuilt from the warehouse under ``tmp/lake-v2/`` (a marker file says it is
   complete) and swapped in by renames; then ``lake_rebuilt = true``. A crash anywhere in this step is
   finished by the next run (the old lake is never deleted before the new one is in place).
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime

from o3_governance.ingest import identity
from o3_governance.purge.plan import message_id_tables
from o3_governance.purge.tombstones import ensure_purged_schema
from o3_governance.storage import audit, warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import ARCHIVES, MESSAGES, PURGED_MESSAGES

COMPONENT = "message_identity"
VERSION = 2
COMPLETE_MARKER = "_o3_lake_complete"


def _state(con) -> tuple[int, bool] | None:
    row = con.execute("SELECT version, lake_rebuilt FROM schema_versions WHERE component = ?", [COMPONENT]).fetchall()
    return (row[0][0], bool(row[0][1])) if row else None


def rekey_sql() -> str:
    """old id → v2 id and content key of every held message. Identical messages of a chat are told
    apart in the order they were received (archive, then line)."""
    return (
        f"WITH b AS (SELECT m.message_id AS old_id, m.chat_id, m.sent_local, m.author, m.message_type, m.line_no, "
        f"m.archive_id, a.received_at, {identity.BODY_KEY_SQL.replace('body', 'm.body').replace('message_type', 'm.message_type')} "
        f"AS body_key FROM {MESSAGES} m LEFT JOIN {ARCHIVES} a USING (archive_id)), "
        f"o AS (SELECT *, row_number() OVER (PARTITION BY chat_id, {identity.OCCURRENCE_PARTITION} "
        "ORDER BY received_at NULLS LAST, archive_id, line_no, old_id) - 1 AS occurrence FROM b) "
        f"SELECT old_id, {identity.v2_id_sql('chat_id')} AS new_id, {identity.content_key_sql()} AS content_key FROM o")


def ensure_identity_v2(con, layout: DataLayout, *, now: datetime, run_id: str | None = None) -> dict | None:
    """Migrate once (or finish a migration a crash interrupted). Returns what was done, or None."""
    ensure_purged_schema(con)
    state = _state(con)
    if state is not None and state[0] >= VERSION:
        if not state[1]:
            rebuild_lake(con, layout)
            con.execute("UPDATE schema_versions SET lake_rebuilt = true WHERE component = ?", [COMPONENT])
            return {"lake_rebuilt": True, "resumed": True}
        return None
    done: dict = {"tables": {}}
    con.execute("BEGIN TRANSACTION")
    try:
        done["legacy_tombstones"] = con.execute(
            f"UPDATE {PURGED_MESSAGES} SET key_version = 1").fetchall()[0][0]
        held = con.execute(f"SELECT count(*) FROM {MESSAGES}").fetchall()[0][0]
        done["messages"] = held
        if held:
            con.execute(f"CREATE OR REPLACE TEMP TABLE o3_rekey AS {rekey_sql()}")
            con.execute(f"UPDATE {MESSAGES} SET content_key = r.content_key FROM o3_rekey r "
                        f"WHERE {MESSAGES}.message_id = r.old_id")
            for table in message_id_tables(con):
                n = con.execute(f'UPDATE "{table}" SET message_id = r.new_id FROM o3_rekey r '
                                f'WHERE "{table}".message_id = r.old_id').fetchall()[0][0]
                done["tables"][table] = n
            con.execute("DROP TABLE o3_rekey")
        con.execute("INSERT INTO schema_versions VALUES (?, ?, ?, ?)", [COMPONENT, VERSION, now, held == 0])
        audit.append(con, "message_ids_migrated", {"version": VERSION, **done}, run_id=run_id, ts=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if held:
        rebuild_lake(con, layout)
        con.execute("UPDATE schema_versions SET lake_rebuilt = true WHERE component = ?", [COMPONENT])
        done["lake_rebuilt"] = True
    con.execute("CHECKPOINT")
    return done


def rebuild_lake(con, layout: DataLayout) -> None:
    """Write the lake anew from the warehouse and swap it in; every step can be repeated after a crash."""
    target = layout.lake_messages
    fresh = layout.work / "lake-v2"
    old = layout.work / "lake-v1"
    if not (target / COMPLETE_MARKER).exists():
        if not (fresh / COMPLETE_MARKER).exists():
            if fresh.exists():
                shutil.rmtree(fresh)
            fresh.mkdir(parents=True)
            columns = ", ".join(c for c, _ in warehouse.MESSAGE_COLUMNS)
            if con.execute(f"SELECT count(*) FROM {MESSAGES}").fetchall()[0][0]:
                path = str(fresh).replace("'", "''")
                con.execute(f"COPY (SELECT {columns} FROM {MESSAGES}) TO '{path}' (FORMAT PARQUET, "
                            "PARTITION_BY (chat_id, month), WRITE_PARTITION_COLUMNS true, "
                            "FILENAME_PATTERN 'part-v2-{i}', COMPRESSION zstd, OVERWRITE_OR_IGNORE true)")
            (fresh / COMPLETE_MARKER).write_text("complete\n", encoding="utf-8")
        if target.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(target, old)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(fresh, target)
    if old.exists():
        shutil.rmtree(old)
    (target / COMPLETE_MARKER).unlink(missing_ok=True)
