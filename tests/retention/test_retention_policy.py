"""The policy file: the default loads, every kind of error is refused with its line, as-of dates."""
from datetime import date, datetime, timezone

import pytest

from o3_governance import settings
from o3_governance.defs.retention import assets as rdefs
from o3_governance.retention.policy import PolicyError, as_of_date, load_policy, parse_policy

GOOD = """\
timezone: Europe/Brussels
rules:
  - name: sensitive
    match: {special_category: true}
    retain_days: 30
    action: anonymise
  - name: default
    retain_days: 730
    action: delete
legal_holds:
  - name: dispute
    chats: ["Client Bruxelles"]
    subjects: ["0471 55 66 77", "Jan Janssens"]
    reason: Open dispute
    until: 2025-06-30
"""


def refused(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, source="p.yaml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_default_policy_ships_and_loads():
    policy = load_policy(settings.DEFAULT_POLICY_FILE)
    assert [r.name for r in policy.rules][-1] == "default" and policy.rules[-1].catch_all
    assert policy.rules[0].match == {"special_category": True} and policy.rules[0].action == "anonymise"
    assert [h.name for h in policy.holds] == ["dispute-bruxelles"] and policy.holds[0].until is None


def test_policy_file_comes_from_environment(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD)
    conf = settings.load({"O3_POLICY_FILE": "mine.yaml"}, cwd=tmp_path)
    assert [r.name for r in rdefs.policy_of(conf).rules] == ["sensitive", "default"]
    assert [r.name for r in rdefs.policy_of(settings.load({}, cwd=tmp_path)).rules][-1] == "default"  # shipped


def test_good_policy_parses_holds_subjects_into_phones_and_names():
    policy = parse_policy(GOOD)
    (hold,) = policy.holds
    assert hold.phones == ("+32471556677",) and hold.names == ("jan janssens",)
    assert hold.until == date(2025, 6, 30)
    assert hold.active(date(2025, 6, 30)) and not hold.active(date(2025, 7, 1))


@pytest.mark.parametrize("spelling", ["+32 471 55 66 77", "0471/55.66.77", "0032471556677", "+32 (0)471 556677",
                                      "\u202a+32\u00a0471\u00a055\u00a066\u00a077\u202c"])
def test_subject_phone_in_any_usual_spelling_is_e164(spelling):
    policy = parse_policy(GOOD.replace('"0471 55 66 77"', repr(spelling).replace("'", '"')))
    assert policy.holds[0].phones == ("+32471556677",)


@pytest.mark.parametrize("text, line, words", [
    (GOOD.replace("timezone: Europe/Brussels", "timezone: Europe/Brusels"), 1, "not a known time zone"),
    (GOOD.replace("rules:", "rulez:"), 2, "unknown key 'rulez'"),
    (GOOD.replace("    retain_days: 30\n", "    retain_days: 30\n    colour: red\n"), 6, "unknown key 'colour'"),
    (GOOD.replace("retain_days: 30", "retain_days: -1"), 5, "must not be negative"),
    (GOOD.replace("retain_days: 30", "retain_days: thirty"), 5, "whole number of days"),
    (GOOD.replace("retain_days: 30", "retain_days: 30.5"), 5, "whole number of days"),
    (GOOD.replace("retain_days: 30", "retain_days: true"), 5, "whole number of days"),
    (GOOD.replace("action: anonymise", "action: archive"), 6, "action 'archive' is not one of"),
    (GOOD.replace("{special_category: true}", "{sender: Ann}"), 4, "unknown key 'sender'"),
    (GOOD.replace("{special_category: true}", "{special_category: yes please}"), 4, "true or false"),
    (GOOD.replace("{special_category: true}", "{message_type: [txt]}"), 4, "'txt' is not one of"),
    (GOOD.replace("{special_category: true}", "{message_type: {a: 1}}"), 4, "must be a list"),
    (GOOD.replace("until: 2025-06-30", "until: 2025-02-30"), 15, "not a real date"),
    (GOOD.replace("until: 2025-06-30", "until: next year"), 15, "ISO date"),
    (GOOD.replace("name: default", "name: sensitive"), 7, "used twice (first on line 3)"),
    (GOOD.replace("  - name: default\n    retain_days: 730\n    action: delete\n", ""), 3, "last rule must be a default"),
    (GOOD.replace("  - name: default\n", "  - name: default\n    match: {message_type: [text]}\n"), 7,
     "last rule must be a default"),
    (GOOD.replace("  - name: sensitive\n    match: {special_category: true}\n",
                  "  - name: sensitive\n"), 6, "can never apply"),
    (GOOD.replace("    retain_days: 730\n", ""), 7, "needs 'retain_days'"),
    (GOOD.replace('subjects: ["0471 55 66 77", "Jan Janssens"]', 'subjects: ["0471 55"]')
         .replace('    chats: ["Client Bruxelles"]\n', ""), 12, "must be a valid phone number"),
    (GOOD.replace('"0471 55 66 77"', '"+32 12"'), 13, "must be a valid phone number"),
    (GOOD.replace('"0471 55 66 77"', '"+999 1234 5678 9"'), 13, "must be a valid phone number"),
    (GOOD.replace('subjects: ["0471 55 66 77", "Jan Janssens"]', 'subjects: []'), 13, "must not be empty"),
    (GOOD.replace('    chats: ["Client Bruxelles"]\n    subjects: ["0471 55 66 77", "Jan Janssens"]\n', ""), 11,
     "needs 'chats' and/or 'subjects'"),
    (GOOD.replace("  - name: dispute\n", "  - name: dispute\n    name: again\n"), 12, "appears twice"),
    (GOOD + "  - name: dispute\n    chats: [x]\n", 16, "legal hold name 'dispute' is used twice"),
    (GOOD.replace("rules:\n", "rules: [\n"), 3, "not valid YAML"),
    ("", 1, "empty"),
    ("- just\n- a list\n", 1, "must be a mapping"),
    ("timezone: Europe/Brussels\n", 1, "no 'rules'"),
    ("rules: []\n", 1, "at least a default rule"),
])
def test_invalid_policy_is_refused_with_line_and_problem(text, line, words):
    message = refused(text)
    assert message.startswith(f"p.yaml: line {line}: "), message
    assert words in message, message


def test_refused_policy_file_names_the_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_bytes(b"\xff\xfe rules")
    with pytest.raises(PolicyError, match=r"^policy.yaml: line 1: the file is not UTF-8"):
        load_policy(path)
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "missing.yaml")


