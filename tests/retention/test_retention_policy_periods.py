"""The policy schema for periods, events and disposal: each bad input refused with its line."""
import pytest

from o3_governance.retention.policy import PolicyError, parse_policy

BASE = """event_types: [project_closed]
disposal:
  approvers_required: 2
  max_new_share: 0.1
rules:
  - name: project
    match: {chats: [Werf]}
    retain_years: 2
    count_from: event:project_closed
    action: delete
  - name: invoices
    match: {document_terms: [Factuur, invoice]}
    retain_years: 10
    count_from: end_of_year
    action: delete
  - name: default
    retain_days: 730
    action: delete
"""


def refused(text):
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, source="p.yaml")
    return str(exc.value)


def test_the_full_schema_is_read():
    p = parse_policy(BASE)
    assert p.event_types == ("project_closed",)
    assert (p.approvers_required, p.max_new_share) == (2, 0.1)
    project, invoices, default = p.rules
    assert (project.retain_years, project.retain_days, project.event_type) == (2, None, "project_closed")
    assert invoices.count_from == "end_of_year" and invoices.event_type is None
    assert invoices.match["document_terms"] == ("factuur", "invoice")
    assert p.document_terms == frozenset({"factuur", "invoice"})
    assert default.count_from == "message_date"
    assert project.period == "2 years from the project_closed event"
    assert invoices.period == "10 years from 1 January after the message date"
    assert default.period == "730 days from the message date"


def test_disposal_defaults():
    p = parse_policy("rules:\n  - name: default\n    retain_days: 1\n    action: delete\n")
    assert (p.approvers_required, p.max_new_share, p.event_types) == (1, 0.25, ())


@pytest.mark.parametrize("old, new, line, words", [
    ("count_from: event:project_closed", "count_from: event:contract_ended", 9, "not in event_types"),
    ("count_from: end_of_year", "count_from: end_of_month", 14, "is not one of message_date"),
    ("    retain_years: 10\n", "    retain_years: 10\n    retain_days: 3\n", 13, "not both"),
    ("    retain_years: 2\n", "", 6, "needs 'retain_days'"),
    ("retain_years: 10", "retain_years: 101", 13, "longer than 100 years"),
    ("retain_years: 10", "retain_years: ten", 13, "whole number of years"),
    ("approvers_required: 2", "approvers_required: 3", 3, "1 or 2"),
    ("max_new_share: 0.1", "max_new_share: 1.5", 4, "max_new_share"),
    ("max_new_share: 0.1", "max_new_share: 0", 4, "max_new_share"),
    ("max_new_share: 0.1", "max_new_share: '0.1'", 4, "max_new_share"),
    ("disposal:\n", "disposal:\n  approvers: 2\n", 3, "unknown key"),
    ("event_types: [project_closed]", "event_types: [Project Closed]", 1, "lower-case"),
    ("event_types: [project_closed]", "event_types: [project_closed, project_closed]", 1, "twice"),
    ("[Factuur, invoice]", "[]", 12, "must not be empty"),
])
def test_bad_periods_events_and_disposal_are_refused_with_the_line(old, new, line, words):
    assert old in BASE
    message = refused(BASE.replace(old, new, 1))
    assert message.startswith(f"p.yaml: line {line}: "), message
    assert words in message, message


def test_the_default_policy_ships_belgian_examples_that_validate_when_enabled():
    from o3_governance.vocabulary import DEFAULT_POLICY_FILE

    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert "confirmed with the company's counsel".lower() in text.lower()
    enabled = "\n".join(line.replace("  # ", "  ", 1) if line.startswith("  # ") and not line.startswith("  # ---")
                        else line for line in text.splitlines())
    shipped, examples = parse_policy(text), parse_policy(enabled)
    assert [r.name for r in examples.rules[:3]] == ["invoices", "project-chats", "system-lines"]
    invoices, project = examples.rules[0], examples.rules[1]
    assert (invoices.retain_years, invoices.count_from) == (10, "end_of_year")
    assert "factuur" in invoices.match["document_terms"] and project.event_type == "project_closed"
    assert "invoices" not in [r.name for r in shipped.rules]
    assert shipped.event_types == ("project_closed", "contract_ended", "employee_left")
