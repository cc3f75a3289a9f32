"""What other domains (reporting) may read of the retention domain's tables, with their real columns
and statuses (DDL in :mod:`o3_governance.retention.decide`): decisions per rule and hold, what falls
due, the current deletion list, the register of lists and the deletion certificates.

Counts, ids, rule and hold names, dates and hashes; never who approved a list (a person)."""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from o3_governance import vocabulary as v
from o3_governance.retention.approvals import APPROVALS
from o3_governance.storage import warehouse
from o3_governance.storage.layout import DataLayout

_HELD = "(legal_hold IS NOT NULL AND legal_hold <> '')"
CURRENT_LIST_COLUMNS = ("message_id", "rule", "action", "retain_until")


def has_decisions(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether retention has been evaluated on this warehouse (its ``retention`` table exists)."""
    return warehouse.table_exists(con, v.RETENTION)


def has_current_list(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.DELETION_LIST)


def has_list_register(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.DELETION_LISTS)


def has_certificates(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.DELETION_CERTIFICATES)


# --- decisions -----------------------------------------------------------------------------------

def decided_messages(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {v.RETENTION}").fetchone()[0]


def decisions_per_rule(con: duckdb.DuckDBPyConnection) -> list[tuple[str | None, str | None, int, int]]:
    """(rule, action, messages, of those under a legal hold)."""
    return con.execute(f"SELECT rule, action, count(*), count(*) FILTER (WHERE {_HELD}) FROM {v.RETENTION} "
                       "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()


def held_per_hold(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(hold name, messages it holds, chats those messages are in), most messages first."""
    return con.execute(f"SELECT legal_hold, count(*), count(DISTINCT chat_id) FROM {v.RETENTION} "
                       f"WHERE {_HELD} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()


def due_per_month(con: duckdb.DuckDBPyConnection, after: date, before: date) -> dict[str, int]:
    """Messages not held whose retention ends after ``after`` and before ``before``, per YYYY-MM."""
    return dict(con.execute(
        f"SELECT strftime(retain_until::DATE, '%Y-%m'), count(*) FROM {v.RETENTION} "
        f"WHERE NOT {_HELD} AND retain_until::DATE > ?::DATE AND retain_until::DATE < ?::DATE GROUP BY 1",
        [after, before]).fetchall())


def due_by(con: duckdb.DuckDBPyConnection, as_of: date) -> int:
    """Messages not held whose retention has ended on ``as_of``."""
    return con.execute(f"SELECT count(*) FROM {v.RETENTION} WHERE NOT {_HELD} AND retain_until::DATE <= ?::DATE",
                       [as_of]).fetchone()[0]


# --- retention events and what waits for them --------------------------------------------------------

def has_events(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.RETENTION_EVENTS)


def events_register(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every retention event, newest first: id, type, date, what it is for (a chat id, or "a subject":
    never who), in force or withdrawn. Not the reason and not who recorded it."""
    if not has_events(con):
        return []
    cols = ("event_id", "event_type", "event_date", "chat_id", "subject", "recorded_at", "withdrawn_at")
    return [dict(zip(cols, r)) for r in con.execute(
        f"SELECT event_id, event_type, event_date, chat_id, subject_key IS NOT NULL, recorded_at, withdrawn_at "
        f"FROM {v.RETENTION_EVENTS} ORDER BY recorded_at DESC, event_id").fetchall()]


def waiting_per_event(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(event type, messages waiting for it, chats they are in): kept until the event is recorded."""
    if not has_decisions(con) or not con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = 'waiting_for'",
            [v.RETENTION]).fetchall()[0][0]:
        return []   # a warehouse decided before events existed
    return con.execute(f"SELECT waiting_for, count(*), count(DISTINCT chat_id) FROM {v.RETENTION} "
                       "WHERE waiting_for IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()


def approvals_per_list(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many people approved each list so far (four eyes); never who."""
    if not warehouse.table_exists(con, APPROVALS):
        return {}
    return dict(con.execute(f"SELECT list_id, count(*) FROM {APPROVALS} GROUP BY 1").fetchall())


# --- the current deletion list and the register ----------------------------------------------------

def current_list_size(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {v.DELETION_LIST}").fetchone()[0]


def current_list_per_rule(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    return con.execute(f"SELECT rule, count(*) FROM {v.DELETION_LIST} GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()


def copy_current_list(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """The current deletion list (message id, rule, action, date) written as CSV by DuckDB itself: a
    list can hold millions of rows, so they never pass through Python. No cell starts a spreadsheet
    formula (rule names come from the policy). Returns the row count."""
    if not has_current_list(con):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(CURRENT_LIST_COLUMNS) + "\n")
        return 0
    safe = "CASE WHEN left({c}, 1) IN ('=', '+', '-', '@') THEN chr(39) || {c} ELSE {c} END AS {c}"
    target = str(path).replace("'", "''")
    con.execute(f"COPY (SELECT message_id, {safe.format(c='rule')}, {safe.format(c='action')}, "
                "strftime(retain_until::DATE, '%Y-%m-%d') AS retain_until "
                f"FROM {v.DELETION_LIST} ORDER BY retain_until, message_id) TO '{target}' (FORMAT csv, HEADER true)")
    return current_list_size(con)


def deletion_lists(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The register of deletion lists, newest first: list id, created, status (one of
    ``vocabulary.LIST_STATUSES``), messages, approved and applied times. Not who approved."""
    cols = ("list_id", "created_at", "status", "item_count", "approved_at", "applied_at")
    return [dict(zip(cols, r)) for r in con.execute(
        f"SELECT {', '.join(cols)} FROM {v.DELETION_LISTS} ORDER BY created_at DESC NULLS LAST, list_id").fetchall()]


def is_awaiting_approval(status: str | None) -> bool:
    return status == v.LIST_AWAITING_APPROVAL


# --- certificates ----------------------------------------------------------------------------------

CERTIFICATE_COLUMNS = ("list_id", "status", "as_of", "approved_at", "started_at", "completed_at",
                       "certificate_sha256")


def certificates(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Deletion certificates, newest first: the columns of ``CERTIFICATE_COLUMNS``, ``counts`` (the
    JSON totals) and ``certificate_path`` (relative to the data folder). Not who approved."""
    cols = CERTIFICATE_COLUMNS + ("counts", "certificate_path")
    return [dict(zip(cols, r)) for r in con.execute(
        f"SELECT {', '.join(cols)} FROM {v.DELETION_CERTIFICATES} "
        "ORDER BY completed_at DESC NULLS LAST, started_at DESC, list_id").fetchall()]


# --- the certificates' manifest (what the report server may serve) -------------------------------

CERTIFICATES_DIR = "certificates"
CERTIFICATE_MANIFEST = "manifest.json"


def write_certificate_manifest(con: duckdb.DuckDBPyConnection, layout: DataLayout) -> dict:
    """``reports/certificates/manifest.json``: the certificates the register holds as complete, each with
    the sha256 and size of its file, listed only when the file is a regular file whose text is the one
    the register hashed. The report server serves a certificate only through this list, so a file
    dropped into the folder is never served. Rewritten after every disposal and every report."""
    folder = layout.reports / CERTIFICATES_DIR
    files: dict[str, dict[str, Any]] = {}
    if warehouse.table_exists(con, v.DELETION_CERTIFICATES):
        for rel, registered in con.execute(
                f"SELECT certificate_path, certificate_sha256 FROM {v.DELETION_CERTIFICATES} "
                "WHERE status = 'complete' AND certificate_path IS NOT NULL ORDER BY certificate_path").fetchall():
            path = layout.root / rel
            if path.parent != folder or path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if hashlib.sha256(data[:-1] if data.endswith(b"\n") else data).hexdigest() != registered:
                continue
            files[path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {"algorithm": "sha256", "files": files}
    if not files and not folder.is_dir():
        return manifest  # nothing certified yet: no folder to create
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (CERTIFICATE_MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, folder / CERTIFICATE_MANIFEST)
    return manifest
