"""Planning a purge: find every copy of every affected message, in every store. Nothing is changed
here; the plan goes into the journal before the first step runs, and the counts come from it, so a
re-run after a crash reports the same numbers."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import duckdb

from o3_governance.storage.layout import DataLayout
from o3_governance.storage import warehouse
from o3_governance.vocabulary import ARCHIVES, FINDINGS, MESSAGES

# Texts shorter than this are too common to tell one export from another ("ok", "Merci").
MIN_TEXT_NEEDLE = 8
# As o3_governance.rights.register.REQUEST_ID_RE (not imported: purge sits below the rights domain).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")


def plan(layout: DataLayout, purge_id: str, request: dict, request_hash: str, run_id: str | None,
         event: str, details: dict, now: datetime) -> dict:
    """The journal of a new purge: what each step will touch, and the counts it will report."""
    delete_ids = set(request["delete_ids"])
    updates: dict[str, dict] = request["updates"]
    affected = delete_ids | set(updates)
    where: dict[str, Any] = {"lake_files": [], "raw_archives": [], "exports": [], "media_shas": [],
                             "tables": {}, "findings_replace_ids": []}
    counts: dict[str, Any] = {"messages_deleted": 0, "messages_updated": 0, "warehouse_rows_deleted": {},
                              "findings_replaced": 0, "findings_added": 0}
    rows: list[tuple] = []
    if affected and layout.warehouse.exists():
        with warehouse.open_warehouse(layout.warehouse) as con:
            register_ids(con, "purge_affected", affected)
            rows = con.execute(
                f"SELECT m.message_id, m.archive_id, m.chat_id, m.media_sha256, m.body FROM {MESSAGES} m "
                "JOIN purge_affected a USING (message_id)").fetchall()
            present = {r[0] for r in rows}
            counts["messages_deleted"] = len(present & delete_ids)
            counts["messages_updated"] = len(present & set(updates))
            register_ids(con, "purge_deleted", delete_ids)
            for table in message_id_tables(con):
                if table == MESSAGES:
                    continue
                n = scalar(con, f'SELECT count(*) FROM "{table}" WHERE message_id IN '
                                f'(SELECT message_id FROM purge_deleted)')
                where["tables"][table] = n
                counts["warehouse_rows_deleted"][table] = n
            body_changed = sorted(m for m, cols in updates.items() if "body" in cols and m in present)
            where["findings_replace_ids"] = body_changed
            if body_changed and warehouse.table_exists(con, FINDINGS):
                register_ids(con, "purge_body_changed", body_changed)
                counts["findings_replaced"] = scalar(
                    con, f"SELECT count(*) FROM {FINDINGS} WHERE message_id IN "
                         f"(SELECT message_id FROM purge_body_changed)")
                counts["findings_added"] = sum(len(request["new_findings"].get(m, [])) for m in body_changed)
            archive_ids = sorted({r[1] for r in rows if r[1]})
            chat_ids = sorted({r[2] for r in rows if r[2]})
            where["raw_archives"] = [list(r) for r in con.execute(
                f"SELECT archive_id, raw_path FROM {ARCHIVES} WHERE raw_path IS NOT NULL AND "
                "(archive_id IN (SELECT unnest(?::VARCHAR[])) OR chat_id IN (SELECT unnest(?::VARCHAR[]))) "
                "ORDER BY archive_id", [archive_ids, chat_ids]).fetchall()]
    # Media whose last reference may go: of deleted messages, and of updated ones re-pointed elsewhere.
    media = {r[3] for r in rows if r[3] and (r[0] in delete_ids or "media_sha256" in updates.get(r[0], {}))}
    where["media_shas"] = sorted(media)
    where["lake_files"] = lake_files_holding(layout, affected)
    held = exports_holding(layout, rows)
    where["exports"] = sorted(held)
    counts["raw_archives_removed"] = len(where["raw_archives"])
    counts["exports_removed"] = len(where["exports"])
    counts["exports_affected"] = {export_request_id(name): n for name, n in sorted(held.items())
                                  if export_request_id(name)}
    return {
        "purge_id": purge_id, "request_hash": request_hash, "created_at": now.isoformat(),
        "run_id": run_id, "event": event, "details": details, "request": request, "plan": where,
        "counts": counts, "done": [],
    }


def lake_files_holding(layout: DataLayout, ids: set[str]) -> list[str]:
    files = sorted(layout.lake_messages.glob("*/*/*.parquet")) if layout.lake_messages.exists() else []
    if not ids or not files:
        return []
    con = duckdb.connect(":memory:")
    try:
        register_ids(con, "wanted", ids)
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


def exports_holding(layout: DataLayout, rows: list[tuple]) -> dict[str, int]:
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


def export_request_id(folder_name: str) -> str | None:
    """The request id an export folder belongs to (``<id>`` or a staging ``.<id>.partial``); None for a
    folder that is not named like a request id (it is removed and counted, never named)."""
    name = folder_name
    if name.startswith(".") and name.endswith(".partial"):
        name = name[1:-len(".partial")]
    return name if _REQUEST_ID.fullmatch(name) else None


# ------------------------------------------------------------------------ SQL helpers (plan and steps)

def scalar(con, sql: str, params: list | None = None):
    # fetchall, not fetchone: DuckDB refuses register() while a result is left unfinished.
    return con.execute(sql, params or []).fetchall()[0][0]


def message_id_tables(con) -> list[str]:
    """Every base table with a ``message_id`` column: all of them lose the rows of deleted messages."""
    return [r[0] for r in con.execute(
        "SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t "
        "ON t.table_name = c.table_name AND t.table_schema = c.table_schema "
        "WHERE c.column_name = 'message_id' AND t.table_type = 'BASE TABLE' AND t.table_schema = 'main' "
        "ORDER BY c.table_name").fetchall()]


def register_ids(con, name: str, ids: Iterable[str]) -> None:
    import pyarrow as pa

    con.register(name, pa.table({"message_id": pa.array(sorted(ids), type=pa.string())}))
