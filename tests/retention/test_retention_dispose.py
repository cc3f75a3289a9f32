"""Disposal of an approved list: delete, anonymise, holds re-checked, certificate, crash and recovery,
and a byte-level search of the whole data folder after a list is applied."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from o3_governance.storage import audit, warehouse
from o3_governance import ingest, purge
from o3_governance.identity.directory import load_directory
from o3_governance.purge import journal as purge_journal
from o3_governance.purge import steps as purge_steps
from o3_governance.retention import anonymise, decide, dispose
from o3_governance.retention.policy import load_policy, parse_policy
from o3_governance.rights import register

from support.retention import SIMPLE_POLICY, add_finding, add_message, holders, write_policy, zip_bytes

import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock

AS_OF = date(2026, 6, 1)
OLD = date(2020, 1, 1)
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
HEALTH_BODY = "Bel Ann Peeters op 0471 55 66 77. Ze heeft diabetes, zegt de dokter! Tot morgen op de werf."


class Clock:
    """A clock that moves one minute each time it is read."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start - timedelta(minutes=1)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def apply(layout, policy, list_id: str, approver: str = "DPO"):
    """As the shell does it: the policy loaded from its file (or given), the as-of date, a clock, and the
    rights register's recorder of affected exports."""
    policy = load_policy(policy) if not hasattr(policy, "rules") else policy
    return dispose.apply_deletion_list(list_id, approver, layout=layout, policy=policy, as_of=AS_OF, clock=Clock(),
                                       flag_exports=register.record_affected_exports)


@pytest.fixture
def listed(data_layout, tmp_path):
    """Three due messages (one to delete, one to anonymise, one media) and one held."""
    policy_path = write_policy(tmp_path / "policy.yaml", SIMPLE_POLICY + """
legal_holds:
  - name: dispute
    chats: ["Client Bruxelles"]
""")
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "plain", day=OLD, body="Gewone boodschap over de planning van de werf")
        add_message(con, "health", day=date(2026, 4, 1), body=HEALTH_BODY, author="Bram Claes", phone="+32470111222")
        add_finding(con, "health", "PERSON", 4, 15)
        add_finding(con, "health", "PHONE_NUMBER", 19, 32)
        add_finding(con, "health", "HEALTH_DATA", 41, 49)
        add_message(con, "held", day=OLD, chat="Client Bruxelles", body="Bewijsstuk voor het geschil")
        add_message(con, "fresh", day=date(2026, 5, 1), body="Nog niet aan de beurt")
        summary = decide.compute(con, parse_policy(policy_path.read_text()), AS_OF, now=NOW)
    assert summary.list_items == 2
    return data_layout, summary.list_id, policy_path


def test_apply_deletes_anonymises_and_certifies(listed):
    layout, list_id, policy_path = listed
    result = apply(layout, policy_path, list_id, "Els Verhoeven (DPO)")
    assert result.status == "applied"
    with warehouse.open_warehouse(layout.warehouse) as con:
        ids = {r[0] for r in con.execute("SELECT message_id FROM messages").fetchall()}
        assert ids == {"health", "held", "fresh"}
        body, author, phone = con.execute(
            "SELECT body, author, author_phone FROM messages WHERE message_id = 'health'").fetchall()[0]
        assert body == "Bel <PERSON> op <PHONE_NUMBER>. <HEALTH_DATA> Tot morgen op de werf."
        assert author == anonymise.ROLE_UNKNOWN and phone is None
        # Findings now point at the placeholders, so statistics still count them.
        findings = con.execute('SELECT entity_type, start, "end", recognizer FROM findings WHERE message_id = '
                               "'health' ORDER BY start").fetchall()
        assert [(t, body[s:e]) for t, s, e, _ in findings] == [
            ("PERSON", "<PERSON>"), ("PHONE_NUMBER", "<PHONE_NUMBER>"), ("HEALTH_DATA", "<HEALTH_DATA>")]
        assert con.execute("SELECT status, approved_by FROM deletion_lists WHERE list_id = ?",
                           [list_id]).fetchall() == [("applied", "Els Verhoeven (DPO)")]
        cert_row = con.execute("SELECT status, list_hash, certificate_sha256, certificate_path FROM "
                               "deletion_certificates WHERE list_id = ?", [list_id]).fetchall()
        assert len(cert_row) == 1 and cert_row[0][0] == "complete"
        events = [r[0] for r in con.execute("SELECT event FROM audit_log ORDER BY seq").fetchall()]
        assert events[-3:] == ["deletion_list_approved", "deletion_list_purged", "deletion_certificate"]
        assert audit.verify(con).ok
    cert_text = result.certificate_path.read_text()
    cert = json.loads(cert_text)
    import hashlib

    assert hashlib.sha256(cert_text.rstrip("\n").encode()).hexdigest() == cert_row[0][2]
    assert cert["list_hash"] == cert_row[0][1] and cert["list_hash"].startswith(list_id)
    assert cert["executed"] == {"delete": 1, "anonymise": 1}
    assert cert["by_rule"] == {"default": {"delete": 1}, "sensitive": {"anonymise": 1}}
    assert list(cert["by_chat_id"].values()) == [{"delete": 1, "anonymise": 1}]
    assert cert["skipped"] == {"held": 0, "restricted": 0, "no_longer_due": 0, "gone": 0}
    assert cert["stores"]["messages_deleted"] == 1 and cert["stores"]["messages_updated"] == 1
    assert cert["approved_by"] == "Els Verhoeven (DPO)" and cert["completed_at"] > cert["started_at"]
    assert cert["started_at"] == NOW.isoformat()  # the clock is the caller's: read at the start and the end
    for content in ("diabetes", "Gewone boodschap", "Bram", "0471", "plain", "health"):
        assert content not in cert_text


