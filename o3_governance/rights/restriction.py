"""Restriction (Art. 18) and objection (Art. 21), and their lifting.

A restriction marks the subject's messages (written by them or mentioning them) as "only stored":
scanning outputs, reports and exports leave them out. The marks live in ``restrictions``,
``restricted_messages`` (what was found at request time) and ``restriction_authors`` (the author
strings, so that messages they send later are restricted too, until the restriction is lifted).
The view ``restricted_message_ids`` is the one thing other domains read:

    SELECT ... FROM messages m
    WHERE m.message_id NOT IN (SELECT message_id FROM restricted_message_ids)

or, from Python, ``restricted_message_ids(con)`` / ``exclusion_sql(con, "m.message_id")``, which
also work on a warehouse where no request was ever made. An objection is a restriction plus a
review flag: processing based on legitimate interest stops until someone has reviewed the grounds.
Lifting is recorded (who: the lifting request's id; when), and the subject should be told before
a restriction is lifted (Art. 18(3)) — the answer says so.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb

from o3_governance.storage.restrictions import exclusion_sql, restricted_message_ids  # noqa: F401 - re-exported
from o3_governance.rights import register
from o3_governance.rights.finder import SubjectData


def impose(con: duckdb.DuckDBPyConnection, request_id: str, kind: str, key: str, data: SubjectData,
           now: datetime) -> dict[str, Any]:
    con.execute("INSERT INTO restrictions VALUES (?, ?, ?, ?, ?, NULL, NULL)",
                [request_id, key, kind, kind == "objection", now])
    ids = sorted(data.all_ids)
    if ids:
        con.execute("INSERT INTO restricted_messages SELECT ?, unnest(?::VARCHAR[])", [request_id, ids])
    if data.matched_authors:
        con.executemany("INSERT INTO restriction_authors VALUES (?, ?, ?)",
                        [(request_id, a, p) for a, p in data.matched_authors])
    outcome: dict[str, Any] = {
        "messages_restricted": len(ids),
        "messages_written": len(data.authored),
        "messages_mentioning": len(data.mentioned_only),
        "restricted_from": now.isoformat(),
    }
    if kind == "objection":
        outcome["review_required"] = True
        outcome["note"] = ("Processing based on legitimate interest has stopped for this person's data until "
                           "the objection is reviewed; lift it only with compelling legitimate grounds.")
    else:
        outcome["note"] = "The data is only stored: excluded from scans' outputs, reports and exports until lifted."
    return outcome


def lift(con: duckdb.DuckDBPyConnection, request_id: str, kind: str, key: str,
         now: datetime) -> dict[str, Any]:
    """Lift the person's active restrictions of this kind; returns the outcome (``lifted`` = count)."""
    active = [r[0] for r in con.execute(
        "SELECT restriction_id FROM restrictions WHERE subject_key = ? AND kind = ? AND lifted_at IS NULL "
        "ORDER BY started_at", [key, kind]).fetchall()]
    for rid in active:
        con.execute("UPDATE restrictions SET lifted_at = ?, lift_request_id = ? WHERE restriction_id = ?",
                    [now, request_id, rid])
        con.execute("DELETE FROM restricted_messages WHERE restriction_id = ?", [rid])
        con.execute("DELETE FROM restriction_authors WHERE restriction_id = ?", [rid])
        # The identifiers were kept only to go on applying the restriction.
        con.execute("DELETE FROM dsr_subjects WHERE request_id = ?", [rid])
        con.execute("UPDATE dsr_requests SET identifiers = 'deleted' WHERE request_id = ?", [rid])
    return {
        "lifted": len(active),
        "lifted_restrictions": active,
        "note": "Art. 18(3): the data subject must be informed before the restriction is lifted.",
    }


def active_restrictions(con: duckdb.DuckDBPyConnection) -> int:
    register.ensure_schema(con)
    return con.execute("SELECT count(*) FROM restrictions WHERE lifted_at IS NULL").fetchone()[0]
