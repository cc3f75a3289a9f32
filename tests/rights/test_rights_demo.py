"""Requests on the demo data: the planted mentions of the demo's data subject are all found, and an
erasure leaves none of their identifiers in any byte of the data folder."""
from __future__ import annotations

import json

import duckdb
import phonenumbers
import pytest
import yaml

from o3_governance import ingest
from o3_governance.storage import warehouse
from o3_governance.demo import PLANTED, SUBJECT, people, write_demo_inbox
from o3_governance.identity import matching as identity
from o3_governance.rights import register
from support.rights import AS_OF, NOW, carry_out, secret
from test_rights_erasure import leftovers

import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock


@pytest.fixture
def demo(data_layout, tmp_path, monkeypatch):
    directory = tmp_path / "directory.yaml"
    directory.write_text(yaml.safe_dump([{"name": n, "phone": p} for n, p in people.staff_directory().items()]),
                         encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(directory))
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - name: default\n    retain_days: 730\n    action: delete\n", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    write_demo_inbox(data_layout.inbox, seed=7)
    assert {a.status for a in ingest.ingest_inbox(data_layout, now=INGESTED_AT, raw_retention_days=30).archives} == {"ingested"}
    return data_layout


def _request(layout, rid, kind):
    with warehouse.open_warehouse(layout.warehouse) as con:
        register.record_request(con, secret(layout), request_id=rid, kind=kind, phone=SUBJECT.phone,
                                name=SUBJECT.name, email=SUBJECT.email, received_on=AS_OF, now=NOW)
    return carry_out(layout, rid)


def _about_subject(sentence) -> bool:
    for kind, value in sentence.entities:
        if kind == "PERSON" and value in (SUBJECT.name, SUBJECT.first_name):
            return True
        if kind == "PHONE_NUMBER" and identity.normalize_phone(value) == SUBJECT.phone:
            return True
        if kind == "EMAIL_ADDRESS" and value.lower() == SUBJECT.email:
            return True
    return sentence.author == SUBJECT


def test_demo_access_export_holds_every_planted_sentence_about_the_subject(demo):
    result = _request(demo, "DEMO-ACC", "access")
    records = json.loads((demo.exports / "DEMO-ACC" / "messages.json").read_text(encoding="utf-8"))
    exported = {r["message_id"] for r in records}
    con = duckdb.connect(str(demo.warehouse), read_only=True)
    try:
        planted = [s for s in PLANTED.sentences if _about_subject(s)]
        assert len(planted) >= 6
        for s in planted:
            ids = {r[0] for r in con.execute("SELECT message_id FROM messages WHERE contains(body, ?)", [s.text]).fetchall()}
            assert ids and ids <= exported, s.chat
        staff_names = [n for n, p in people.staff_directory().items() if p == SUBJECT.phone]
        written = {r[0] for r in con.execute(
            "SELECT message_id FROM messages WHERE author_phone = ? OR author IN (SELECT unnest(?::VARCHAR[]))",
            [SUBJECT.phone, staff_names]).fetchall()}
    finally:
        con.close()
    assert written == {r["message_id"] for r in records if r["relation"] == "author"}
    assert result.outcome["messages_written"] == len(written) > 100


def test_demo_erasure_leaves_no_byte_of_the_subject(demo):
    number = phonenumbers.parse(SUBJECT.phone)
    spellings = {SUBJECT.phone, "00" + SUBJECT.phone[1:], "0" + str(number.national_number),
                 phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL),
                 phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)}
    needles = [SUBJECT.name, SUBJECT.email, "Van den Broeck", *sorted(spellings)]
    _request(demo, "DEMO-ACC", "access")
    before = {n for _, n in leftovers(demo.root, needles, blobs=())}
    assert {SUBJECT.name, SUBJECT.email, SUBJECT.phone} <= before   # the search can see them
    result = _request(demo, "DEMO-ERA", "erasure")
    assert result.status == "completed" and result.outcome["messages_held"] == 0
    assert leftovers(demo.root, needles, blobs=()) == []
