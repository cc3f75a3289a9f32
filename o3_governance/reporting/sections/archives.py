"""Archives received: per status, why the others were not ingested, what intake salvaged or could not
fetch (records kept aside, media never captured), and the registry (ids, types, counts)."""
from __future__ import annotations

from o3_governance.reporting.sections.base import Section, iso, not_available
from o3_governance.reporting.text import safe_reason
from o3_governance.ingest import queries as intake
from o3_governance.storage import queries as storage


def section(con) -> Section:
    if not storage.has_archives(con):
        return not_available("no archive registry yet")
    by_status = storage.archive_status_counts(con)
    merged: dict[tuple[str, str], int] = {}
    for status, reason, n in storage.archive_reasons(con):
        key = (status, safe_reason(reason) or "(no reason given)")
        merged[key] = merged.get(key, 0) + n
    reasons = [{"status": s, "reason": r, "count": n} for (s, r), n in
               sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))]
    rows = []
    for r in storage.archive_rows(con):
        r["reason"] = safe_reason(r.get("reason"))
        r["received_at"] = iso(r.get("received_at"))
        rows.append(r)
    return Section(data={"by_status": by_status, "reasons": reasons, "rows": rows,
                         "total": sum(by_status.values()), "intake": intake.intake_counts(con)})