def test_us_spelling_of_anonymise_is_accepted():
    policy = parse_policy(GOOD.replace("action: anonymise", "action: anonymize"))
    assert policy.rules[0].action == "anonymise"


def test_every_match_kind_parses():
    policy = parse_policy(GOOD.replace(
        "{special_category: true}",
        "{special_category: false, message_type: [text], chats: [A], source_format: [ios], language: [fr], "
        "entity_types: [IBAN_CODE]}"))
    assert set(policy.rules[0].match) == {"special_category", "message_type", "chats", "source_format", "language",
                                          "entity_types"}


# ---- as-of: O3_AS_OF wins; otherwise the policy time zone's date, around midnight and DST changes

def test_o3_as_of_stands_in_for_today():
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)
    conf = settings.load({"O3_AS_OF": "2024-03-31"})
    assert rdefs.as_of_of(conf, parse_policy(GOOD), later) == date(2024, 3, 31)
    assert rdefs.as_of_of(settings.load({}), parse_policy(GOOD), later) == date(2030, 1, 1)


@pytest.mark.parametrize("utc, expected", [
    (datetime(2024, 1, 15, 22, 59, tzinfo=timezone.utc), date(2024, 1, 15)),   # 23:59 CET
    (datetime(2024, 1, 15, 23, 0, tzinfo=timezone.utc), date(2024, 1, 16)),    # 00:00 CET: already tomorrow
    (datetime(2024, 3, 30, 23, 30, tzinfo=timezone.utc), date(2024, 3, 31)),   # night of the spring change
    (datetime(2024, 3, 31, 21, 59, tzinfo=timezone.utc), date(2024, 3, 31)),   # 23:59 CEST
    (datetime(2024, 3, 31, 22, 0, tzinfo=timezone.utc), date(2024, 4, 1)),     # midnight CEST is 22:00 UTC
    (datetime(2024, 10, 26, 22, 0, tzinfo=timezone.utc), date(2024, 10, 27)),  # 00:00 CEST before the autumn change
    (datetime(2024, 10, 27, 22, 59, tzinfo=timezone.utc), date(2024, 10, 27)), # 23:59 CET after it
])
def test_today_is_the_brussels_date_around_midnight_and_dst(utc, expected):
    assert as_of_date(parse_policy(GOOD), now=utc) == expected


