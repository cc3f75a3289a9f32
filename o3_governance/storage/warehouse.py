"""The DuckDB warehouse: connection, the core tables of the contract, and compaction.

Domain modules (scanning, retention, rights, reporting) own their own tables and create them with
their own ``ensure_schema(con)``; this module owns ``archives`` and ``messages`` and creates, with
them, the audit log (``storage.audit``) and the restriction marks (``storage.restrictions``).

What the entry points configure (DuckDB's memory limit, the lock waits) reaches a connection as a
parameter, or for calls that give none through :func:`configured`, which the CLI and the Dagster
resource wrap around their work; core code never reads the settings.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from o3_governance.storage import audit, ledger, locking, restrictions
from o3_governance.storage.catalog import table_exists  # noqa: F401 - the public name: warehouse.table_exists
from o3_governance.vocabulary import ARCHIVE_CHATS, ARCHIVE_HISTORY, ARCHIVE_REJECTS

# DuckDB's memory limit when a caller gives none and no entry point set another (the settings' default).
DEFAULT_MEMORY_LIMIT = "512MB"
_MEMORY_LIMIT = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_defaults = {"memory_limit": DEFAULT_MEMORY_LIMIT}

ARCHIVES_DDL = """
CREATE TABLE IF NOT EXISTS archives (
    archive_id      VARCHAR PRIMARY KEY,
    file_name       VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,      -- ingested / partial / duplicate / quarantined
    reason          VARCHAR,               -- one line, never message content
    message_count   BIGINT NOT NULL DEFAULT 0,  -- messages read from the file
    new_message_count BIGINT NOT NULL DEFAULT 0, -- of those, not already in the warehouse
    media_count     BIGINT NOT NULL DEFAULT 0,
    source_format   VARCHAR,               -- android / ios / cloud_api
    chat_id         VARCHAR,
    chat_name       VARCHAR,
    size_bytes      BIGINT,
    received_at     TIMESTAMPTZ NOT NULL,
    raw_path        VARCHAR,               -- relative to the data folder; null once removed
    raw_removed_at  TIMESTAMPTZ
)
"""
# Columns the registry gained after its first release: added to existing warehouses on connect.
ARCHIVES_LATER_COLUMNS: list[tuple[str, str]] = [
    ("chat_count", "BIGINT DEFAULT 0"),        # chats found in the archive (a zip or folder may hold several)
    ("chat_match", "VARCHAR"),                 # name / content / new (vocabulary.CHAT_MATCHES): the most notable
    ("rejected_count", "BIGINT DEFAULT 0"),    # records that could not be read (kept aside in archive_rejects)
    ("counts", "VARCHAR"),                     # JSON: statuses, errors, events, media counts; counts only
]

# Registry tables beside ``archives`` (names in the vocabulary). No message text, no names.
REGISTRY_DDL = [
    f"""CREATE TABLE IF NOT EXISTS {ARCHIVE_CHATS} (
        archive_id        VARCHAR NOT NULL,
        position          INTEGER NOT NULL,   -- 1-based: the chat's place among the archive's chats
        member            INTEGER NOT NULL,   -- 1-based: which chat text of the container (never its name)
        chat_id           VARCHAR NOT NULL,
        chat_match        VARCHAR NOT NULL,   -- name / content / new
        message_count     BIGINT NOT NULL,
        new_message_count BIGINT NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {ARCHIVE_REJECTS} (
        archive_id  VARCHAR NOT NULL,
        member      INTEGER NOT NULL,         -- which chat text of the container
        line_no     INTEGER NOT NULL,         -- 1-based line (text) or record (capture)
        reason      VARCHAR NOT NULL          -- one line, never content
    )""",
    f"""CREATE TABLE IF NOT EXISTS {ARCHIVE_HISTORY} (
        archive_id   VARCHAR NOT NULL,
        from_status  VARCHAR NOT NULL,
        to_status    VARCHAR NOT NULL,
        "at"         TIMESTAMPTZ NOT NULL,    -- "at" is a keyword: quote it
        reason       VARCHAR                  -- why it had the earlier status (one line)
    )""",
    # One row per schema change that needs more than a new column (e.g. the message identity v2).
    """CREATE TABLE IF NOT EXISTS schema_versions (
        component     VARCHAR PRIMARY KEY,
        version       INTEGER NOT NULL,
        applied_at    TIMESTAMPTZ NOT NULL,
        lake_rebuilt  BOOLEAN NOT NULL DEFAULT false
    )""",
]

# Column order here is the order of the Parquet lake and of every Arrow batch written to it.
MESSAGE_COLUMNS: list[tuple[str, str]] = [
    ("message_id", "VARCHAR"),
    ("archive_id", "VARCHAR"),
    ("chat_id", "VARCHAR"),
    ("chat_name", "VARCHAR"),
    ("source_format", "VARCHAR"),
    ("sent_at", "TIMESTAMPTZ"),      # instant (UTC), from the local time via Europe/Brussels
    ("sent_local", "TIMESTAMP"),     # the wall-clock time written in the export
    ("local_date", "DATE"),          # retention counts from this date
    ("month", "VARCHAR"),            # YYYY-MM of local_date: lake partition
    ("author", "VARCHAR"),
    ("author_phone", "VARCHAR"),     # E.164 or null
    ("message_type", "VARCHAR"),     # text / media / system / deleted
    ("body", "VARCHAR"),
    ("attachment", "VARCHAR"),
    ("media_sha256", "VARCHAR"),     # content address of the attachment in media/, when present
    ("edited", "BOOLEAN"),
    ("language", "VARCHAR"),         # nl / fr / en; refined per message by the scanner
    ("line_no", "INTEGER"),          # position in the export, for stable ordering
    # Added with the message identity v2 (existing warehouses gain them at the end, in this order):
    ("author_id", "VARCHAR"),        # Cloud API: wa_id or business-scoped user id; null for exports
    ("content_key", "VARCHAR"),      # hash of (local time, author, type, body key, occurrence): chat matching
]
# The columns appended after the first release: existing ``messages`` tables gain them on connect.
MESSAGE_LATER_COLUMNS = ("author_id", "content_key")

MESSAGES_DDL = "CREATE TABLE IF NOT EXISTS messages (\n    " + ",\n    ".join(
    f"{name} {kind}" for name, kind in MESSAGE_COLUMNS) + "\n)"


@contextmanager
def configured(*, memory_limit: str, lock_wait_seconds: float, read_wait_seconds: float,
               audit_key: str | None = None, audit_anchor: Path | None = None,
               purge_ledger: "ledger.Ledger | None" = None) -> Iterator[None]:
    """For the block, what connections and locks use when the caller gives nothing, the audit
    chain's key and anchor file (:func:`audit.configured`) and the ledger purges append to
    (:func:`ledger.configured`): the entry points (CLI, Dagster resource) wrap their work in this
    with the configured values."""
    _check_memory_limit(memory_limit)
    before = dict(_defaults)
    _defaults["memory_limit"] = memory_limit
    try:
        with locking.waits(lock_wait_seconds, read_wait_seconds), \
                audit.configured(key=audit_key, anchor_file=audit_anchor), ledger.configured(purge_ledger):
            yield
    finally:
        _defaults.update(before)


def _check_memory_limit(value: str) -> str:
    if not _MEMORY_LIMIT.match(value):
        raise ValueError("a DuckDB memory limit must be a size such as 512MB or 2GB")
    return value.strip()


def connect(path: Path | str, read_only: bool = False, *, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file; a writer's also creates the core schema. ``memory_limit``
    (default: what the entry point configured, else :data:`DEFAULT_MEMORY_LIMIT`) bounds DuckDB's memory."""
    path = Path(path)
    limit = _check_memory_limit(memory_limit if memory_limit is not None else _defaults["memory_limit"])
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config={"autoinstall_known_extensions": False,
                                                                      "autoload_known_extensions": False})
    except duckdb.IOException as exc:
        raise _unavailable(path, exc, read_only) from None
    con.execute("SET TimeZone = 'UTC'")
    # Bounded memory: big archives spill to a temp folder inside the data folder instead of growing RSS.
    con.execute(f"SET memory_limit = '{limit}'")
    if not read_only:
        spill = path.parent / "tmp" / "duckdb"
        spill.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{_sql_path(spill)}'")
        con.execute("SET preserve_insertion_order = false")
        ensure_core_schema(con)
    return con


