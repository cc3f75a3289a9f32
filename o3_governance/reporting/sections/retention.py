"""Retention decisions per rule, legal holds (names and reasons from the policy; the chats and people
they name only counted), and what falls due in the next twelve months."""
from __future__ import annotations

from datetime import date

from o3_governance.reporting import policyview
from o3_governance.reporting.sections.base import Section, as_date, iso, month_add, not_available
from o3_governance.retention import queries as retention


def section(con, as_of: date, policy: policyview.PolicyView) -> Section:
    if not retention.has_decisions(con):
        return not_available("no retention table yet (retention has not been evaluated)")
    per_rule = [{"rule": r or "(none)", "action": a or "", "messages": n, "held": h, "retain_days": policy.rule_days(r),
                 "period": policy.rule_period(r)}
                for r, a, n, h in retention.decisions_per_rule(con)]
    holds = []
    for name, n, chats in retention.held_per_hold(con):
        h = policy.hold(name)
        holds.append({"name": name, "messages": n, "chats": chats,
                      "reason": h.reason if h else "(hold not in the current policy)",
                      "until": h.until if h else "", "in_policy": h is not None})
    held_total = sum(h["messages"] for h in holds)
    seen = {h["name"] for h in holds}
    for h in policy.holds:  # holds in the policy that cover nothing yet are worth seeing too
        if h.name not in seen:
            holds.append({"name": h.name, "messages": 0, "chats": 0, "reason": h.reason, "until": h.until,
                          "in_policy": True})
    # Events: type, date, a chat id or "a subject"; never the reason or who recorded it.
    events = [{"event_id": e["event_id"], "event_type": e["event_type"], "event_date": iso(e["event_date"]),
               "for": "a subject" if e["subject"] else f"chat {e['chat_id']}",
               "recorded": iso(as_date(e["recorded_at"])),
               "status": f"withdrawn {iso(as_date(e['withdrawn_at']))}" if e["withdrawn_at"] else "in force"}
              for e in retention.events_register(con)]
    waiting = [{"event_type": t, "messages": n, "chats": c} for t, n, c in retention.waiting_per_event(con)]
    start = date(as_of.year, as_of.month, 1)
    due_rows = retention.due_per_month(con, as_of, month_add(start, 12))
    months = [month_add(start, i).strftime("%Y-%m") for i in range(12)]
    return Section(data={"total": retention.decided_messages(con), "per_rule": per_rule, "holds": holds,
                         "held_total": held_total, "due_by_month": [(m, int(due_rows.get(m, 0))) for m in months],
                         "due_now": retention.due_by(con, as_of),
                         "events": events[:100], "waiting": waiting})
