"""Periods that count from something: recorded events (chat and subject), the end of the year, calendar
years over 29 February; document_terms; the events' register and its audit trail."""
from datetime import date, datetime, timezone

import pytest

from o3_governance.retention import decide, events
from o3_governance.retention.approvals import ApprovalError
from o3_governance.retention.policy import parse_policy
from o3_governance.storage import warehouse

from support.retention import add_message, chat_id

NOW = datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc)
AS_OF = date(2026, 6, 1)
SECRET = b"k" * 32

EVENT_POLICY = """
event_types: [project_closed, employee_left]
rules:
  - name: project-chats
    match: {chats: ["Werf Leuven"]}
    retain_days: 30
    count_from: event:project_closed
    action: delete
  - name: staff
    match: {chats: ["Staff"]}
    retain_days: 10
    count_from: event:employee_left
    action: delete
  - name: invoices
    match: {document_terms: [factuur, facture, invoice]}
    retain_years: 10
    count_from: end_of_year
    action: delete
  - name: yearly
    match: {chats: ["Leap"]}
    retain_years: 1
    action: delete
  - name: default
    retain_days: 730
    action: delete
"""
POLICY = parse_policy(EVENT_POLICY)


@pytest.fixture
def con(data_layout):
    c = warehouse.connect(data_layout.warehouse)
    yield c
    c.close()


def night(con, as_of=AS_OF, policy=POLICY):
    decide.compute(con, policy, as_of, now=NOW, secret=SECRET)
    return {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, rule, retain_until, waiting_for, eligible, count_from_date, reason FROM retention"
    ).fetchall()}


def listed(con):
    return {r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()}


def record(con, **kw):
    args = dict(event_type="project_closed", event_date=date(2025, 1, 31), recorded_by="Ann Peeters", now=NOW,
                chat="Werf Leuven", secret=SECRET)
    args.update(kw)
    return events.record(con, POLICY, **args)


def test_before_the_event_messages_wait_and_are_never_listed(con):
    add_message(con, "old", day=date(2015, 1, 1))
    d = night(con)
    assert d["old"][:4] == ("project-chats", None, "project_closed", False)
    assert listed(con) == set()


def test_after_the_event_retain_until_is_event_date_plus_the_period(con):
    add_message(con, "old", day=date(2015, 1, 1))
    add_message(con, "other", chat="Elsewhere", day=date(2026, 5, 1))
    record(con)
    d = night(con)
    assert d["old"][1] == date(2025, 3, 2) and d["old"][2] is None and d["old"][3] is True
    assert d["old"][4] == date(2025, 1, 31)
    assert listed(con) == {"old"}


def test_withdrawing_the_event_puts_its_messages_back_to_waiting(con):
    add_message(con, "old", day=date(2015, 1, 1))
    event_id = record(con)
    assert night(con)["old"][3] is True
    events.withdraw(con, event_id, withdrawn_by="Bert Maes", reason="recorded on the wrong chat", now=NOW)
    d = night(con)
    assert d["old"][1:4] == (None, "project_closed", False)
    assert listed(con) == set()
    row = con.execute("SELECT withdrawn_at IS NOT NULL, withdrawn_by FROM retention_events").fetchall()
    assert row == [(True, "Bert Maes")]  # withdrawn, never deleted


def test_event_of_another_type_or_chat_does_not_count(con):
    add_message(con, "old", day=date(2015, 1, 1))
    record(con, event_type="employee_left")
    add_message(con, "x", chat="Elsewhere", day=date(2015, 1, 1))
    record(con, chat="Elsewhere")
    assert night(con)["old"][2] == "project_closed"


def test_subject_event_covers_what_that_person_wrote(con):
    add_message(con, "by-jan", chat="Staff", author="Jan Claes", phone="+32471556677", day=date(2020, 1, 1))
    add_message(con, "by-ann", chat="Staff", author="Ann Peeters", day=date(2020, 1, 1))
    record(con, event_type="employee_left", chat=None, subject="0471 55 66 77", event_date=date(2026, 1, 1))
    d = night(con)
    assert d["by-jan"][1:4] == (date(2026, 1, 11), None, True)
    assert d["by-ann"][2] == "employee_left"
    stored = con.execute("SELECT chat_id, subject_key FROM retention_events").fetchall()[0]
    assert stored[0] is None and "471" not in stored[1] and len(stored[1]) == 64  # a keyed hash, not the number


def test_subject_event_by_name(con):
    add_message(con, "by-jan", chat="Staff", author="Jan Claes", day=date(2020, 1, 1))
    record(con, event_type="employee_left", chat=None, subject="jan  CLAES", event_date=date(2026, 1, 1))
    assert night(con)["by-jan"][3] is True