def test_policy_time_zone_decides_today():
    policy = parse_policy(GOOD.replace("Europe/Brussels", "America/New_York"))
    assert as_of_date(policy, now=datetime(2024, 1, 16, 3, 0, tzinfo=timezone.utc)) == date(2024, 1, 15)


def test_bad_o3_as_of_is_refused():
    with pytest.raises(ValueError, match="ISO date"):
        settings.load({"O3_AS_OF": "31/03/2024"})


def test_as_of_needs_an_aware_time():
    with pytest.raises(ValueError, match="timezone-aware"):
        as_of_date(parse_policy(GOOD), datetime(2024, 1, 1))
    assert as_of_date(None, datetime(2024, 1, 15, 23, 0, tzinfo=timezone.utc)) == date(2024, 1, 16)  # Brussels


# ---- YAML 1.2 numbers: what YAML 1.1 reads as octal, base 60, hex … is refused, never guessed

@pytest.mark.parametrize("written", ["030", "0730", "00", "1:30", "0x1e", "0o36", "0b11110", "1_000", "30.0",
                                     "3e1", "+30", ".inf", '"30"', "'30'", "!!str 30", "''"])
def test_a_number_yaml_11_would_read_otherwise_is_refused_with_its_line(written):
    message = refused(GOOD.replace("retain_days: 30", f"retain_days: {written}"))
    assert message.startswith("p.yaml: line 5: rule 'sensitive': retain_days: "), message
    assert message.endswith("is not a plain whole number of days"), message


@pytest.mark.parametrize("written, days", [("0", 0), ("30", 30), ("730", 730), ("36500", 36500)])
def test_plain_whole_numbers_are_read_as_written(written, days):
    assert parse_policy(GOOD.replace("retain_days: 30", f"retain_days: {written}")).rules[0].retain_days == days


@pytest.mark.parametrize("written", ["yes", "on", "y", "True", "TRUE"])
def test_booleans_are_true_or_false_only(written):
    if written.lower() == "true":
        assert parse_policy(GOOD.replace("special_category: true", f"special_category: {written}"))
        return
    message = refused(GOOD.replace("special_category: true", f"special_category: {written}"))
    assert message.startswith("p.yaml: line 4: ") and "true or false" in message


# ---- hostile or broken YAML: one line, never the library's exception

BILLION_LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                  + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
                            for i in range(8)) + "rules: *i\n")


