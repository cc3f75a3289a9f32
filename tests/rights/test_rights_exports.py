"""Access exports that a disposal or an erasure removes: counted by request id, flagged in the register
when not yet delivered, named in the certificate and the CLI output, and rebuilt with --regenerate."""
from __future__ import annotations

import json
from datetime import date

import dagster as dg
import pytest

from o3_governance.storage import audit, warehouse
from o3_governance import cli, purge
from o3_governance.retention import decide
from o3_governance.retention.policy import parse_policy
from o3_governance.rights import access, register
from support.rights import NOW, PHONE_SPELLINGS, SUBJECT_EMAIL, build_warehouse, record, regenerate, run

AS_OF = date(2026, 11, 24)
# Werf Leuven (2022) is due; Client Bruxelles (2023) is kept.
POLICY = """timezone: Europe/Brussels
rules:
  - name: werf
    match: {chats: ["Werf Leuven"]}
    retain_days: 30
    action: delete
  - name: default
    retain_days: 36500
    action: delete
"""
NEEDLES = ["Jan Peeters", "Peeters", "Piet", "Anna", SUBJECT_EMAIL, *PHONE_SPELLINGS[:6]]
HINT = "regenerate it with: o3-governance request access --request-id {rid} --regenerate"


def _policy(tmp_path, monkeypatch) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(path))
    monkeypatch.setenv("O3_AS_OF", AS_OF.isoformat())


def _records(layout, rid):
    return json.loads((layout.exports / rid / "messages.json").read_text(encoding="utf-8"))


def _register_row(layout, rid):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute("SELECT delivered_at, delivered_by, export_affected_at, export_affected_by, regenerated_at "
                           "FROM dsr_requests WHERE request_id = ?", [rid]).fetchall()[0]


def _deletion_list(layout) -> str:
    with warehouse.open_warehouse(layout.warehouse) as con:
        summary = decide.compute(con, parse_policy(POLICY), AS_OF, now=NOW)
    assert summary.list_items > 0
    return summary.list_id


@pytest.fixture
def exported(data_layout, tmp_path, monkeypatch, dagster_home):
    """Jan's access export (ACC-1, not delivered) and Anna's (ACC-2, delivered); a list due on Werf Leuven."""
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch)
    assert run(data_layout, "ACC-1", "access").status == "completed"
    assert run(data_layout, "ACC-2", "access", phone="0476 00 11 22", name="Anna Maes", email=None).status == "completed"
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        register.mark_delivered(con, "ACC-2", delivered_by="Els Verhoeven", now=NOW)
    return data_layout


# ------------------------------------------------------------------------------------- the purge

def test_purge_names_the_export_folders_it_removed_by_request_id_only(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT message_id FROM messages ORDER BY line_no LIMIT 3").fetchall()]
    for name, held in (("REQ-A", ids[:2]), ("REQ-B", []), ("Jan Peeters copy", ids[:1]), (".REQ-C.partial", ids[2:])):
        (data_layout.exports / name).mkdir(parents=True)
        (data_layout.exports / name / "messages.json").write_text(json.dumps([{"message_id": i} for i in held]))
    result = purge.apply_changes(data_layout, delete_ids=set(ids), event="test", now=NOW)
    assert result.exports_removed == 3
    assert result.exports_affected == {"REQ-A": 2, "REQ-C": 1}   # the folder not named like an id: counted only
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        details = con.execute("SELECT details FROM audit_log WHERE event = 'test'").fetchall()[0][0]
    assert json.loads(details)["purge"]["exports_affected"] == {"REQ-A": 2, "REQ-C": 1}
    assert "Peeters" not in details
    assert purge.completed(data_layout, result.purge_id).exports_affected == {"REQ-A": 2, "REQ-C": 1}


# ------------------------------------------------------------------------------------- delivered

def test_delivered_is_recorded_audited_and_not_echoed(data_layout, tmp_path, monkeypatch, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "ACC-1", "access")
    assert _register_row(data_layout, "ACC-1")[0] is None
    assert cli.main(["request", "delivered", "--request-id", "ACC-1", "--delivered-by", "Els Verhoeven"]) == 0
    out = capsys.readouterr().out
    assert "request ACC-1: access export marked delivered on" in out and "Els" not in out
    delivered_at, by, *_ = _register_row(data_layout, "ACC-1")
    assert delivered_at is not None and by == "Els Verhoeven"
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        events = con.execute("SELECT details FROM audit_log WHERE event = 'dsr.access.delivered'").fetchall()
        assert audit.verify(con).ok
    assert len(events) == 1 and json.loads(events[0][0])["request_id"] == "ACC-1" and "Els" not in events[0][0]
    assert cli.main(["request", "delivered", "--request-id", "ACC-1"]) == 0
    assert "already marked delivered" in capsys.readouterr().out


def test_delivered_refused_for_unknown_and_non_access_requests(data_layout, tmp_path, monkeypatch, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "RES-1", "restriction")
    record(data_layout, "ACC-OPEN", "access")
    for rid, fragment in (("NOPE", "no request with this id"), ("RES-1", "restriction request"),
                          ("ACC-OPEN", "request is received")):
        assert cli.main(["request", "delivered", "--request-id", rid]) == 2
        err = capsys.readouterr().err
        assert fragment in err and len(err.strip().splitlines()) == 1


def test_existing_register_gains_the_export_columns(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute(register.SCHEMA[0])   # the table as an earlier version created it
        con.execute("INSERT INTO dsr_requests (request_id, kind, received_at, received_on, due_date, status, "
                    "subject_key) VALUES ('OLD-1', 'access', now(), DATE '2026-01-01', DATE '2026-02-01', "
                    "'completed', 'k')")
        register.ensure_schema(con)
        cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                          "WHERE table_name = 'dsr_requests'").fetchall()}
        assert {"delivered_at", "delivered_by", "export_affected_at", "export_affected_by", "regenerated_at"} <= cols
        register.mark_delivered(con, "OLD-1", delivered_by=None, now=NOW)
        assert con.execute("SELECT delivered_at FROM dsr_requests").fetchall() == [(NOW,)]


