"""Retention decisions: rule order, each match kind, holds, the as-of boundary, the deletion list register."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from o3_governance.storage import audit, warehouse
from o3_governance.retention import decide
from o3_governance.identity.directory import load_directory
from o3_governance.retention.policy import parse_policy

from support.retention import SIMPLE_POLICY, add_finding, add_message, chat_id

AS_OF = date(2026, 6, 1)
OLD = date(2020, 1, 1)  # due under every rule of SIMPLE_POLICY
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc)


def decisions(con, policy_text=SIMPLE_POLICY, as_of=AS_OF, directory=()):
    decide.compute(con, parse_policy(policy_text), as_of, now=NOW, directory=directory)
    return {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, rule, action, retain_until, legal_hold, eligible FROM retention").fetchall()}


@pytest.fixture
def con(data_layout):
    c = warehouse.connect(data_layout.warehouse)
    yield c
    c.close()


def test_every_message_gets_exactly_one_row_by_the_first_matching_rule(con):
    add_message(con, "text", day=OLD)
    add_message(con, "system", day=OLD, mtype="system", author=None)
    add_message(con, "media", day=OLD, mtype="media")
    add_message(con, "special-system", day=OLD, mtype="system", author=None)
    add_finding(con, "special-system", "HEALTH_DATA")  # both rule 1 and rule 2 match: rule 1 wins
    d = decisions(con)
    assert con.execute("SELECT count(*), count(DISTINCT message_id) FROM retention").fetchall() == [(4, 4)]
    assert {k: v[0] for k, v in d.items()} == {"text": "default", "system": "system", "media": "media",
                                                "special-system": "sensitive"}
    assert d["special-system"][1] == "anonymise"


def test_rule_order_matters(con):
    add_message(con, "m", day=OLD, mtype="system", author=None)
    swapped = SIMPLE_POLICY.replace("  - name: system\n    match: {message_type: [system, deleted]}\n"
                                    "    retain_days: 90\n    action: delete\n", "")
    swapped = swapped.replace("rules:\n", "rules:\n  - name: system\n    match: {message_type: [system, deleted]}\n"
                                          "    retain_days: 90\n    action: delete\n")
    add_finding(con, "m", "RELIGIOUS_BELIEF")
    assert decisions(con)["m"][0] == "sensitive"
    assert decisions(con, swapped)["m"][0] == "system"


def test_special_category_means_an_art9_or_art10_finding(con):
    for i, kind in enumerate(["HEALTH_DATA", "CRIMINAL_OFFENCE", "TRADE_UNION_MEMBERSHIP", "IBAN_CODE", "PERSON"]):
        add_message(con, kind, day=OLD)
        add_finding(con, kind, kind)
    add_message(con, "none", day=OLD)
    d = decisions(con)
    assert {k for k, v in d.items() if v[0] == "sensitive"} == {"HEALTH_DATA", "CRIMINAL_OFFENCE",
                                                                "TRADE_UNION_MEMBERSHIP"}


def test_without_a_findings_table_nothing_is_special(con):
    add_message(con, "m", day=OLD)
    assert not warehouse.table_exists(con, "findings")
    assert decisions(con)["m"][0] == "default"


def test_special_category_false_matches_messages_without_such_findings(con):
    add_message(con, "plain", day=OLD)
    add_message(con, "health", day=OLD)
    add_finding(con, "health", "HEALTH_DATA")
    policy = SIMPLE_POLICY.replace("{special_category: true}", "{special_category: false}")
    d = decisions(con, policy)
    assert d["plain"][0] == "sensitive" and d["health"][0] == "default"


@pytest.mark.parametrize("match, hit, miss", [
    ("{message_type: [deleted]}", dict(mtype="deleted"), dict(mtype="text")),
    ('{chats: ["Client Bruxelles"]}', dict(chat="Client Bruxelles"), dict(chat="Werf Leuven")),
    ("{chats: [" + chat_id("Client Bruxelles") + "]}", dict(chat="Client Bruxelles"), dict(chat="Werf Leuven")),
    ("{source_format: [ios, cloud_api]}", dict(source_format="ios"), dict(source_format="android")),
    ("{language: [fr]}", dict(language="fr"), dict(language="nl")),
    ("{message_type: [text], language: [fr]}", dict(language="fr"), dict(language="fr", mtype="media")),
])
def test_each_match_kind(con, match, hit, miss):
    add_message(con, "hit", day=OLD, **hit)
    add_message(con, "miss", day=OLD, **miss)
    policy = SIMPLE_POLICY.replace("{special_category: true}", match)
    d = decisions(con, policy)
    assert d["hit"][0] == "sensitive" and d["miss"][0] != "sensitive"


def test_entity_types_match_kind(con):
    add_message(con, "iban", day=OLD)
    add_finding(con, "iban", "IBAN_CODE")
    add_message(con, "person", day=OLD)
    add_finding(con, "person", "PERSON")
    d = decisions(con, SIMPLE_POLICY.replace("{special_category: true}", "{entity_types: [IBAN_CODE, EMAIL_ADDRESS]}"))
    assert d["iban"][0] == "sensitive" and d["person"][0] == "default"


def test_retain_until_counts_from_the_local_date_and_due_means_on_or_before_as_of(con):
    # 23:30 on 31 Dec local is 22:30 UTC: the local date, not the UTC one, is what counts.
    add_message(con, "m", day=date(2024, 5, 31), at=time(23, 30))
    add_message(con, "n", day=date(2024, 6, 1), at=time(0, 30))   # 22:30 UTC the day before
    d = decisions(con, as_of=date(2026, 5, 31))
    assert d["m"][2] == date(2026, 5, 31) and d["m"][4] is True  # 730 days, due on that very day
    assert d["n"][2] == date(2026, 6, 1) and d["n"][4] is False
    assert decisions(con, as_of=date(2026, 6, 1))["n"][4] is True


def test_local_date_around_dst_changes(con):
    # 02:30 does not exist on 31 March 2024 and happens twice on 27 October 2024 in Brussels.
    add_message(con, "spring", day=date(2024, 3, 31), at=time(2, 30))
    add_message(con, "autumn", day=date(2024, 10, 27), at=time(2, 30))
    d = decisions(con, as_of=date(2026, 3, 31))
    assert d["spring"][2] == date(2024, 3, 31) + timedelta(days=730) and d["spring"][4] is True
    assert d["autumn"][2] == date(2024, 10, 27) + timedelta(days=730) and d["autumn"][4] is False


HOLDS = SIMPLE_POLICY + """
legal_holds:
  - name: chat-hold
    chats: ["Client Bruxelles"]
    reason: dispute
  - name: phone-hold
    subjects: ["0032 471 55 66 77"]
    until: 2026-12-31
  - name: name-hold
    subjects: ["Jan JANSSENS"]
  - name: ended-hold
    chats: ["Werf Gent"]
    until: 2026-05-31
