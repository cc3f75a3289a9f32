"""The audit log: whether its hash chain holds, and its events counted."""
from __future__ import annotations

from o3_governance.reporting.sections.base import Section, iso, not_available
from o3_governance.storage import queries as storage


def section(con) -> Section:
    summary = storage.audit_summary(con)
    if summary is None:
        return not_available("no audit log yet")
    return Section(data={"ok": summary["ok"], "rows": summary["rows"], "problem": summary["problem"],
                         "events": [(e, n, iso(ts)) for e, n, ts in summary["events"]]})