# ------------------------------------------------------------------------------------- disposal

def test_disposal_names_the_undelivered_export_in_output_register_and_certificate(exported, capsys):
    layout = exported
    list_id = _deletion_list(layout)
    assert cli.main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els Verhoeven (DPO)"]) == 0
    out = capsys.readouterr().out
    # Jan's export held 6 Werf Leuven messages (3 written, 3 mentioning); Anna's held her 2 and the mention.
    assert ("access export of request ACC-1 (not yet delivered) lost 6 messages to this disposal; "
            + HINT.format(rid="ACC-1")) in out
    assert "access export of request ACC-2 (delivered) lost" in out
    assert HINT.format(rid="ACC-2") not in out
    for needle in NEEDLES:
        assert needle not in out
    assert not (layout.exports / "ACC-1").exists() and not (layout.exports / "ACC-2").exists()
    _, _, affected_at, affected_by, _ = _register_row(layout, "ACC-1")
    assert affected_at is not None and affected_by == f"deletion-list:{list_id}"
    assert _register_row(layout, "ACC-2")[2] is None          # delivered: nothing to regenerate
    cert_path = layout.reports / "certificates" / f"deletion-certificate-{list_id}.json"
    cert_text = cert_path.read_text(encoding="utf-8")
    cert = json.loads(cert_text)
    assert [a["request_id"] for a in cert["access_exports_affected"]] == ["ACC-1", "ACC-2"]
    assert [a["delivered"] for a in cert["access_exports_affected"]] == [False, True]
    assert cert["stores"]["exports_affected"]["ACC-1"] == 6 and cert["stores"]["exports_removed"] == 2
    for needle in NEEDLES:
        assert needle not in cert_text


