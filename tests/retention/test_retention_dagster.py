"""The Dagster shell of retention: assets, checks (held, audit chain, waiting list), the apply job, the CLI."""
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import dagster as dg
import pytest

from support.dagster_resources import resources
from o3_governance.storage import audit, warehouse
from o3_governance.cli import main
from o3_governance.defs.retention import assets as rdefs
from o3_governance import purge
from o3_governance.purge import steps as purge_steps
from o3_governance.retention import checks, decide
from o3_governance.retention.policy import load_policy

from support.retention import SIMPLE_POLICY, add_message, write_policy

OLD = date(2020, 1, 1)
AS_OF = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def setup(data_layout, dagster_home, tmp_path, monkeypatch):
    # The CLI reads the environment (the assets get the same values through their resource).
    monkeypatch.setenv("O3_AS_OF", AS_OF.isoformat())
    policy = write_policy(tmp_path / "policy.yaml", SIMPLE_POLICY + """
legal_holds:
  - name: dispute
    chats: ["Client Bruxelles"]
""")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "a", day=OLD, body="Oude boodschap over de werf in Leuven")
        add_message(con, "b", day=OLD, chat="Client Bruxelles")
        add_message(con, "c", day=date(2026, 5, 1))
    return data_layout, policy


def materialize(layout, policy, *extra):
    return dg.materialize([rdefs.retention_asset, rdefs.deletion_list_asset, *extra], raise_on_error=False,
                          resources=resources(layout, policy_file=policy, as_of=AS_OF))


def check(result, name):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_assets_list_due_messages_and_checks_pass(setup):
    layout, _ = setup
    result = materialize(*setup)
    assert result.success
    mats = {m.asset_key.path[0]: m.metadata for m in result.asset_materializations_for_node("retention")}
    assert mats["retention"]["dagster/row_count"].value == 3
    assert mats["retention"]["eligible"].value == 1 and mats["retention"]["held"].value == 1
    (dl,) = result.asset_materializations_for_node("deletion_list")
    assert dl.metadata["dagster/row_count"].value == 1 and dl.metadata["status"].value == "awaiting_approval"
    for name in ("no_held_message_on_list", "audit_chain_verifies", "list_not_waiting_too_long",
                 "no_interrupted_purge", "no_deleted_message_came_back"):
        assert check(result, name).passed, name
    # Metadata holds counts and ids only, never text.
    assert "Oude boodschap" not in repr(result.all_events)


def test_refused_policy_fails_the_asset_with_the_line(setup):
    _, policy = setup
    policy.write_text(policy.read_text().replace("retain_days: 90", "retain_days: ninety"))
    result = materialize(*setup)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.message
    assert "line 9" in message and "whole number of days" in message
    with warehouse.open_warehouse(setup[0].warehouse) as con:
        decide.ensure_schema(con)
        assert con.execute("SELECT count(*) FROM deletion_lists").fetchall()[0][0] == 0


@pytest.mark.parametrize("tamper", [
    "UPDATE audit_log SET details = '{\"eligible\":0}' WHERE seq = 1",                 # edit
    "DELETE FROM audit_log WHERE seq = 1",                                            # remove
    "UPDATE audit_log SET seq = CASE seq WHEN 1 THEN 2 WHEN 2 THEN 1 ELSE seq END",   # reorder
])
def test_tampered_audit_log_fails_the_check(setup, tamper):
    layout, _ = setup
    with warehouse.open_warehouse(layout.warehouse) as con:
        audit.append(con, "e1", {"n": 1}, ts=T0)
        audit.append(con, "e2", {"n": 2}, ts=T0)
        audit.append(con, "e3", {"n": 3}, ts=T0)
        con.execute(tamper)
    result = materialize(*setup)
    evaluation = check(result, "audit_chain_verifies")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["problem"].value.startswith("row ")


def test_held_message_on_a_list_fails_the_check(setup):
    layout, policy = setup
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.compute(con, load_policy(policy), AS_OF, now=NOW)
        assert checks.held_on_current_list(con) == 0 and rdefs.held_check(0).passed
        con.execute("UPDATE retention SET legal_hold = 'late' WHERE message_id = 'a'")  # as if held since
        held = checks.held_on_current_list(con)
    result = rdefs.held_check(held)
    assert held == 1 and not result.passed and result.severity == dg.AssetCheckSeverity.ERROR


def test_list_waiting_too_long_warns(setup, monkeypatch):
    info = checks.CurrentList(list_id="x", status="awaiting_approval", items=3,
                              created_at=datetime(2026, 5, 1, tzinfo=timezone.utc))
    now = datetime(2026, 5, 9, tzinfo=timezone.utc)
    result = rdefs.wait_check(info, now, 7)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["days_waiting"].value == 8
    assert rdefs.wait_check(info, now, 10).passed
    assert rdefs.wait_check(replace(info, status="executing"), now + timedelta(days=30), 7).passed
    # a clock behind the list's making: 0 days, never negative
    assert rdefs.wait_check(info, datetime(2026, 4, 20, tzinfo=timezone.utc), 7).metadata["days_waiting"].value == 0


def test_the_warning_follows_o3_approval_warn_days(setup, monkeypatch):
    """The asset's check reads the limit from its resource (O3_APPROVAL_WARN_DAYS); a bad value is refused."""
    from o3_governance.defs.resources import GovernanceResource

    monkeypatch.setenv("O3_APPROVAL_WARN_DAYS", "10")
    assert GovernanceResource().settings().approval_warn_days == 10
    monkeypatch.setenv("O3_APPROVAL_WARN_DAYS", "soon")
    with pytest.raises(ValueError, match="O3_APPROVAL_WARN_DAYS"):
        GovernanceResource().settings()


