"""Erasure (Art. 17): the subject's messages and media leave every store; mentions of them in other
people's messages are replaced by ``[erased]``; earlier access exports for them are deleted; their
identifiers leave the register (and the record of what their exports held). Another person's
access export that held an erased or redacted message is removed by the purge and flagged in the
register when not yet delivered (``access_exports_affected`` in the outcome). Messages under a
legal hold stay (Art. 17(3)(e)) and the answer names the hold and its reason.

The stores (lake, warehouse, media, raw archives, exports) are rewritten by ``o3_governance.purge``,
the one mechanism that deletes or rewrites stored messages; the warehouse file is then compacted so
that no byte of the removed rows remains.

A one-to-one chat named after the subject (WhatsApp names such an export after the other person)
is their conversation as a whole: all its messages go, both sides, unless held, and its entries in
the archive registry lose the file and chat name (a chat name cannot be rewritten in place: it is
the lake's partition key).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from o3_governance.storage import warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.rights import access, holds as holds_mod, redaction, register
from o3_governance.rights.finder import SubjectData
from o3_governance.identity.matching import Subject


@dataclass
class ErasurePlan:
    delete_ids: list[str] = field(default_factory=list)
    updates: dict[str, dict[str, str]] = field(default_factory=dict)   # message id → {"body": redacted}
    held: dict[str, int] = field(default_factory=dict)                 # hold name → messages kept
    held_ids: list[str] = field(default_factory=list)
    holds: list[holds_mod.Hold] = field(default_factory=list)
    new_findings: dict[str, list[dict]] = field(default_factory=dict)  # findings of redacted bodies, moved
    own_chats: list[str] = field(default_factory=list)                 # chat ids of chats named after them


def plan_erasure(con: duckdb.DuckDBPyConnection, subject: Subject, data: SubjectData,
                 holds: list[holds_mod.Hold], today: date) -> ErasurePlan:
    plan = ErasurePlan()
    plan.own_chats = list(data.own_chats)
    in_own_chats = data.conversation
    ids = sorted(data.all_ids)
    if not ids:
        return plan
    rows = con.execute("SELECT message_id, body FROM messages "
                       "WHERE message_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY message_id", [ids]).fetchall()
    held = holds_mod.held_messages(con, ids, holds, today, subject)
    authored = set(data.authored)
    used: dict[str, holds_mod.Hold] = {}
    for mid, body in rows:
        hold = held.get(mid)
        if hold is not None:
            plan.held[hold.name] = plan.held.get(hold.name, 0) + 1
            plan.held_ids.append(mid)
            used[hold.name] = hold
        elif mid in authored or mid in in_own_chats:
            plan.delete_ids.append(mid)
        elif body is not None and data.mentions.get(mid):
            plan.updates[mid] = {"body": redaction.replace_spans(body, data.mentions[mid], redaction.ERASED)}
    plan.holds = [used[n] for n in sorted(used)]
    plan.new_findings = _moved_findings(con, plan, data)
    return plan


def _moved_findings(con: duckdb.DuckDBPyConnection, plan: ErasurePlan, data: SubjectData) -> dict[str, list[dict]]:
    if not plan.updates or not warehouse.table_exists(con, "findings"):
        return {}
    cur = con.execute("SELECT * FROM findings WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
                      [sorted(plan.updates)])
    columns = [d[0] for d in cur.description]
    by_message: dict[str, list[dict]] = {}
    for row in cur.fetchall():
        rec = dict(zip(columns, row))
        by_message.setdefault(rec.pop("message_id"), []).append(rec)
    return {mid: redaction.shift_findings(rows, data.mentions[mid], redaction.ERASED)
            for mid, rows in by_message.items()}


def delete_earlier_exports(con: duckdb.DuckDBPyConnection, layout: DataLayout, key: str) -> int:
    """Access exports made for this person earlier (found through the keyed hash)."""
    removed = 0
    rids = [r[0] for r in con.execute("SELECT request_id FROM dsr_requests WHERE subject_key = ? AND kind = 'access'",
                                      [key]).fetchall()]
    # What those exports held (ids and offsets) goes too: nothing is left to regenerate them from.
    con.execute("DELETE FROM dsr_export_items WHERE request_id IN (SELECT unnest(?::VARCHAR[]))", [rids])
    for rid in rids:
        for folder in (access.export_dir(layout, rid), layout.exports / f".{rid}.partial"):
            if folder.exists():
                shutil.rmtree(folder)
                removed += 1
    return removed


def forget_subject(con: duckdb.DuckDBPyConnection, subject: Subject, key: str, request_id: str, *,
                   now: datetime) -> dict[str, int]:
    """Remove what the rights domain itself holds about the person: identifiers given with any of
    their requests, rectified mappings, and the author strings kept for their restrictions. Their
    restrictions end (recorded as lifted by the erasure): what they protected is gone or redacted,
    and what a hold keeps is kept by the hold."""
    counts = {"identifier_rows_deleted": register.forget_identifiers(con, key)}
    active = [r[0] for r in con.execute(
        "SELECT restriction_id FROM restrictions WHERE subject_key = ? AND lifted_at IS NULL", [key]).fetchall()]
    for rid in active:
        con.execute("UPDATE restrictions SET lifted_at = ?, lift_request_id = ? WHERE restriction_id = ?",
                    [now, request_id, rid])
        con.execute("DELETE FROM restricted_messages WHERE restriction_id = ?", [rid])
    counts["restrictions_ended"] = len(active)
    if warehouse.table_exists(con, "subject_mappings"):
        n = con.execute("SELECT count(*) FROM subject_mappings WHERE subject_key = ? OR phone = ?",
                        [key, subject.phone]).fetchone()[0]
        con.execute("DELETE FROM subject_mappings WHERE subject_key = ? OR phone = ?", [key, subject.phone])
        counts["mappings_deleted"] = n
    con.execute("DELETE FROM restriction_authors WHERE restriction_id IN "
                "(SELECT restriction_id FROM restrictions WHERE subject_key = ?)", [key])
    return counts


def forget_own_chat_names(con: duckdb.DuckDBPyConnection, chat_ids: list[str]) -> int:
    """The registry rows of archives of the subject's one-to-one chats, once none of their messages
    is left (a hold may keep some), lose the file and chat names that are the subject's name."""
    emptied = [c for c in chat_ids
               if not con.execute("SELECT count(*) FROM messages WHERE chat_id = ?", [c]).fetchone()[0]]
    if not emptied:
        return 0
    n = con.execute("SELECT count(*) FROM archives WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [emptied]).fetchone()[0]
    con.execute("UPDATE archives SET file_name = '[erased]', chat_name = '[erased]' "
                "WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [emptied])
    return n


def outcome_of(plan: ErasurePlan, purge_result: Any, exports_removed: int, forgot: dict[str, int]) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "messages_deleted": len(plan.delete_ids),
        "mentions_redacted": len(plan.updates),
        "messages_held": len(plan.held_ids),
        "earlier_exports_deleted": exports_removed,
        **forgot,
    }
    for attr in ("lake_files_rewritten", "lake_files_removed", "media_files_removed", "raw_archives_removed",
                 "exports_removed", "findings_replaced", "compacted"):
        value = getattr(purge_result, attr, None)
        if isinstance(value, (int, bool)):
            outcome[attr] = value
    if plan.holds:
        outcome["holds"] = [dict(holds_mod.summary(h), messages=plan.held[h.name]) for h in plan.holds]
        outcome["legal_basis_for_keeping"] = "GDPR Art. 17(3)(e): establishment, exercise or defence of legal claims"
    return outcome
