"""What the retention checks measure, as plain numbers: the Dagster shell turns them into asset checks
(``defs/retention/assets.py``), the CLI and tests can ask them directly. Counts and ids only."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from o3_governance import purge
from o3_governance.vocabulary import LIST_AWAITING_APPROVAL, LIST_EXECUTING


@dataclass(frozen=True)
class CurrentList:
    """The list awaiting approval or being applied (all zero / None when there is none)."""
    list_id: str | None = None
    status: str | None = None
    items: int = 0
    delete: int = 0
    anonymise: int = 0
    chats: int = 0
    created_at: datetime | None = None


def current_list(con: duckdb.DuckDBPyConnection) -> CurrentList:
    rows = con.execute(
        "SELECT list_id, status, item_count, delete_count, anonymise_count, chat_count, created_at "
        "FROM deletion_lists WHERE status IN (?, ?) ORDER BY created_at DESC LIMIT 1",
        [LIST_AWAITING_APPROVAL, LIST_EXECUTING]).fetchall()
    return CurrentList(*rows[0]) if rows else CurrentList()


def current_list_breakdown(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str, str, str, int]]:
    """The current list as (chat id, rule, action, YYYY-MM of the message, messages): no text."""
    return con.execute(
        "SELECT chat_id, rule, action, strftime(local_date, '%Y-%m'), count(*) FROM deletion_list "
        "GROUP BY ALL ORDER BY 1, 2, 3, 4").fetchall()


def held_on_current_list(con: duckdb.DuckDBPyConnection) -> int:
    """Listed messages that the retention table now says are held or restricted (must be 0)."""
    return con.execute(
        "SELECT count(*) FROM deletion_list d JOIN retention r ON r.message_id = d.message_id "
        "WHERE r.legal_hold IS NOT NULL OR r.restricted").fetchall()[0][0]


def days_waiting(current: CurrentList, now: datetime) -> int:
    """Whole days the current list has awaited approval at ``now`` (0 when none waits; never negative)."""
    if current.created_at is None or current.status != LIST_AWAITING_APPROVAL:
        return 0
    return max(0, (now - current.created_at).days)


def resurrected(con: duckdb.DuckDBPyConnection) -> int:
    """Messages deleted earlier that are in the warehouse again (must be 0: ingest skips purged ids)."""
    return purge.resurrected(con)
