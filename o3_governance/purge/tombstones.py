"""Fingerprints of deleted messages (``purged_messages``).

WhatsApp exports repeat a chat's whole history, so a message deleted today comes back with the next
export of the same chat. A purge leaves a keyed fingerprint of each deleted id (never the id itself,
and no ``message_id`` column, so no sweep removes it); ingest asks ``was_purged`` and skips them.
``chat_id`` tells ingest's chat matching how many messages a chat had (purged ones included);
``key_version`` 1 marks fingerprints of the old (v1) ids, kept as they were by the identity migration
(an id cannot be recomputed from its fingerprint): ingest also checks each message's v1 ids against them.
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from o3_governance.storage import warehouse
from o3_governance.vocabulary import PURGED_MESSAGES

PURGED_DDL = f"""CREATE TABLE IF NOT EXISTS {PURGED_MESSAGES} (
    message_key VARCHAR NOT NULL,   -- sha256('o3-purged:' || message_id)
    purged_at   TIMESTAMPTZ NOT NULL,
    event       VARCHAR NOT NULL,
    chat_id     VARCHAR,            -- the chat it belonged to (null for rows written before this column)
    key_version INTEGER DEFAULT 2   -- 1: the key of a v1 message id (purged before the identity migration)
)"""
# Columns added after the first release; writers name the columns they fill (older rows: NULL / 1).
PURGED_LATER_COLUMNS = (("chat_id", "VARCHAR"), ("key_version", "INTEGER DEFAULT 2"))
# The version of message ids whose keys new tombstones hold (ingest.identity: v2).
CURRENT_KEY_VERSION = 2


def ensure_purged_schema(con) -> None:
    """``purged_messages`` with every column (an existing table gains the later ones)."""
    con.execute(PURGED_DDL)
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "AND table_schema = 'main'", [PURGED_MESSAGES]).fetchall()}
    for name, kind in PURGED_LATER_COLUMNS:
        if name not in have:
            con.execute(f"ALTER TABLE {PURGED_MESSAGES} ADD COLUMN {name} {kind}")


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