def test_waiting_list_keeps_its_age_across_nights(setup, monkeypatch):
    layout, _ = setup
    assert materialize(*setup).success
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("UPDATE deletion_lists SET created_at = created_at - INTERVAL 9 DAY")
    result = materialize(*setup)  # same content: the same list, now nine days old
    evaluation = check(result, "list_not_waiting_too_long")
    assert not evaluation.passed and evaluation.metadata["days_waiting"].value == 9


def test_apply_job_runs_with_config_and_is_exclusive(setup):
    layout, _ = setup
    assert materialize(*setup).success
    with warehouse.open_warehouse(layout.warehouse) as con:
        (list_id,) = con.execute("SELECT list_id FROM deletion_lists").fetchall()[0]
    job = rdefs.apply_deletion_list_job
    assert job.tags.get("o3/warehouse") == "write"
    result = job.execute_in_process(run_config={"ops": {"apply_deletion_list_op": {"config": {
        "list_id": list_id, "approved_by": "DPO"}}}}, resources=resources(layout, policy_file=setup[1], as_of=AS_OF))
    assert result.success and result.output_for_node("apply_deletion_list_op") == "applied"
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE message_id = 'a'").fetchall()[0][0] == 0
    bad = job.execute_in_process(run_config={"ops": {"apply_deletion_list_op": {"config": {
        "list_id": "nope", "approved_by": "DPO"}}}}, raise_on_error=False, resources=resources(layout, policy_file=setup[1], as_of=AS_OF))
    assert not bad.success


def test_cli_review_then_approve(setup, capsys, tmp_path):
    layout, _ = setup
    assert main(["check-policy"]) == 0
    assert "policy ok: 4 rules, 1 legal holds" in capsys.readouterr().out
    assert materialize(*setup).success
    csv_path = tmp_path / "list.csv"
    assert main(["deletion-list", "--csv", str(csv_path)]) == 0
    out = capsys.readouterr().out
    assert "Werf Leuven" in out and "default" in out and "approve-deletions --list-id" in out
    list_id = out.split("deletion list ")[1].split(" ")[0]
    assert csv_path.read_text().count("\n") == 2 and "Oude boodschap" not in csv_path.read_text()
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els (DPO)"]) == 0
    out = capsys.readouterr().out
    assert "deleted 1, anonymised 0" in out and "certificate:" in out
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els (DPO)"]) == 0
    assert "already applied" in capsys.readouterr().out
    # The run is on the instance in DAGSTER_HOME, so the UI shows it.
    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
    assert {r.job_name for r in runs} == {"apply_deletion_list"} and len(runs) == 2


def test_cli_refuses_bad_input_with_one_line(setup, capsys):
    _, policy = setup
    assert main(["approve-deletions", "--list-id", "0" * 16, "--approved-by", "DPO"]) == 2
    err = capsys.readouterr().err
    assert "no deletion list with this id" in err and len(err.strip().splitlines()) == 1
    assert main(["approve-deletions", "--list-id", "0" * 16, "--approved-by", " "]) == 2
    assert "approved-by" in capsys.readouterr().err
    policy.write_text(policy.read_text().replace("action: delete", "action: burn", 1))
    assert main(["check-policy"]) == 2
    err = capsys.readouterr().err
    assert "line 10" in err and "burn" in err
    assert main(["approve-deletions", "--list-id", "x", "--approved-by", "DPO"]) == 2


def test_interrupted_purge_warns(setup, monkeypatch):
    layout, _ = setup
    real = purge_steps.STEP_FUNCS["warehouse"]
    monkeypatch.setitem(purge_steps.STEP_FUNCS, "warehouse", lambda *a: (_ for _ in ()).throw(RuntimeError("crash")))
    with pytest.raises(RuntimeError):
        purge.apply_changes(layout, now=NOW, delete_ids={"a"}, event="t", details={})
    monkeypatch.setitem(purge_steps.STEP_FUNCS, "warehouse", real)
    evaluation = check(materialize(*setup), "no_interrupted_purge")
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN


def test_deleted_message_that_came_back_fails_the_check(setup):
    layout, _ = setup
    purge.apply_changes(layout, now=NOW, delete_ids={"a"}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert checks.resurrected(con) == 0
        add_message(con, "a", day=OLD)  # as a re-ingested export would
    evaluation = check(materialize(*setup), "no_deleted_message_came_back")
    assert not evaluation.passed and evaluation.metadata["messages_back"].value == 1


def test_invariant_checks_are_blocking_and_the_warnings_are_not():
    specs = {spec.name: spec for spec in rdefs.deletion_list_asset.check_specs}
    assert {name for name, spec in specs.items() if spec.blocking} == {
        "no_held_message_on_list", "audit_chain_verifies", "no_deleted_message_came_back"}


def test_a_failing_blocking_check_stops_the_nightly_report(setup):
    from o3_governance.defs.reporting.assets import nightly_report

    layout, policy = setup
    result = materialize(layout, policy, nightly_report)
    assert result.success and result.asset_materializations_for_node("nightly_report")  # positive control
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("UPDATE audit_log SET details = '{\"eligible\":0}' WHERE seq = 1")
    result = materialize(layout, policy, nightly_report)
    assert not check(result, "audit_chain_verifies").passed
    assert not result.success
    assert result.asset_materializations_for_node("nightly_report") == []
    assert "nightly_report" not in {e.step_key for e in result.all_events if e.is_step_success}