def test_anonymised_message_is_not_listed_again(listed):
    layout, list_id, policy_path = listed
    apply(layout, policy_path, list_id)
    with warehouse.open_warehouse(layout.warehouse) as con:
        summary = decide.compute(con, parse_policy(policy_path.read_text()), AS_OF, now=NOW)
        assert summary.list_items == 0
        assert con.execute("SELECT rule, anonymised, eligible FROM retention WHERE message_id = 'health'"
                           ).fetchall() == [("sensitive", True, False)]


def test_hold_added_after_listing_is_respected_at_execution(listed):
    layout, list_id, policy_path = listed
    policy_path.write_text(policy_path.read_text() + "  - name: late-hold\n    subjects: [\"0470 11 12 22\"]\n")
    result = apply(layout, policy_path, list_id)
    assert result.certificate["skipped"]["held"] == 1 and result.certificate["executed"] == {"delete": 1, "anonymise": 0}
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT body FROM messages WHERE message_id = 'health'").fetchall() == [(HEALTH_BODY,)]


def test_policy_changed_since_listing_skips_what_is_no_longer_due(listed):
    layout, list_id, policy_path = listed
    policy_path.write_text(policy_path.read_text().replace("retain_days: 730", "retain_days: 7300"))
    result = apply(layout, policy_path, list_id)
    assert result.certificate["skipped"]["no_longer_due"] == 1
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE message_id = 'plain'").fetchall()[0][0] == 1


def test_refused_policy_deletes_nothing(listed, dagster_home):
    """The shell loads the policy before anything is applied: a refused file fails the run."""
    from o3_governance.defs.retention import assets as rdefs
    from support.dagster_resources import resources

    layout, list_id, policy_path = listed
    policy_path.write_text(policy_path.read_text().replace("action: delete", "action: shred", 1))
    result = rdefs.apply_deletion_list_job.execute_in_process(
        run_config={"ops": {"apply_deletion_list_op": {"config": {"list_id": list_id, "approved_by": "DPO"}}}},
        resources=resources(layout, policy_file=policy_path, as_of=AS_OF), raise_on_error=False)
    assert not result.success
    message = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "line" in message and "shred" in message
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM messages").fetchall()[0][0] == 4
        assert con.execute("SELECT status FROM deletion_lists").fetchall() == [("awaiting_approval",)]


def test_applying_twice_returns_the_same_certificate(listed):
    layout, list_id, policy_path = listed
    first = apply(layout, policy_path, list_id)
    second = apply(layout, policy_path, list_id)
    assert second.status == "already_applied" and second.certificate == first.certificate


def test_unknown_superseded_and_unnamed_approvals_are_refused(listed):
    layout, list_id, policy_path = listed
    with pytest.raises(dispose.DisposalError, match="no deletion list"):
        apply(layout, policy_path, "0" * 16)
    with pytest.raises(dispose.DisposalError, match="approved-by"):
        apply(layout, policy_path, list_id, "   ")
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.compute(con, parse_policy(policy_path.read_text()), date(2029, 1, 1), now=NOW)
    with pytest.raises(dispose.DisposalError, match="superseded"):
        apply(layout, policy_path, list_id)