@pytest.mark.parametrize("text, line, words", [
    (BILLION_LAUGHS, 1, "anchors and aliases"),
    (GOOD.replace("  - name: default\n", "  - &d\n    name: default\n"), 7, "anchors and aliases"),
    (GOOD + "extra: *nothing\n", 16, "anchors and aliases"),
    ("rules: " + "[" * 5000 + "]" * 5000 + "\n", 1, "not valid YAML"),
    ("rules:\n" + "".join("  " * i + "- \n" for i in range(3000)), 1, "not valid YAML"),
    (GOOD.replace("    retain_days: 30\n", "\tretain_days: 30\n"), 5, "not valid YAML"),
    (GOOD.replace("timezone: Europe/Brussels\n", "timezone: Europe/Brussels\ntimezone: UTC\n"), 2, "appears twice"),
    (GOOD.replace("name: dispute", "name: !!binary not-base64"), 11, "must be a non-empty text"),
    (GOOD.replace("name: dispute", 'name: !!python/object/apply:os.system ["true"]'), 11, "must be a non-empty text"),
    (GOOD.replace("reason: Open dispute", "reason: !!timestamp nonsense"), 14, "must be a non-empty text"),
    (GOOD.replace("reason: Open dispute", 'reason: "bad \\q escape"'), 14, "not valid YAML"),
    ("%YAML 9.9\n---\n" + GOOD, 1, "not valid YAML"),
    ("--- a\n--- b\n", 2, "not valid YAML"),
])
def test_hostile_or_broken_yaml_is_one_refusal_line(text, line, words):
    message = refused(text)
    assert message.startswith(f"p.yaml: line {line}: "), message
    assert words in message, message
    assert "Error" not in message and "Traceback" not in message


def test_check_policy_prints_one_refused_line(data_layout, tmp_path, capsys):
    # data_layout: a data folder of its own, so the command has no repository folder to make private first
    from o3_governance.cli import main

    for text in (GOOD.replace("retain_days: 30", "retain_days: 030"), BILLION_LAUGHS,
                 "rules: " + "[" * 5000 + "]" * 5000 + "\n"):
        path = tmp_path / "policy.yaml"
        path.write_text(text)
        assert main(["check-policy", str(path)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1, err
        assert err.startswith("o3-governance check-policy: refused: policy.yaml: line "), err


@pytest.mark.parametrize("bad, words", [("retain_days: 030", "030 is not a plain whole number of days"),
                                        ("retain_days: 1:30", "1:30 is not a plain whole number of days")])
def test_the_nightly_refuses_a_yaml_11_number_with_one_line_and_lists_nothing(data_layout, tmp_path, bad, words):
    import dagster as dg

    from support.dagster_resources import resources
    from support.retention import add_message
    from o3_governance.retention import decide
    from o3_governance.storage import warehouse

    policy = tmp_path / "policy.yaml"
    policy.write_text(GOOD.replace("retain_days: 730", bad))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "old", day=date(2020, 1, 1))
    result = dg.materialize([rdefs.retention_asset, rdefs.deletion_list_asset], raise_on_error=False,
                            resources=resources(data_layout, policy_file=policy, as_of="2026-06-01"))
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "refused: policy.yaml: line 8: rule 'default': retain_days: " in message and words in message
    assert "Traceback" not in message.split("refused:", 1)[1]
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        decide.ensure_schema(con)
        assert con.execute("SELECT count(*) FROM deletion_lists").fetchall()[0][0] == 0


def test_the_same_policy_bytes_are_parsed_once_per_process(tmp_path, monkeypatch):
    """Issue 16: a night reads the policy in five steps; the same bytes are parsed once (a changed file
    is parsed again, and a refused one is refused every time)."""
    from o3_governance.retention import policy as policy_module

    composed = []
    original = policy_module._compose
    monkeypatch.setattr(policy_module, "_compose", lambda text, source: composed.append(source) or
                        original(text, source))
    path = tmp_path / "cached-policy.yaml"
    path.write_text(GOOD + "# issue 16\n", encoding="utf-8")
    first = load_policy(path)
    assert load_policy(path) is first
    assert composed == ["cached-policy.yaml"]
    path.write_text(GOOD.replace("730", "731") + "# issue 16\n", encoding="utf-8")
    assert load_policy(path).rules[-1].retain_days == 731
    assert len(composed) == 2
    path.write_text("rules: [\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(PolicyError):
            load_policy(path)
    assert len(composed) == 4
