"""Legal holds (and rules) name chats the way people write them: case, accents, spacing, punctuation
and invisible marks do not matter; a chat id works too. One normaliser (identity.chats) for the
nightly's decisions and for data-subject requests."""
from datetime import date, datetime, timezone

import pytest

from o3_governance.identity.chats import normalise_chat_name
from o3_governance.retention import decide
from o3_governance.retention.policy import parse_policy
from o3_governance.rights import holds as rights_holds
from o3_governance.storage import warehouse

from support.retention import SIMPLE_POLICY, add_message, chat_id

AS_OF = date(2026, 6, 1)
OLD = date(2020, 1, 1)
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=timezone.utc)
HOLD = SIMPLE_POLICY + """
legal_holds:
  - name: dispute-bruxelles
    chats: ["Client Bruxelles"]
"""
VARIANTS = {
    "lower case": "client bruxelles",
    "upper case, two spaces": "CLIENT  BRUXELLES",
    "accent": "Client Bruxellès",
    "hyphen": "Client-Bruxelles",
    "underscore": "Client_Bruxelles",
    "no-break space and trailing space": "Client\u00a0Bruxelles ",
    "bidi marks": "\u202aClient Bruxelles\u202c\u200e",
    "full-width letters": "Ｃｌｉｅｎｔ Ｂｒｕｘｅｌｌｅｓ",
}


@pytest.fixture
def con(data_layout):
    c = warehouse.connect(data_layout.warehouse)
    yield c
    c.close()


def held(con, policy_text=HOLD):
    decide.compute(con, parse_policy(policy_text), AS_OF, now=NOW)
    return dict(con.execute("SELECT message_id, legal_hold FROM retention").fetchall())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_hold_on_a_chat_holds_every_spelling_of_its_name(con, variant):
    add_message(con, "m", day=OLD, chat=VARIANTS[variant])
    add_message(con, "other", day=OLD, chat="Werf Leuven")
    assert held(con) == {"m": "dispute-bruxelles", "other": None}
    assert {r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()} == {"other"}


@pytest.mark.parametrize("near", ["Client Bruxelles 2", "Client Brussel", "Clients Bruxelles", "Bruxelles Client"])
def test_a_different_chat_is_not_held(con, near):
    add_message(con, "m", day=OLD, chat=near)
    assert held(con) == {"m": None}


def test_a_hold_may_name_the_chat_id_in_any_case(con):
    add_message(con, "m", day=OLD, chat="client bruxelles")
    add_message(con, "other", day=OLD, chat="Werf Leuven")
    policy = SIMPLE_POLICY + f"""
legal_holds:
  - name: by-id
    chats: ["{chat_id('client bruxelles').upper()}"]
"""
    assert held(con, policy) == {"m": "by-id", "other": None}


def test_a_rule_names_chats_the_same_way(con):
    add_message(con, "m", day=OLD, chat="WERF  leuven")
    add_message(con, "other", day=OLD, chat="Werf Gent")
    policy = SIMPLE_POLICY.replace("rules:\n", "rules:\n  - name: project\n    match: {chats: [\"Werf Leuven\"]}\n"
                                               "    retain_days: 7300\n    action: delete\n", 1)
    decide.compute(con, parse_policy(policy), AS_OF, now=NOW)
    rules = dict(con.execute("SELECT message_id, rule FROM retention").fetchall())
    assert rules == {"m": "project", "other": "default"}


def test_a_data_subject_request_sees_the_same_chat_hold(con):
    add_message(con, "m", day=OLD, chat="CLIENT  BRUXELLÈS")
    add_message(con, "other", day=OLD, chat="Werf Leuven")
    found = rights_holds.held_messages(con, ["m", "other"], list(parse_policy(HOLD).holds), AS_OF)
    assert {k: v.name for k, v in found.items()} == {"m": "dispute-bruxelles"}


def test_the_normaliser_itself():
    assert normalise_chat_name("Client Bruxelles") == "client bruxelles"
    assert normalise_chat_name("  STRAẞE—Gent  ") == "strasse gent"
    assert normalise_chat_name("Werf Leuven 🏗") == "werf leuven 🏗"   # symbols still count
    assert normalise_chat_name(None) == normalise_chat_name("") == ""