@pytest.mark.parametrize("step", ["lake", "warehouse", "media", "compact", "audit"])
def test_crash_half_way_leaves_list_executing_and_rerun_finishes(listed, monkeypatch, step):
    layout, list_id, policy_path = listed
    real = purge_steps.STEP_FUNCS[step]

    def crash(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setitem(purge_steps.STEP_FUNCS, step, crash)
    with pytest.raises(RuntimeError):
        apply(layout, policy_path, list_id)
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT status FROM deletion_lists").fetchall() == [("executing",)]
        # A night in between neither supersedes the executing list nor lists its anonymisation again.
        decide.compute(con, parse_policy(policy_path.read_text()), AS_OF, now=NOW)
        assert con.execute("SELECT status FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall() == [
            ("executing",)]
        assert con.execute("SELECT count(*) FROM retention WHERE eligible AND action = 'anonymise'").fetchall()[0][0] == 0
        # ...nor lists again what the executing list still has to delete.
        assert con.execute("SELECT count(*) FROM deletion_list WHERE status = 'awaiting_approval'").fetchall()[0][0] == 0
    monkeypatch.setitem(purge_steps.STEP_FUNCS, step, real)
    result = apply(layout, policy_path, list_id)
    assert result.status == "applied" and result.certificate["executed"] == {"delete": 1, "anonymise": 1}
    assert result.certificate["stores"]["messages_deleted"] == 1
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT count(*) FROM messages").fetchall()[0][0] == 3
        assert con.execute("SELECT count(*) FROM deletion_certificates").fetchall()[0][0] == 1
        assert con.execute("SELECT count(*) FROM audit_log WHERE event = 'deletion_list_purged'").fetchall()[0][0] == 1
        assert audit.verify(con).ok
    assert purge.pending_purges(layout) == []


def test_crash_after_purge_before_certificate_is_finished_by_rerun(listed, monkeypatch):
    layout, list_id, policy_path = listed
    real = dispose._finish
    monkeypatch.setattr(dispose, "_finish", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        apply(layout, policy_path, list_id)
    monkeypatch.setattr(dispose, "_finish", real)
    result = apply(layout, policy_path, list_id)
    assert result.status == "applied" and result.certificate["stores"]["messages_deleted"] == 1


def test_crash_before_the_purge_started_plans_again(listed, monkeypatch):
    layout, list_id, policy_path = listed
    monkeypatch.setattr(purge_journal, "write_journal", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        apply(layout, policy_path, list_id)
    monkeypatch.undo()
    result = apply(layout, parse_policy(SIMPLE_POLICY), list_id)
    assert result.status == "applied" and result.certificate["executed"]["delete"] == 1


# ---- anonymisation itself

def test_special_category_text_is_replaced_with_its_sentence():
    text, rows = anonymise.anonymise_text("Goed nieuws. Ik ben zwanger en moe! Morgen werk ik.",
                                        [("HEALTH_DATA", 19, 26, 0.8)], frozenset({"HEALTH_DATA"}))
    assert text == "Goed nieuws. <HEALTH_DATA> Morgen werk ik."
    assert rows == [{"entity_type": "HEALTH_DATA", "start": 13, "end": 26, "score": 1.0, "recognizer": "anonymised"}]


def test_findings_with_stale_offsets_are_not_applied():
    text, rows = anonymise.anonymise_text("kort", [("PERSON", 2, 40, 0.9)], frozenset())
    assert text == "kort" and rows == []


def test_overlapping_findings_give_one_placeholder():
    text, _ = anonymise.anonymise_text("Mail jan.peeters@o3.be vandaag", [("EMAIL_ADDRESS", 5, 22, 1.0),
                                                                         ("PERSON", 5, 15, 0.4)], frozenset())
    assert text == "Mail <EMAIL_ADDRESS> vandaag"


def test_author_role_comes_from_the_staff_directory(data_layout, tmp_path):
    directory = tmp_path / "staff.yaml"
    directory.write_text("- {name: Ann Peeters, phone: '+32 470 11 12 22'}\n")
    roles = anonymise.Roles(load_directory(directory))
    assert roles.role("ann peeters", None) == anonymise.ROLE_STAFF
    assert roles.role("Someone", "+32470111222") == anonymise.ROLE_STAFF
    assert roles.role("Client X", "+32499000000") == anonymise.ROLE_EXTERNAL
    assert roles.role(None, None) is None
    assert anonymise.Roles([]).role("Ann Peeters", None) == anonymise.ROLE_UNKNOWN  # no directory


def test_an_external_contact_in_the_directory_stays_external(tmp_path):
    """The directory's role column decides: a client listed with his phone is not made staff."""
    directory = tmp_path / "contacts.csv"
    directory.write_text("name,phone,role\nAnn Peeters,+32 470 11 12 22,staff\nKlant Dirk,+32 499 00 00 00,external\n")
    roles = anonymise.Roles(load_directory(directory))
    assert roles.role("Ann Peeters", None) == anonymise.ROLE_STAFF
    assert roles.role("Klant Dirk", None) == anonymise.ROLE_EXTERNAL
    assert roles.role(None, "+32499000000") == anonymise.ROLE_EXTERNAL


# ---- the Done-when search: nothing of a deleted message anywhere in the data folder

SECRET = "Vertrouwelijk: de diagnose van Ann is diabetes type twee, bel haar niet meer op kantoor"
ANON_SENTENCE = "Hij zit in de vakbond en stemt voor de partij van zijn vader"


def test_after_applying_a_list_no_byte_of_a_deleted_message_remains(data_layout, tmp_path, monkeypatch):
    policy_path = write_policy(tmp_path / "policy.yaml", SIMPLE_POLICY)
    photo = b"\xff\xd8\xff\xe0" + b"foto-van-het-medisch-attest-van-ann" * 30
    chat = ("12/03/2024, 09:01 - Ann Peeters: " + SECRET + "\n"
            "12/03/2024, 09:02 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"
            "20/05/2026, 10:00 - Bram Claes: Nieuwe planning voor de werf in Gent volgende week\n"
            "20/04/2026, 10:01 - Bram Claes: Over Jan: " + ANON_SENTENCE + ". Verder niets.\n")
    (data_layout.inbox / "WhatsApp-chat met Werf Leuven.zip").write_bytes(
        zip_bytes({"WhatsApp-chat met Werf Leuven.txt": chat.encode(), "IMG-20240312-WA0001.jpg": photo}))
    assert ingest.ingest_inbox(data_layout, now=INGESTED_AT, raw_retention_days=30).archives[0].status == "ingested"
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        (anon_id, start) = con.execute(
            "SELECT message_id, strpos(body, 'vakbond') - 1 FROM messages WHERE body LIKE 'Over Jan%'").fetchall()[0]
        add_finding(con, anon_id, "TRADE_UNION_MEMBERSHIP", start, start + 7)
        summary = decide.compute(con, parse_policy(SIMPLE_POLICY), date(2026, 6, 1), now=NOW)
    assert summary.eligible_by_action == {"delete": 2, "anonymise": 1}
    # An access export made earlier holds the secret too.
    (data_layout.exports / "REQ-9").mkdir(parents=True)
    (data_layout.exports / "REQ-9" / "messages.json").write_text(json.dumps([{"body": SECRET}]))
    photo_probe = photo[4:60].decode("latin-1")
    assert holders(data_layout.root, SECRET) and holders(data_layout.root, ANON_SENTENCE)
    assert holders(data_layout.root, photo_probe)

    apply(data_layout, policy_path, summary.list_id)

    assert holders(data_layout.root, SECRET) == []
    assert holders(data_layout.root, ANON_SENTENCE) == []
    assert holders(data_layout.root, photo_probe) == []
    assert holders(data_layout.root, "Nieuwe planning voor de werf in Gent"), "kept messages stay"
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT body FROM messages WHERE message_id = ?", [anon_id]).fetchall() == [
            ("<TRADE_UNION_MEMBERSHIP> Verder niets.",)]  # the whole sentence, "Over Jan:" included


def test_certificate_adds_up_after_an_erasure_removed_listed_messages(listed):
    """Another purge (here: an erasure-like delete through purge.apply_changes) removed a listed
    message before the approval: the certificate still counts it as listed, under ``gone``."""
    layout, list_id, policy_path = listed
    purge.apply_changes(layout, now=NOW, delete_ids={"plain"}, event="dsr.erasure", details={"request_id": "DSR-X"})
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT item_count FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall() == [(2,)]
    cert = apply(layout, policy_path, list_id, "Els Verhoeven (DPO)").certificate
    assert cert["listed"] == 2
    assert cert["skipped"]["gone"] == 1
    executed = sum(cert["executed"].values())
    assert cert["listed"] == executed + sum(cert["skipped"].values())
    assert executed == 1