class WarehouseUnavailable(locking.WarehouseBusy):
    """The warehouse file could not be opened: one line, never DuckDB's text (it names the file's holder)."""


def _unavailable(path: Path, exc: Exception, read_only: bool) -> locking.WarehouseBusy:
    text = str(exc)
    if "lock" in text.lower():
        match = re.search(r"PID (\d+)", text)
        who = f"pid {match.group(1)}" if match else "pid unknown"
        return WarehouseUnavailable(f"the warehouse is in use by another process ({who}); try again when it has finished")
    if read_only and not path.exists():
        return WarehouseUnavailable("there is no warehouse yet: run the nightly job first (o3-governance run)")
    return WarehouseUnavailable(f"the warehouse could not be opened ({type(exc).__name__})")


@contextmanager
def open_warehouse(path: Path | str, read_only: bool = False, *, memory_limit: str | None = None,
                   wait_seconds: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the duration of the block. Writers hold the writer lock of the data folder,
    readers a shared lock, each waiting up to ``wait_seconds`` (default: the configured wait)."""
    with (locking.reader_lock(path, wait_seconds) if read_only else locking.writer_lock(path, wait_seconds)):
        con = connect(path, read_only=read_only, memory_limit=memory_limit)
        try:
            yield con
        finally:
            con.close()


def register_columns(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list],
                     types: dict[str, str] | None = None) -> None:
    """``name`` as a temporary table of the connection (replacing one of that name) holding columns given
    as Python lists of one length, each of its DuckDB type in ``types`` (VARCHAR where not given); dropped
    with :func:`unregister_columns` or when the connection closes. DuckDB builds it from the lists: neither
    pyarrow (and numpy with it) nor pandas is imported, about 0.1 s and 0.4 s of a night with nothing new."""
    if len({len(values) for values in columns.values()}) > 1:
        raise ValueError("the columns of a registered table must have one length")
    types = types or {}
    select = ", ".join(f'unnest(${i}::{types.get(column, "VARCHAR")}[]) AS "{column}"'
                       for i, column in enumerate(columns, start=1))
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{name}" AS SELECT {select}', [list(v) for v in columns.values()])


def unregister_columns(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drops what :func:`register_columns` made."""
    con.execute(f'DROP TABLE IF EXISTS temp."{name}"')


def ensure_core_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(ARCHIVES_DDL)
    con.execute(MESSAGES_DDL)
    _add_missing_columns(con, "archives", ARCHIVES_LATER_COLUMNS)
    types = dict(MESSAGE_COLUMNS)
    _add_missing_columns(con, "messages", [(c, types[c]) for c in MESSAGE_LATER_COLUMNS])
    for ddl in REGISTRY_DDL:
        con.execute(ddl)
    audit.ensure_schema(con)          # the audit log is part of every warehouse
    restrictions.ensure_schema(con)   # and the restriction marks, so the view other domains read exists


def _add_missing_columns(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]) -> None:
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "AND table_schema = 'main'", [table]).fetchall()}
    for name, kind in columns:
        if name not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def compact(path: Path | str, *, wait_seconds: float | None = None) -> None:
    """Rewrite the DuckDB file so that deleted rows leave no bytes behind.

    DuckDB reuses freed blocks but does not zero them; copying the database into a new file and
    swapping it in atomically is the documented way to shrink and scrub it. The caller must hold no
    open connection. A crash before the rename leaves the old file untouched. The writer lock is held
    from the copy to the swap, so no other process can commit in between and lose its rows.
    """
    path = Path(path)
    with locking.writer_lock(path, wait_seconds):
        _compact(path)


def _compact(path: Path) -> None:
    fresh = path.with_name(path.name + ".compact")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{_sql_path(path)}' AS old_db")
        con.execute("CHECKPOINT old_db")  # fold any WAL into the file before copying it
        con.execute(f"ATTACH '{_sql_path(fresh)}' AS new_db")
        con.execute("COPY FROM DATABASE old_db TO new_db")
        con.execute("DETACH new_db")
        con.execute("DETACH old_db")
    finally:
        con.close()
    os.replace(fresh, path)
    Path(str(path) + ".wal").unlink(missing_ok=True)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
