"""Special-category (Art. 9 / Art. 10) findings per chat, by chat id and a non-personal label."""
from __future__ import annotations

from typing import Any

from o3_governance.reporting.sections.base import Section, not_available
from o3_governance.reporting.sections.findings import NOT_SCANNED
from o3_governance.reporting.text import chat_label
from o3_governance.scanning import queries as scanning
from o3_governance.storage import queries as storage


def section(con) -> Section:
    if not scanning.has_findings(con):
        return not_available(NOT_SCANNED)
    if not storage.has_messages(con):
        return not_available("no messages table to place findings in chats")
    per_chat: dict[str, dict[str, Any]] = {}
    for chat_id, entity, n, nm in scanning.special_category_per_chat(con):
        c = per_chat.setdefault(chat_id, {"chat_id": chat_id, "label": chat_label(chat_id), "findings": 0,
                                          "messages": 0, "categories": {}})
        c["findings"] += n
        c["messages"] += nm
        c["categories"][entity] = n
    return Section(data={"per_chat": sorted(per_chat.values(), key=lambda c: (-c["findings"], c["chat_id"]))})
