"""The restriction marks (Art. 18 restriction, Art. 21 objection) as stored data.

The rights domain writes them (``rights.restriction``: impose, lift); scanning, retention and
reporting read them to leave restricted messages out. Their tables and the view
``restricted_message_ids`` are created with the warehouse's core schema, so the view always exists
on a warehouse this version has opened for writing:

    SELECT ... FROM messages m
    WHERE m.message_id NOT IN (SELECT message_id FROM restricted_message_ids)

or, from Python, :func:`restricted_message_ids` / :func:`exclusion_sql`, which also work on an older
warehouse opened read-only before the view existed.
"""
from __future__ import annotations

import duckdb

from o3_governance.storage.catalog import table_exists
from o3_governance.vocabulary import MESSAGES, RESTRICTED_MESSAGE_IDS

RESTRICTIONS = "restrictions"
RESTRICTED_MESSAGES = "restricted_messages"
RESTRICTION_AUTHORS = "restriction_authors"

SCHEMA = [
    f"""CREATE TABLE IF NOT EXISTS {RESTRICTIONS} (
        restriction_id   VARCHAR PRIMARY KEY,  -- the request that imposed it
        subject_key      VARCHAR NOT NULL,
        kind             VARCHAR NOT NULL,     -- restriction / objection
        review_required  BOOLEAN NOT NULL,     -- objection: legitimate-interest processing to be reviewed
        started_at       TIMESTAMPTZ NOT NULL,
        lifted_at        TIMESTAMPTZ,
        lift_request_id  VARCHAR
    )""",
    # Messages found at request time (authored and mentioning); new messages by the same author are
    # caught through restriction_authors until the restriction is lifted.
    f"""CREATE TABLE IF NOT EXISTS {RESTRICTED_MESSAGES} (
        restriction_id  VARCHAR NOT NULL,
        message_id      VARCHAR NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {RESTRICTION_AUTHORS} (
        restriction_id  VARCHAR NOT NULL,
        author          VARCHAR,
        author_phone    VARCHAR
    )""",
    # What scanning outputs, reports and exports must leave out (Art. 18: "only stored").
    f"""CREATE OR REPLACE VIEW {RESTRICTED_MESSAGE_IDS} AS
        SELECT rm.message_id
        FROM {RESTRICTED_MESSAGES} rm JOIN {RESTRICTIONS} r ON r.restriction_id = rm.restriction_id
        WHERE r.lifted_at IS NULL
        UNION
        SELECT m.message_id
        FROM {MESSAGES} m
        JOIN {RESTRICTION_AUTHORS} ra
          ON m.author IS NOT DISTINCT FROM ra.author AND m.author_phone IS NOT DISTINCT FROM ra.author_phone
        JOIN {RESTRICTIONS} r ON r.restriction_id = ra.restriction_id
        WHERE r.lifted_at IS NULL""",
]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """The restriction tables and the view (the view reads ``messages``: create that first)."""
    for ddl in SCHEMA:
        con.execute(ddl)


def restricted_message_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Message ids that may only be stored (empty on a warehouse without the view)."""
    if not table_exists(con, RESTRICTED_MESSAGE_IDS):
        return set()
    return {r[0] for r in con.execute(f"SELECT message_id FROM {RESTRICTED_MESSAGE_IDS}").fetchall()}


def visible(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """``table`` as a relation without its restricted messages (the table itself without the view):
    what reports and counts may show (Art. 18: restricted data is only stored)."""
    if not table_exists(con, RESTRICTED_MESSAGE_IDS):
        return table
    return f"(SELECT * FROM {table} WHERE {exclusion_sql(con)})"


def exclusion_sql(con: duckdb.DuckDBPyConnection, column: str = "message_id") -> str:
    """A SQL condition keeping rows whose ``column`` is not restricted (``TRUE`` without the view)."""
    if not table_exists(con, RESTRICTED_MESSAGE_IDS):
        return "TRUE"
    return f"{column} NOT IN (SELECT message_id FROM {RESTRICTED_MESSAGE_IDS})"
