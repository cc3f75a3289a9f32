"""What other domains (reporting) may read of the core tables ``archives``, ``messages`` and
``audit_log``, with their real column names (DDL in :mod:`o3_governance.storage.warehouse`).

Counts, ids, dates and formats: no message body, author, phone, chat name or file name leaves
here, except through :func:`identifying_values`, which exists so the report's leak guard can look
for those values in a written report (it returns them, it never writes them anywhere).

A message under a restriction of processing (Art. 18) may only be stored: functions that count
messages leave out the ids in the rights domain's ``restricted_message_ids`` view when it exists.
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import duckdb

from o3_governance import vocabulary as v
from o3_governance.storage import audit, restrictions, warehouse

_ARCHIVE_ROW = ("archive_id", "sha256", "status", "reason", "source_format", "message_count", "new_message_count",
                "media_count", "size_bytes", "received_at", "chat_id", "file_name")


def has_archives(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.ARCHIVES)


def has_messages(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, v.MESSAGES)


def visible_messages(con: duckdb.DuckDBPyConnection) -> str:
    """The relation of messages that may be counted: ``messages`` without the restricted ones."""
    return restrictions.visible(con, v.MESSAGES)


def archive_status_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(con.execute(f"SELECT status, count(*) FROM {v.ARCHIVES} GROUP BY status").fetchall())


def archive_reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None, int]]:
    """(status, reason, files) of the archives that were not ingested, most frequent first. The
    reason is a one-line text of the code, which may quote a bit of the file: mask it before showing it."""
    return con.execute(f"SELECT status, reason, count(*) FROM {v.ARCHIVES} WHERE status <> 'ingested' "
                       "GROUP BY status, reason ORDER BY 3 DESC, 1, 2").fetchall()


def archive_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """One dict an archive, oldest first. The file name (often "WhatsApp Chat with <person>") is not
    returned: only its extension, as ``file_type``."""
    out = []
    for values in con.execute(f"SELECT {', '.join(_ARCHIVE_ROW)} FROM {v.ARCHIVES} "
                              "ORDER BY received_at, archive_id").fetchall():
        row = dict(zip(_ARCHIVE_ROW, values))
        row["file_type"] = file_extension(row.pop("file_name"))
        out.append(row)
    return out


def file_extension(name: str | None) -> str:
    if not name or "." not in name:
        return ""
    ext = name.rsplit(".", 1)[1].lower()
    return ext if re.fullmatch(r"[a-z0-9]{1,8}", ext) else ""


def message_counts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Counts of the visible messages: total, per month, per (chat id, month), per message type."""
    src = visible_messages(con)
    return {
        "total": con.execute(f"SELECT count(*) FROM {src} m").fetchone()[0],
        "per_month": con.execute(f"SELECT month, count(*) FROM {src} m GROUP BY month ORDER BY month").fetchall(),
        "per_chat_month": con.execute(f"SELECT chat_id, month, count(*) FROM {src} m GROUP BY chat_id, month "
                                      "ORDER BY chat_id, month").fetchall(),
        "per_type": dict(con.execute(f"SELECT coalesce(message_type, 'unknown'), count(*) FROM {src} m "
                                     "GROUP BY 1").fetchall()),
    }


def message_volume(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the record of processing counts of all messages stored: messages, chats, participants
    (distinct phone, or name when there is no phone), first and last month, per type, media files."""
    messages, chats, participants, first, last, media = con.execute(
        f"SELECT count(*), count(DISTINCT chat_id), "
        "count(DISTINCT coalesce(author_phone, author)) FILTER (WHERE author IS NOT NULL OR author_phone IS NOT NULL), "
        f"min(month), max(month), count(DISTINCT media_sha256) FROM {v.MESSAGES}").fetchone()
    types = dict(con.execute(f"SELECT coalesce(message_type, 'unknown'), count(*) FROM {v.MESSAGES} "
                             "GROUP BY 1 ORDER BY 1").fetchall())
    return {"messages": messages, "chats": chats, "participants": participants, "first_month": first,
            "last_month": last, "message_types": types, "media_files": media}


def identifying_values(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Chat names, authors and phones of the messages, and the archives' file names: for the leak
    guard only, which looks for them in a written report."""
    out: dict[str, set[str]] = {"chat_names": set(), "authors": set(), "phones": set(), "file_names": set()}
    if has_messages(con):
        for key, col in (("chat_names", "chat_name"), ("authors", "author"), ("phones", "author_phone")):
            out[key] = {r[0] for r in con.execute(
                f"SELECT DISTINCT {col} FROM {v.MESSAGES} WHERE {col} IS NOT NULL").fetchall()}
    if has_archives(con):
        out["file_names"] = {r[0] for r in con.execute(
            f"SELECT DISTINCT file_name FROM {v.ARCHIVES} WHERE file_name IS NOT NULL").fetchall()}
    return out


def audit_summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """Whether the audit log's hash chain holds, its rows, and per event: count and last time.
    None when there is no audit log."""
    if not warehouse.table_exists(con, v.AUDIT_LOG):
        return None
    check = audit.verify(con)
    events: list[tuple[str, int, datetime | None]] = con.execute(
        f"SELECT event, count(*), max(ts) FROM {v.AUDIT_LOG} GROUP BY 1 ORDER BY 1").fetchall()
    return {"ok": check.ok, "rows": check.rows, "problem": check.problem or "", "events": events}