"""


def test_holds_by_chat_subject_phone_and_name(con):
    add_message(con, "chat", day=OLD, chat="Client Bruxelles")
    add_message(con, "phone-author", day=OLD, author="Pieter", phone="+32471556677")
    add_message(con, "phone-mention", day=OLD, body="Bel hem op +32 (0)471 55.66.77 morgen")
    add_message(con, "name-author", day=OLD, author="~ Jan Janssens")
    add_message(con, "name-mention", day=OLD, body="Vraag het aan jan janssens zelf")
    add_message(con, "free", day=OLD, author="Ann", body="Niemand bijzonder, Jan Janssen-achtig")
    d = decisions(con, HOLDS)
    assert {k: v[3] for k, v in d.items()} == {
        "chat": "chat-hold", "phone-author": "phone-hold", "phone-mention": "phone-hold",
        "name-author": "name-hold", "name-mention": "name-hold", "free": None}
    assert [k for k, v in d.items() if v[4]] == ["free"]
    listed = {r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()}
    assert listed == {"free"}


def test_a_hold_on_a_name_holds_it_in_every_written_order(con):
    add_message(con, "author-reversed", day=OLD, author="Janssens, Jan")
    add_message(con, "author-surname-first", day=OLD, author="Janssens Jan")
    add_message(con, "mention-reversed", day=OLD, body="Dossier van Janssens, Jan ligt klaar")
    add_message(con, "mention-surname-first", day=OLD, body="janssens jan belt straks")
    add_message(con, "free", day=OLD, author="Ann", body="Jan en Piet Janssen komen")
    d = decisions(con, HOLDS)
    assert {k: v[3] for k, v in d.items()} == {"author-reversed": "name-hold", "author-surname-first": "name-hold",
                                               "mention-reversed": "name-hold",
                                               "mention-surname-first": "name-hold", "free": None}


def test_subject_hold_reaches_names_and_phones_through_the_directory(con, tmp_path, monkeypatch):
    directory = tmp_path / "people.csv"
    directory.write_text("name,phone\nPieter De Smet,0471 55 66 77\nJan Janssens,+32 470 99 88 77\n")
    add_message(con, "by-name", day=OLD, author="Pieter De Smet")          # Android shows the contact name
    add_message(con, "by-phone", day=OLD, author="+32 470 99 88 77", phone="+32470998877")
    add_message(con, "other", day=OLD, author="Ann")
    assert decisions(con, HOLDS)["by-name"][3] is None   # without the directory, a name is not a number
    d = decisions(con, HOLDS, directory=load_directory(directory))
    assert d["by-name"][3] == "phone-hold" and d["by-phone"][3] == "name-hold" and d["other"][3] is None


def test_ended_hold_no_longer_holds_and_until_day_itself_still_holds(con):
    add_message(con, "gent", day=OLD, chat="Werf Gent")
    add_message(con, "phone", day=OLD, author="P", phone="+32471556677")
    assert decisions(con, HOLDS, as_of=date(2026, 5, 31))["gent"][3] == "ended-hold"
    after = decisions(con, HOLDS, as_of=date(2026, 6, 1))
    assert after["gent"][3] is None and after["gent"][4] is True
    assert after["phone"][3] == "phone-hold"  # open until 2026-12-31
    assert decisions(con, HOLDS, as_of=date(2027, 1, 1))["phone"][3] is None


def test_open_ended_hold_holds_forever(con):
    add_message(con, "m", day=date(1999, 1, 1), chat="Client Bruxelles")
    d = decisions(con, HOLDS, as_of=date(2099, 1, 1))
    assert d["m"][3] == "chat-hold" and d["m"][4] is False


def test_restricted_messages_are_kept_back(con):
    add_message(con, "r", day=OLD)
    add_message(con, "s", day=OLD)
    # The marks as the rights domain records them (storage.restrictions: created with the warehouse).
    con.execute("INSERT INTO restrictions VALUES ('R1', 'key', 'restriction', false, now(), NULL, NULL)")
    con.execute("INSERT INTO restricted_messages VALUES ('R1', 'r')")
    decisions(con)
    assert con.execute("SELECT message_id, restricted, eligible FROM retention ORDER BY 1").fetchall() == [
        ("r", True, False), ("s", False, True)]


def test_deletion_list_is_registered_stable_then_superseded(con):
    add_message(con, "a", day=OLD)
    add_message(con, "b", day=date(2026, 1, 1))
    policy = parse_policy(SIMPLE_POLICY)
    first = decide.compute(con, policy, AS_OF, now=NOW)
    assert first.list_status == "new" and first.list_items == 1
    again = decide.compute(con, policy, AS_OF + timedelta(days=1), now=NOW)
    assert again.list_status == "unchanged" and again.list_id == first.list_id
    later = decide.compute(con, policy, date(2028, 1, 1), now=NOW)  # b falls due too: a new list
    assert later.list_status == "new" and later.list_id != first.list_id and later.superseded == 1
    lists = dict(con.execute("SELECT list_id, status FROM deletion_lists").fetchall())
    assert lists == {first.list_id: "superseded", later.list_id: "awaiting_approval"}
    assert sorted(r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()) == ["a", "b"]
    assert con.execute("SELECT count(*) FROM deletion_list_items WHERE list_id = ?", [first.list_id]).fetchall()[0][0] == 0
    # list id = first 16 hex of the hash of its content
    (h,) = con.execute("SELECT list_hash FROM deletion_lists WHERE list_id = ?", [later.list_id]).fetchall()[0]
    assert h.startswith(later.list_id) and len(h) == 64


def test_nothing_due_means_no_list_and_supersedes_the_old_one(con):
    add_message(con, "a", day=OLD, chat="Werf Gent")
    first = decide.compute(con, parse_policy(HOLDS), date(2026, 6, 1), now=NOW)
    assert first.list_items == 1
    held = HOLDS.replace("until: 2026-05-31", "until: null")
    second = decide.compute(con, parse_policy(held), date(2026, 6, 2), now=NOW)
    assert second.list_status == "none" and second.superseded == 1
    assert con.execute("SELECT count(*) FROM deletion_list").fetchall()[0][0] == 0


def test_decisions_are_audited_with_counts_only(con):
    add_message(con, "a", day=OLD, body="Geheim plan voor de werf", chat="Client Bruxelles")
    add_message(con, "b", day=OLD)
    decisions(con, HOLDS)
    (details,) = con.execute("SELECT details FROM audit_log WHERE event = 'retention_decided'").fetchall()[0]
    assert '"eligible":1' in details and '"held":1' in details
    for secret in ("Geheim", "Bruxelles", "Ann Peeters", '"a"'):
        assert secret not in details
    assert audit.verify(con).ok


def test_invalid_policy_changes_nothing(data_layout, tmp_path):
    """The shell loads the policy before the decisions: a refused file fails the asset, and the
    retention table of the night before stays as it was."""
    import dagster as dg

    from o3_governance.defs.retention import assets as rdefs
    from support.dagster_resources import resources

    con = warehouse.connect(data_layout.warehouse)
    add_message(con, "a", day=OLD)
    decide.compute(con, parse_policy(SIMPLE_POLICY), AS_OF, now=NOW)
    before = con.execute("SELECT * FROM retention").fetchall()
    con.close()
    bad = tmp_path / "bad.yaml"
    bad.write_text(SIMPLE_POLICY.replace("retain_days: 730", "retain_days: -5"))
    result = dg.materialize([rdefs.retention_asset], raise_on_error=False,
                            resources=resources(data_layout, policy_file=bad, as_of="2030-01-01"))
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "line 17" in message
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        assert con.execute("SELECT * FROM retention").fetchall() == before


def test_the_time_of_the_decision_is_the_callers(con):
    add_message(con, "a", day=OLD)
    decide.compute(con, parse_policy(SIMPLE_POLICY), AS_OF, now=NOW)
    assert con.execute("SELECT DISTINCT decided_at FROM retention").fetchall() == [(NOW,)]
    assert con.execute("SELECT created_at FROM deletion_lists").fetchall() == [(NOW,)]
    with pytest.raises(ValueError, match="timezone-aware"):
        decide.compute(con, parse_policy(SIMPLE_POLICY), AS_OF, now=NOW.replace(tzinfo=None))
