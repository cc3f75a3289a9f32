"""What other domains (reporting) may read of the rights domain's tables, with their real columns and
statuses (DDL in :mod:`o3_governance.rights.register`): the request register by id, kind, dates and
status, and how many messages are under a restriction of processing. Never the subject's key or
identifiers."""
from __future__ import annotations

from typing import Any

import duckdb

from o3_governance import vocabulary as v
from o3_governance.storage import warehouse

REQUEST_COLUMNS = ("request_id", "kind", "received_on", "due_date", "status", "completed_at")


def has_register(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.DSR_REQUESTS)


def requests(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every request, earliest deadline first, with ``open``: its status is one of
    ``vocabulary.REQUEST_OPEN_STATUSES`` (received, in progress, or failed and to be run again)."""
    rows = [dict(zip(REQUEST_COLUMNS, r)) for r in con.execute(
        f"SELECT {', '.join(REQUEST_COLUMNS)} FROM {v.DSR_REQUESTS} ORDER BY due_date, request_id").fetchall()]
    for r in rows:
        r["open"] = r["status"] in v.REQUEST_OPEN_STATUSES
    return rows


def restricted_message_count(con: duckdb.DuckDBPyConnection) -> int:
    """Messages under an active restriction of processing or objection (Art. 18 / 21)."""
    if not warehouse.table_exists(con, v.RESTRICTED_MESSAGE_IDS):
        return 0
    return con.execute(f"SELECT count(DISTINCT message_id) FROM {v.RESTRICTED_MESSAGE_IDS}").fetchone()[0]
