"""Legal holds as they bear on a data-subject request (Art. 17(3)(e): data kept for legal claims).

The policy is loaded and validated by the retention domain, and a hold covers exactly the messages
the nightly retention run says it covers (``retention.decide.hold_condition``): the messages of its
chats (compared as people read names: ``identity.chats``), and the messages written by or mentioning its subjects, while the hold is in force on the
as-of date. The first active hold in file order is the one reported, as in ``retention.legal_hold``.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from o3_governance.retention import decide, policy as retention_policy
from o3_governance.identity import matching as identity

Hold = retention_policy.Hold


def load_holds(policy_path: Path) -> list[Hold]:
    """The policy's legal holds; a policy with an error is refused (PolicyError) before anything changes."""
    return list(retention_policy.load_policy(policy_path).holds)


def summary(hold: Hold) -> dict[str, Any]:
    """What the answer to the subject may say: the hold's name, reason and end (no identifiers)."""
    return {"name": hold.name, "reason": hold.reason, "until": hold.until.isoformat() if hold.until else None}


def names_subject(hold: Hold, subject: identity.Subject) -> bool:
    """The hold lists this person (by any of their phones or names), so all their data is kept."""
    return subject.phone in hold.phones or bool(set(hold.names) & subject.names)


def held_messages(con: duckdb.DuckDBPyConnection, ids: list[str], holds: list[Hold], today: date,
                  subject: identity.Subject | None = None) -> dict[str, Hold]:
    """message id → the hold that keeps it, for the ids under an active hold. With ``subject``, a
    hold naming the person also keeps the messages found as theirs through the directory (authors
    shown by name only), which the message-level condition alone cannot see."""
    import pyarrow as pa
    active = [h for h in holds if h.active(today)]
    if not ids or not active:
        return {}
    authors = [r[0] for r in con.execute(
        "SELECT DISTINCT author FROM messages WHERE author IS NOT NULL AND message_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids]).fetchall()]
    con.register("dsr_hold_authors", pa.table({
        "author": pa.array(authors, type=pa.string()),
        "author_norm": pa.array([identity.normalize_name(a) for a in authors], type=pa.string())}))
    con.register("dsr_hold_ids", pa.table({"message_id": pa.array(ids, type=pa.string())}))
    decide.register_chat_names(con, "dsr_hold_chats")
    try:
        case = "CASE " + " ".join(f"WHEN {decide.hold_condition(h)} THEN {i}" for i, h in enumerate(active)) + " END"
        rows = con.execute(f"""
            SELECT message_id, {case} AS hold_idx FROM (
                SELECT m.message_id, m.chat_id, m.chat_name, cn.chat_norm, m.author_phone, m.body, an.author_norm,
                       strip_accents(lower(coalesce(m.body, ''))) AS body_norm
                FROM messages m JOIN dsr_hold_ids USING (message_id)
                LEFT JOIN dsr_hold_chats cn ON cn.chat_name = m.chat_name
                LEFT JOIN dsr_hold_authors an ON an.author = m.author)
            WHERE hold_idx IS NOT NULL""").fetchall()
    finally:
        con.unregister("dsr_hold_authors")
        con.unregister("dsr_hold_ids")
        con.unregister("dsr_hold_chats")
    found = {mid: idx for mid, idx in rows}
    if subject is not None:
        for idx, hold in enumerate(active):
            if names_subject(hold, subject):
                for mid in ids:
                    found[mid] = min(found.get(mid, idx), idx)
                break
    return {mid: active[idx] for mid, idx in found.items()}