def test_end_of_year_counts_from_the_first_of_january_after_the_local_date(con):
    add_message(con, "inv", chat="Boekhouding", attachment="Factuur-2016-031.pdf", day=date(2016, 3, 15))
    add_message(con, "dec31", chat="Boekhouding", attachment="facture.pdf", day=date(2016, 12, 31))
    d = night(con)
    assert d["inv"][0] == "invoices" and d["inv"][1] == date(2027, 1, 1) and d["inv"][4] == date(2017, 1, 1)
    assert d["dec31"][1] == date(2027, 1, 1)
    assert night(con, as_of=date(2026, 12, 31))["inv"][3] is False
    assert night(con, as_of=date(2027, 1, 1))["inv"][3] is True


def test_document_terms_in_the_attachments_extracted_text(con):
    add_message(con, "scan", chat="Boekhouding", attachment="IMG-0001.jpg", media_sha256="abc", day=date(2016, 3, 1))
    add_message(con, "photo", chat="Boekhouding", attachment="IMG-0002.jpg", media_sha256="def", day=date(2016, 3, 1))
    decide.ensure_schema(con)
    con.execute("INSERT INTO attachment_terms VALUES ('abc', 'Invoice'), ('def', 'offerte')")
    d = night(con)
    assert d["scan"][0] == "invoices" and d["photo"][0] == "default"
    assert d["scan"][5] == "matched document_terms"


def test_document_terms_work_without_an_attachment_terms_table(con):
    add_message(con, "inv", chat="Boekhouding", attachment="factuur.pdf", day=date(2016, 3, 1))
    assert not warehouse.table_exists(con, "attachment_terms")
    assert night(con)["inv"][0] == "invoices"


@pytest.mark.parametrize("day, as_of, until", [
    (date(2024, 2, 29), date(2026, 1, 1), date(2025, 3, 1)),   # no 29 February in 2025: never a day short
    (date(2023, 2, 28), date(2026, 1, 1), date(2024, 2, 28)),
    (date(2023, 3, 1), date(2026, 1, 1), date(2024, 3, 1)),
])
def test_retain_years_are_calendar_years_with_29_february(con, day, as_of, until):
    add_message(con, "m", chat="Leap", day=day)
    assert night(con, as_of=as_of)["m"][1] == until


def test_retain_years_four_years_from_29_february_lands_on_29_february(con):
    add_message(con, "m", chat="Leap", day=date(2024, 2, 29))
    policy = parse_policy(EVENT_POLICY.replace("retain_years: 1\n", "retain_years: 4\n"))
    d = night(con, policy=policy)
    assert d["m"][1] == date(2028, 2, 29)
    assert night(con, as_of=date(2028, 2, 28), policy=policy)["m"][3] is False
    assert night(con, as_of=date(2028, 2, 29), policy=policy)["m"][3] is True


def test_every_event_change_is_in_the_audit_log_without_the_reason(con):
    add_message(con, "old", day=date(2015, 1, 1))
    event_id = record(con, reason="Oplevering met Jan besproken")
    events.withdraw(con, event_id, withdrawn_by="Bert Maes", reason="typo in the date", now=NOW)
    rows = con.execute("SELECT event, details FROM audit_log WHERE event LIKE 'retention_event%' ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ["retention_event_recorded", "retention_event_withdrawn"]
    assert all("Jan" not in r[1] and "typo" not in r[1] and "Ann" not in r[1] for r in rows)


def test_unknown_event_type_is_refused(con):
    add_message(con, "old")
    with pytest.raises(events.EventError, match="unknown event type"):
        record(con, event_type="contract_ended")
    assert events.list_events(con) == []


def test_unknown_chat_is_refused(con):
    add_message(con, "old")
    with pytest.raises(events.EventError, match="matches no chat"):
        record(con, chat="Werf Lovain")


def test_chat_given_by_its_id(con):
    add_message(con, "old")
    record(con, chat=chat_id("Werf Leuven"))
    assert events.list_events(con)[0].chat_id == chat_id("Werf Leuven")


def test_subject_without_letters_must_be_a_phone_number(con):
    with pytest.raises(events.EventError, match="valid phone number"):
        record(con, chat=None, subject="12")


@pytest.mark.parametrize("name", ["", "   ", "<your name>", "<naam>"])
def test_placeholder_recorder_is_refused(con, name):
    add_message(con, "old")
    with pytest.raises(ApprovalError):
        record(con, recorded_by=name)


def test_withdrawing_an_unknown_or_withdrawn_event_is_refused(con):
    add_message(con, "old")
    with pytest.raises(events.EventError, match="no retention event"):
        events.withdraw(con, "ev-nope", withdrawn_by="Bert Maes", reason="x", now=NOW)
    event_id = record(con)
    events.withdraw(con, event_id, withdrawn_by="Bert Maes", reason="x", now=NOW)
    with pytest.raises(events.EventError, match="already withdrawn"):
        events.withdraw(con, event_id, withdrawn_by="Bert Maes", reason="x", now=NOW)
    with pytest.raises(events.EventError, match="why"):
        events.withdraw(con, record(con), withdrawn_by="Bert Maes", reason=" ", now=NOW)
