"""The append-only, hash-chained audit log.

Each row's hash covers the previous row's hash and the row's own fields, so editing, removing or
reordering any row breaks the chain. The head of the chain (last sequence number and hash) is also
written beside the warehouse, so that cutting rows off the end is detected too. Details never hold
message content or raw identifiers: callers pass counts, ids and keyed hashes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from o3_governance.storage.catalog import table_exists
from o3_governance.vocabulary import AUDIT_LOG

GENESIS = "0" * 64

AUDIT_DDL = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq        BIGINT PRIMARY KEY,
    ts         TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR,
    event      VARCHAR NOT NULL,
    details    VARCHAR NOT NULL,   -- canonical JSON
    prev_hash  VARCHAR NOT NULL,
    row_hash   VARCHAR NOT NULL
)
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(AUDIT_DDL)


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


def row_hash(prev_hash: str, seq: int, ts: datetime, run_id: str | None, event: str, details: str) -> str:
    ts_utc = ts.astimezone(timezone.utc).isoformat(timespec="microseconds")
    payload = "\x1f".join([prev_hash, str(seq), ts_utc, run_id or "", event, details])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _head_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if not row or not row[0]:
        return None
    return Path(row[0]).with_name("audit_head.json")


def append(con: duckdb.DuckDBPyConnection, event: str, details: dict[str, Any] | None = None,
           run_id: str | None = None, *, ts: datetime) -> str:
    """Append one event at ``ts`` (an aware instant the caller read from its clock); returns its hash.
    Works inside the caller's transaction if one is open."""
    ensure_schema(con)
    details_json = _canonical(details or {})
    last = con.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ts = ts.astimezone(timezone.utc)
    h = row_hash(prev, seq, ts, run_id, event, details_json)
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)", [seq, ts, run_id, event, details_json, prev, h])
    head = _head_file(con)
    if head is not None:
        head.write_text(json.dumps({"seq": seq, "row_hash": h}))
    return h


@dataclass
class Verification:
    ok: bool
    rows: int
    problem: str | None = None  # one line: which row and what is wrong

    def __bool__(self) -> bool:
        return self.ok


def verify(con: duckdb.DuckDBPyConnection) -> Verification:
    if not table_exists(con, AUDIT_LOG):
        return Verification(True, 0)
    rows = con.execute(
        "SELECT seq, ts, run_id, event, details, prev_hash, row_hash FROM audit_log ORDER BY seq").fetchall()
    prev = GENESIS
    expected_seq = 1
    for seq, ts, run_id, event, details, prev_hash, stored in rows:
        if seq != expected_seq:
            return Verification(False, len(rows), f"row {expected_seq}: sequence broken (found {seq}): removed or reordered")
        if prev_hash != prev:
            return Verification(False, len(rows), f"row {seq}: previous-hash link broken")
        if row_hash(prev, seq, ts, run_id, event, details) != stored:
            return Verification(False, len(rows), f"row {seq}: contents do not match its hash (edited)")
        prev = stored
        expected_seq += 1
    head = _head_file(con)
    if head is not None and head.exists():
        recorded = json.loads(head.read_text())
        last_seq = rows[-1][0] if rows else 0
        if recorded["seq"] > last_seq:
            return Verification(False, len(rows), f"rows after {last_seq} removed (head says {recorded['seq']})")
        if recorded["seq"] == last_seq and rows and recorded["row_hash"] != rows[-1][6]:
            return Verification(False, len(rows), f"row {last_seq}: differs from the recorded head")
    return Verification(True, len(rows))
