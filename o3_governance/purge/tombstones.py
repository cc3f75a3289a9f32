"""Fingerprints of deleted messages (``purged_messages``).

WhatsApp exports repeat a chat's whole history, so a message deleted today comes back with the next
export of the same chat. A purge leaves a keyed fingerprint of each deleted id (never the id itself,
and no ``message_id`` column, so no sweep removes it); ingest asks ``was_purged`` and skips them.
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from o3_governance.storage import warehouse
from o3_governance.vocabulary import PURGED_MESSAGES

PURGED_DDL = f"""CREATE TABLE IF NOT EXISTS {PURGED_MESSAGES} (
    message_key VARCHAR NOT NULL,   -- sha256('o3-purged:' || message_id)
    purged_at   TIMESTAMPTZ NOT NULL,
    event       VARCHAR NOT NULL
)"""


def purged_key_sql(column: str) -> str:
    """SQL for the fingerprint of a message id column, as stored in ``purged_messages``."""
    return f"sha256('o3-purged:' || {column})"


def purged_key(message_id: str) -> str:
    return hashlib.sha256(f"o3-purged:{message_id}".encode()).hexdigest()


def was_purged(con, message_ids: Iterable[str]) -> set[str]:
    """Which of these ids were deleted by a purge (for ingest: do not bring them back)."""
    ids = sorted(set(message_ids))
    if not ids or not warehouse.table_exists(con, PURGED_MESSAGES):
        return set()
    keys = {purged_key(i): i for i in ids}
    found = con.execute(f"SELECT DISTINCT message_key FROM {PURGED_MESSAGES} WHERE message_key IN "
                        "(SELECT unnest(?::VARCHAR[]))", [sorted(keys)]).fetchall()
    return {keys[k] for (k,) in found}


def resurrected(con) -> int:
    """Messages in the warehouse again although a purge deleted them (0 when nothing was purged)."""
    if not warehouse.table_exists(con, PURGED_MESSAGES):
        return 0
    return con.execute(f"SELECT count(*) FROM messages m WHERE EXISTS (SELECT 1 FROM {PURGED_MESSAGES} p "
                       f"WHERE p.message_key = {purged_key_sql('m.message_id')})").fetchall()[0][0]
