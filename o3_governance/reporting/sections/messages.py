"""Messages per month, per chat (by id and a non-personal label) and per type; restricted ones left out."""
from __future__ import annotations

from typing import Any

from o3_governance.reporting.sections.base import Section, not_available
from o3_governance.reporting.text import chat_label
from o3_governance.rights import queries as rights
from o3_governance.storage import queries as storage


def section(con) -> Section:
    if not storage.has_messages(con):
        return not_available("no messages table yet")
    counts = storage.message_counts(con)
    per_chat: dict[str, dict[str, Any]] = {}
    for chat_id, month, n in counts["per_chat_month"]:
        c = per_chat.setdefault(chat_id, {"chat_id": chat_id, "label": chat_label(chat_id), "total": 0, "months": {}})
        c["total"] += n
        c["months"][month] = n
    for c in per_chat.values():
        ms = sorted(c["months"])
        c["first_month"], c["last_month"] = (ms[0], ms[-1]) if ms else ("", "")
    chats = sorted(per_chat.values(), key=lambda c: (-c["total"], c["chat_id"] or ""))
    months = [m for m, _ in counts["per_month"]]
    return Section(data={"total": counts["total"], "per_month": counts["per_month"], "per_chat": chats,
                         "per_type": counts["per_type"], "restricted": rights.restricted_message_count(con),
                         "recent_months": months[-12:], "earlier_months": months[:-12],
                         "per_chat_month": counts["per_chat_month"]})