def test_regenerate_rebuilds_the_export_without_the_disposed_messages(exported, capsys):
    layout = exported
    before = {r["message_id"]: r for r in _records(layout, "ACC-1")}
    assert len(before) == 8
    cli.main(["approve-deletions", "--list-id", _deletion_list(layout), "--approved-by", "DPO"])
    capsys.readouterr()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        kept = {r[0] for r in con.execute("SELECT message_id FROM messages").fetchall()}

    assert cli.main(["request", "access", "--request-id", "ACC-1", "--regenerate"]) == 0
    out = capsys.readouterr().out
    assert "request ACC-1 (access): export regenerated" in out and "messages exported: 2" in out
    assert "messages no longer held: 6" in out
    for needle in NEEDLES:
        assert needle not in out
    folder = layout.exports / "ACC-1"
    records = _records(layout, "ACC-1")
    assert {r["message_id"] for r in records} == set(before) & kept and len(records) == 2
    for r in records:    # unchanged messages: the same copy, the same redaction as the first export
        assert r == before[r["message_id"]]
    assert access.verify_manifest(folder) == []
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["regenerated"] is True and manifest["messages"] == 2 and manifest["messages_no_longer_held"] == 6
    assert {f["path"] for f in manifest["files"]} == {"messages.json", "messages.csv"}
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT details, run_id FROM audit_log WHERE event = 'dsr.access.regenerated'").fetchall()
        assert audit.verify(con).ok
    assert len(rows) == 1 and json.loads(rows[0][0])["request_id"] == "ACC-1"
    assert json.loads(rows[0][0])["messages_exported"] == 2
    _, _, affected_at, affected_by, regenerated_at = _register_row(layout, "ACC-1")
    assert affected_at is None and affected_by is None and regenerated_at is not None
    with dg.DagsterInstance.get() as instance:
        runs = [r for r in instance.get_runs() if r.job_name == "dsr_access_regenerate"]
        assert len(runs) == 1 and runs[0].run_id == rows[0][1]
        assert runs[0].run_config["ops"] == {"regenerate_access_export": {"config": {"request_id": "ACC-1"}}}
        assert runs[0].tags["o3/warehouse"] == "write"
        text = json.dumps([dg.serialize_value(e) for e in instance.all_logs(runs[0].run_id)])
    for needle in NEEDLES:
        assert needle not in text


def test_a_regenerated_export_is_not_yet_delivered_again(exported):
    layout = exported
    regenerate(layout, "ACC-2")
    assert _register_row(layout, "ACC-2")[0] is None and access.verify_manifest(layout.exports / "ACC-2") == []


@pytest.mark.parametrize("rid, fragment", [("NOPE", "no request with this id"),
                                           ("RES-1", "only a completed access request can be regenerated"),
                                           ("bad id", "request id must")])
def test_regenerate_is_refused_with_one_line(exported, capsys, rid, fragment):
    run(exported, "RES-1", "restriction")
    capsys.readouterr()
    assert cli.main(["request", "access", "--request-id", rid, "--regenerate"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    with pytest.raises(register.RequestError, match=fragment.split(":")[0]):
        regenerate(exported, rid)
    with dg.DagsterInstance.get() as instance:
        assert [r for r in instance.get_runs() if r.job_name == "dsr_access_regenerate"] == []


def test_regenerate_only_applies_to_access(exported, capsys):
    assert cli.main(["request", "erasure", "--request-id", "ACC-1", "--regenerate"]) == 2
    assert "access requests only" in capsys.readouterr().err


def test_regenerate_is_refused_once_the_subject_was_erased(exported):
    assert run(exported, "ERA-1", "erasure").status == "completed"
    with warehouse.open_warehouse(exported.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM dsr_export_items WHERE request_id = 'ACC-1'").fetchone()[0] == 0
    with pytest.raises(register.RequestError, match="erased"):
        regenerate(exported, "ACC-1")


# ------------------------------------------------------------------------------------- erasure

def test_erasure_flags_another_subjects_undelivered_export(data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    assert run(data_layout, "ACC-P", "access", phone="+32 472 11 22 33", name="Piet Claes", email=None).outcome[
        "messages_exported"] == 4
    assert cli.main(["request", "erasure", "--request-id", "ERA-1", "--subject-phone", "0471 23 45 67",
                     "--subject-name", "Jan Peeters"]) == 0
    out = capsys.readouterr().out
    assert "access export of request ACC-P (not yet delivered) lost 3 messages to this erasure; " \
           + HINT.format(rid="ACC-P") in out
    for needle in NEEDLES:
        assert needle not in out
    _, _, affected_at, affected_by, _ = _register_row(data_layout, "ACC-P")
    assert affected_at is not None and affected_by == "erasure:ERA-1"
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        outcome = register.get_request(con, "ERA-1").outcome
    assert outcome["access_exports_affected"] == [{"request_id": "ACC-P", "messages": 3, "delivered": False}]

    # Rebuilt: the erased subject's message is gone, the redacted mentions are redacted afresh.
    result = regenerate(data_layout, "ACC-P")
    records = _records(data_layout, "ACC-P")
    assert result.outcome["messages_exported"] == len(records) == 3
    assert result.outcome["messages_redacted_afresh"] == 2
    text = (data_layout.exports / "ACC-P" / "messages.json").read_text(encoding="utf-8")
    for needle in ("Jan", "Peeters", "Anna Maes", "0471", "0472"):
        assert needle not in text
    assert {r["author"] for r in records} == {"Piet Claes"}
    assert access.verify_manifest(data_layout.exports / "ACC-P") == []
    assert _register_row(data_layout, "ACC-P")[2] is None
