"""Data-subject requests: open ones and their one-month deadline (Art. 12(3)), by request id only."""
from __future__ import annotations

from datetime import date

from o3_governance.reporting.sections.base import Section, as_date, iso, not_available
from o3_governance.reporting.text import mask_free_text
from o3_governance.rights import queries as rights


def section(con, as_of: date) -> Section:
    if not rights.has_register(con):
        return not_available("no data-subject requests register yet")
    requests = []
    for r in rights.requests(con):
        due = as_date(r["due_date"])
        days_left = (due - as_of).days if due and r["open"] else None
        requests.append({"request_id": mask_free_text(str(r["request_id"])), "kind": str(r["kind"] or ""),
                         "received_at": iso(r["received_on"]), "due_date": due.isoformat() if due else "",
                         "status": mask_free_text(str(r["status"] or "")), "completed_at": iso(r["completed_at"]),
                         "open": r["open"], "days_left": days_left,
                         "overdue": days_left is not None and days_left < 0})
    per_kind: dict[str, int] = {}
    for r in requests:
        per_kind[r["kind"] or "unknown"] = per_kind.get(r["kind"] or "unknown", 0) + 1
    return Section(data={"requests": requests, "open": sum(r["open"] for r in requests),
                         "overdue": sum(r["overdue"] for r in requests), "per_kind": per_kind})
