"""The report's retention-events part: events, messages waiting for one, the four-eyes state of the
waiting list; and the Art. 30 record describing end-of-year, event and year periods. No reason and no
recorder's name reach a report."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from o3_governance.reporting import art30, policyview
from o3_governance.retention import approvals, decide, events
from o3_governance.retention.policy import load_policy
from o3_governance.storage import warehouse

from support.reporting import build
from support.retention import add_message, chat_id, write_policy

AS_OF = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)
POLICY = """
event_types: [project_closed, employee_left]
disposal:
  approvers_required: 2
rules:
  - name: project-chats
    match: {chats: ["Werf Leuven"]}
    retain_days: 30
    count_from: event:project_closed
    action: delete
  - name: invoices
    match: {document_terms: [factuur]}
    retain_years: 10
    count_from: end_of_year
    action: delete
  - name: default
    retain_days: 730
    action: delete
"""


@pytest.fixture
def report(data_layout, tmp_path):
    path = write_policy(tmp_path / "policy.yaml", POLICY)
    policy = load_policy(path)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "w1", day=date(2020, 1, 1))
        add_message(con, "w2", day=date(2020, 2, 1))
        add_message(con, "g1", chat="Ginderbuiten", day=date(2020, 1, 1))
        add_message(con, "g2", chat="Ginderbuiten", day=date(2020, 1, 2))
        ev = events.record(con, policy, event_type="project_closed", chat="Ginderbuiten", event_date=date(2024, 1, 1),
                           recorded_by="Ann Peeters", reason="Oplevering getekend door Jan", now=NOW)
        events.record(con, policy, event_type="employee_left", subject="+32 471 55 66 77",
                      event_date=date(2025, 1, 1), recorded_by="Ann Peeters", now=NOW, secret=b"s" * 32)
        events.withdraw(con, ev, withdrawn_by="Bert Maes", reason="verkeerde werf", now=NOW)
        decide.compute(con, policy, AS_OF, now=NOW)
        list_id = con.execute("SELECT DISTINCT list_id FROM deletion_list").fetchall()[0][0]
        approvals.approve(con, list_id, "Els Janssens", required=2, now=NOW)
    result = build(data_layout, AS_OF, path, now=NOW)
    return (result.folder / "report.html").read_text(encoding="utf-8"), ev, list_id


def test_report_shows_events_waiting_messages_and_the_four_eyes_state(report):
    html, event_id, list_id = report
    assert "Retention events and messages waiting for one" in html
    assert "<td>project_closed</td><td class=\"n\">2</td><td class=\"n\">1</td>" in html   # w1, w2 in one chat
    assert event_id in html and "withdrawn 2026-11-24" in html and "a subject" in html
    assert f"chat {chat_id('Ginderbuiten')}" in html
    assert list_id in html and "<td>1 of 2</td>" in html


def test_report_leaks_no_reason_recorder_or_subject(report):
    html, _, _ = report
    for text in ("Oplevering", "verkeerde", "Ann Peeters", "Bert Maes", "Els Janssens", "471"):
        assert text not in html, text


def test_report_describes_each_rule_period(report):
    html, _, _ = report
    assert "30 days after the project_closed event (kept until the event is recorded)" in html
    assert "10 years after 1 January following the message date" in html
    assert "730 days after the message date" in html


def test_art30_describes_end_of_year_event_and_year_rules(data_layout, tmp_path):
    view = policyview.load(write_policy(tmp_path / "policy.yaml", POLICY))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        record = art30.build_record(con, view, AS_OF, art30.load_activity(), NOW, raw_retention_days=0,
                                    report_retention_days=365)
    limits = {r["rule"]: r["envisaged_time_limit"] for r in record["retention_periods"] if r["source"] == "policy"}
    assert limits == {
        "project-chats": "30 days after the project_closed event (kept until the event is recorded), then delete",
        "invoices": "10 years after 1 January following the message date, then delete",
        "default": "730 days after the message date, then delete"}
    rows = {r["item"]: r for r in art30.record_rows(record) if r["section"] == "retention_period"}
    assert rows["messages, media and lake: invoices"]["value"] == "10 years"
