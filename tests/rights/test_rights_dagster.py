"""The CLI end to end on a Dagster instance, the register asset and its deadline check, and the
housekeeping of the orchestrator's own records."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from support.dagster_resources import resources
from o3_governance import cli
from o3_governance.storage import warehouse
from o3_governance.defs.rights import housekeeping, jobs as rights_defs
from o3_governance.defs.rights.assets import dsr_register
from o3_governance.rights import checks, register
from support.rights import PHONE_SPELLINGS, SUBJECT_EMAIL, build_warehouse, record

NEEDLES = ["Jan Peeters", "Peeters", SUBJECT_EMAIL, *PHONE_SPELLINGS[:6]]


def _no_identifiers_under(folder: Path) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: {n}" for n in NEEDLES if n.encode() in data]
    return hits


def test_cli_access_runs_on_the_dagster_instance_with_the_request_id_only(
        data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    monkeypatch.setenv("O3_SUBJECT_KEY", "configured-key")
    build_warehouse(data_layout, tmp_path, monkeypatch)
    code = cli.main(["request", "access", "--request-id", "CLI-1", "--subject-phone", "0471/23.45.67",
                     "--subject-name", "Jan Peeters", "--subject-email", SUBJECT_EMAIL])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "STEP_START" not in out.err      # the console stays readable; the events are on the instance
    assert "request CLI-1 (access): completed" in out.out
    assert str(data_layout.exports / "CLI-1") in out.out and "messages exported: 8" in out.out
    assert (data_layout.exports / "CLI-1" / "manifest.json").is_file()
    for needle in NEEDLES:
        assert needle not in out.out + out.err

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_runs()
        assert [r.job_name for r in runs] == ["dsr_access"]
        run = runs[0]
        assert run.run_config["ops"] == {"carry_out_access": {"config": {"request_id": "CLI-1"}}}
        assert set(run.run_config) == {"ops", "loggers"}   # loggers: only the console log level
        assert run.tags["o3/dsr_request_id"] == "CLI-1"
        assert run.tags["o3/warehouse"] == "write"      # queued one at a time with the nightly run
        assert run.status == dg.DagsterRunStatus.SUCCESS
        events = instance.all_logs(run.run_id)
        text = json.dumps([dg.serialize_value(e) for e in events])
    for needle in NEEDLES:
        assert needle not in text
    assert 'messages_exported' in text     # the counts are there, as metadata
    assert _no_identifiers_under(dagster_home) == []
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        req = register.get_request(con, "CLI-1")
    assert req.run_id == run.run_id and req.status == "completed"
    # the configured key reaches the register (through the CLI) and the export's body hashes (through the run)
    assert req.subject_key == register.subject_key(b"configured-key", "+32471234567")
    assert not register.secret_path(data_layout).exists()


def test_cli_erasure_under_a_legal_hold_succeeds_and_says_which_hold(
        data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    policy = tmp_path / "policy.yaml"
    policy.write_text("""rules:
  - name: default
    retain_days: 730
    action: delete
legal_holds:
  - name: dispute-bruxelles
    chats: ["Client Bruxelles"]
    reason: "Open dispute with the client"
    until: 2027-06-30
""", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")   # the hold runs until 2027-06-30: the request is judged before it
    build_warehouse(data_layout, tmp_path, monkeypatch)
    code = cli.main(["request", "erasure", "--request-id", "CLI-2", "--subject-phone", "+32 471 23 45 67",
                     "--subject-name", "Jan Peeters"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    assert "request CLI-2 (erasure): completed" in out
    assert "kept under legal hold 'dispute-bruxelles' (2 messages, until 2027-06-30): Open dispute with the client" in out
    assert "17(3)(e)" in out and "messages deleted: 2" in out
    assert _no_identifiers_under(dagster_home) == []


@pytest.mark.parametrize("argv, fragment", [
    (["request", "access", "--request-id", "A1", "--subject-phone", "call-me-maybe"], "--subject-phone is not"),
    (["request", "access", "--request-id", "A1", "--subject-phone", "0471234567", "--subject-email", "x@"], "--subject-email"),
    (["request", "access", "--request-id", "bad id", "--subject-phone", "0471234567"], "request id must"),
    (["request", "rectification", "--request-id", "A1", "--subject-phone", "0471234567"], "needs --new-name"),
    (["request", "access", "--request-id", "A1", "--subject-phone", "0471234567", "--lift"], "--lift applies"),
    (["request", "rectification", "--request-id", "A1", "--subject-phone", "0471234567", "--new-phone", "call-me-maybe"],
     "--new-phone is not"),
])
def test_cli_bad_input_exits_2_with_one_line_and_no_echo(data_layout, dagster_home, capsys, argv, fragment):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1
    assert "call-me-maybe" not in err
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs() == []


def test_cli_lift_with_nothing_to_lift_exits_3(data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    assert cli.main(["request", "restriction", "--request-id", "L1", "--subject-phone", "0471234567", "--lift",
                     "--received-on", "2026-10-31"]) == 3
    captured = capsys.readouterr()
    assert "no active restriction" in captured.err
    assert "received 2026-10-31, due 2026-11-30" in captured.out
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert register.get_request(con, "L1").status == "rejected"


def test_cli_same_request_id_twice_is_refused(data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    argv = ["request", "objection", "--request-id", "O1", "--subject-phone", "0471234567"]
    assert cli.main(argv) == 0
    assert "review required: True" in capsys.readouterr().out
    assert cli.main(argv) == 2
    assert "already exists" in capsys.readouterr().err


def test_cli_requests_lists_the_register_without_identifiers(data_layout, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("O3_AS_OF", "2026-11-28")
    record(data_layout, "LATE-1", "access")   # received 2 Nov, due 2 Dec
    assert cli.main(["requests"]) == 0
    out = capsys.readouterr().out
    assert "LATE-1\taccess" in out and "due in 4 days" in out
    for needle in NEEDLES:
        assert needle not in out


def test_job_launched_with_config_only_carries_out_a_recorded_request(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    monkeypatch.delenv("O3_DIRECTORY_FILE")      # the run's settings come from the resource
    record(data_layout, "UI-1", "restriction")
    result = rights_defs.DSR_JOBS["restriction"].execute_in_process(
        run_config=rights_defs.run_config("restriction", "UI-1"),
        resources=resources(data_layout, directory_file=tmp_path / "directory.yaml"))
    assert result.success
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        req = register.get_request(con, "UI-1")
        assert (req.status, req.run_id) == ("completed", result.run_id)
        assert con.execute("SELECT count(*) FROM restricted_message_ids").fetchone()[0] == 6
    # the wrong job for the request fails with a one-line reason
    wrong = rights_defs.DSR_JOBS["access"].execute_in_process(run_config=rights_defs.run_config("access", "UI-1"),
                                                              raise_on_error=False, resources=resources(data_layout))
    assert not wrong.success


def test_register_asset_check_warns_about_close_and_past_deadlines(data_layout):
    record(data_layout, "SOON", "access")                       # received 2 Nov 2026: due 2 Dec
    ok = dg.materialize([dsr_register], resources=resources(data_layout, as_of="2026-11-10"))
    check = ok.get_asset_check_evaluations()[0]
    assert check.passed and check.metadata["due_within_7_days"].value == 0
    meta = ok.asset_materializations_for_node("dsr_register")[0].metadata
    assert (meta["open_requests"].value, meta["dagster/row_count"].value, meta["overdue"].value) == (1, 1, 0)
    soon = dg.materialize([dsr_register], resources=resources(data_layout, as_of="2026-11-26")
                          ).get_asset_check_evaluations()[0]
    assert not soon.passed and soon.severity == dg.AssetCheckSeverity.WARN
    assert soon.metadata["due_soon_request_ids"].value == "SOON"
    late = dg.materialize([dsr_register], resources=resources(data_layout, as_of="2026-12-03")
                          ).get_asset_check_evaluations()[0]
    assert not late.passed and late.metadata["overdue"].value == 1


def test_deadline_check_is_a_plain_function_of_the_register(data_layout):
    record(data_layout, "OLD", "access", received_on=date(2026, 10, 1))     # due 1 Nov
    record(data_layout, "SOON", "access", received_on=date(2026, 10, 28))   # due 28 Nov
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        state = checks.register_state(con, date(2026, 11, 24))
    assert (state.total, state.by_status, state.active_restrictions) == (2, {"received": 2}, 0)
    outcome = checks.deadline_check(state.deadlines)
    assert not outcome.passed
    assert outcome.metadata == {"overdue": 1, "due_within_7_days": 1, "overdue_request_ids": "OLD",
                                "due_soon_request_ids": "SOON"}
    assert checks.deadline_check(register.DeadlineStatus(3, [], [])).passed


def test_purge_orchestrator_history_deletes_old_finished_runs_only(dagster_home, monkeypatch):
    from o3_governance.defs.rights.housekeeping import purge_orchestrator_history

    @dg.op
    def noop():
        return 1

    @dg.job
    def tiny():
        noop()

    with dg.DagsterInstance.get() as instance:
        old = tiny.execute_in_process(instance=instance, resources=resources()).run_id
        now = datetime.now(timezone.utc)                                  # the run was created just now
        assert housekeeping.purge_run_history(instance, 90, now=now) == 0  # nothing old enough yet
        captured = dagster_home / "storage" / old
        assert captured.is_dir()                                          # the step's stdout/stderr
        later = now + timedelta(days=91)
        assert housekeeping.purge_run_history(instance, 90, now=later) == 1
        assert instance.get_run_by_id(old) is None and instance.all_logs(old) == []
        assert not captured.exists()
        monkeypatch.setenv("O3_RUN_HISTORY_DAYS", "30")
        result = purge_orchestrator_history.execute_in_process(instance=instance, resources=resources())
        assert result.success
        assert instance.get_run_by_id(result.run_id) is not None


@pytest.mark.parametrize("value", ["0", "ninety", "-3"])
def test_run_history_days_must_be_a_positive_whole_number(monkeypatch, value):
    monkeypatch.setenv("O3_RUN_HISTORY_DAYS", value)
    from o3_governance import settings

    with pytest.raises(ValueError, match="O3_RUN_HISTORY_DAYS"):
        settings.load()


def test_definitions_expose_the_rights_jobs_and_default_on_schedules():
    from o3_governance.definitions import defs

    repo = defs.get_repository_def()
    for name in ("dsr_access", "dsr_erasure", "dsr_rectification", "dsr_restriction", "dsr_objection",
                 "dsr_access_regenerate", "purge_orchestrator_history", "dsr_register_refresh"):
        assert repo.has_job(name)
    schedules = {s.name: s for s in repo.schedule_defs}
    for name in ("purge_orchestrator_history_weekly", "dsr_register_daily"):
        assert schedules[name].default_status == dg.DefaultScheduleStatus.RUNNING
    # rights work is launched on demand, never by the nightly run
    from o3_governance.defs.nightly.jobs import NIGHTLY_GROUPS

    assert dsr_register.group_names_by_key[dg.AssetKey("dsr_register")] == "rights" not in NIGHTLY_GROUPS


def test_cli_failed_request_can_be_run_again_once_the_cause_is_fixed(
        data_layout, tmp_path, monkeypatch, dagster_home, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules: [\n", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    argv = ["request", "erasure", "--request-id", "F1", "--subject-phone", "0471 23 45 67", "--subject-name", "Jan Peeters"]
    assert cli.main(argv) == 1
    assert "failed" in capsys.readouterr().err
    with dg.DagsterInstance.get() as instance:
        (failed,) = instance.get_runs()
        text = json.dumps([dg.serialize_value(e) for e in instance.all_logs(failed.run_id)])
    assert "PolicyError" in text and "Peeters" not in text
    # another person cannot reuse the id; the same person, once the policy is fixed, can
    assert cli.main(["request", "erasure", "--request-id", "F1", "--subject-phone", "0499 99 88 77"]) == 2
    capsys.readouterr()
    policy.write_text("rules:\n  - name: default\n    retain_days: 730\n    action: delete\n", encoding="utf-8")
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    assert "running it again" in captured.err and "request F1 (erasure): completed" in captured.out


def test_cli_refuses_cleanly_while_another_process_writes_the_warehouse(data_layout, dagster_home, capsys):
    import subprocess
    import sys

    warehouse.connect(data_layout.warehouse).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)"),
        str(data_layout.warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert cli.main(["request", "access", "--request-id", "B1", "--subject-phone", "0471234567"]) == 1
        assert "in use by another process" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert not warehouse.table_exists(con, "dsr_requests") or \
            con.execute("SELECT count(*) FROM dsr_requests").fetchone()[0] == 0


def test_cli_bad_received_date_is_refused_by_the_parser(data_layout, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["request", "access", "--request-id", "A1", "--subject-phone", "0471234567",
                  "--received-on", "31/10/2026"])
    assert exc.value.code == 2 and "--received-on" in capsys.readouterr().err
