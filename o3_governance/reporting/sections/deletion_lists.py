"""The current deletion list (per rule) and the register of lists: which wait for approval, and how long."""
from __future__ import annotations

from datetime import date
from typing import Any

from o3_governance.reporting.sections.base import Section, as_date, iso, not_available
from o3_governance.retention import queries as retention


def section(con, today: date, warn_days: int, approvers_required: int = 1) -> Section:
    """``today`` is the clock's date when the report is made: a list's age is how long it has waited
    in the world, never negative (a report for a past as-of date can see lists made later).
    ``warn_days``: a list waiting longer is flagged (the retention domain's setting);
    ``approvers_required``: the policy's four-eyes setting (each waiting list shows how many approved)."""
    has_list, register = retention.has_current_list(con), retention.has_list_register(con)
    if not has_list and not register:
        return not_available("no deletion list yet (retention has not run)")
    current = retention.current_list_size(con) if has_list else 0
    per_rule = retention.current_list_per_rule(con) if current else []
    lists: list[dict[str, Any]] = []
    awaiting: list[dict[str, Any]] = []
    approved = retention.approvals_per_list(con)
    for r in retention.deletion_lists(con) if register else []:
        created = as_date(r["created_at"])
        item = {"list_id": str(r["list_id"]), "created_at": iso(r["created_at"]), "status": str(r["status"] or ""),
                "messages": r["item_count"], "approved_at": iso(r["approved_at"]),
                "executed_at": iso(r["applied_at"]),
                "age_days": max(0, (today - created).days) if created else None,
                "approvals": f"{approved.get(str(r['list_id']), 0)} of {approvers_required}"}
        lists.append(item)
        if retention.is_awaiting_approval(r["status"]):
            awaiting.append(item)
    note = "" if register else "no approval register yet: the current list is shown without its approval state"
    return Section(note=note, data={"current_list_rows": current, "per_rule": per_rule, "lists": lists[:50],
                                    "warn_days": warn_days, "awaiting": awaiting, "register": register,
                                    "approvers_required": approvers_required})
