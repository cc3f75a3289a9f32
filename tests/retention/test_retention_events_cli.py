"""The shell of events, explain, simulate, the mass-change guard, hold coverage and four eyes: the CLI lines
of the contract and the Dagster assets, on a real warehouse."""
import hashlib
import json
from datetime import date

import dagster as dg
import pytest

from o3_governance.cli import main
from o3_governance.defs.retention import assets as rdefs
from o3_governance.storage import warehouse

from support.dagster_resources import resources
from support.retention import add_message, chat_id, write_policy

AS_OF = date(2026, 6, 1)
BODY = "Vertrouwelijke tekst over de oplevering"
POLICY = """
event_types: [project_closed, employee_left]
rules:
  - name: project-chats
    match: {chats: ["Werf Leuven"]}
    retain_days: 30
    count_from: event:project_closed
    action: delete
  - name: default
    retain_days: 730
    action: delete
legal_holds:
  - name: dispute-bruxelles
    chats: ["Client Brussel"]
"""


@pytest.fixture
def env(data_layout, dagster_home, tmp_path, monkeypatch):
    monkeypatch.setenv("O3_AS_OF", AS_OF.isoformat())
    policy = write_policy(tmp_path / "policy.yaml", POLICY)
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        for i in range(3):
            add_message(con, f"werf{i}", day=date(2020, 1, 1 + i), body=BODY)
        add_message(con, "client", chat="Client Bruxelles", day=date(2026, 5, 1))
        add_message(con, "recent", chat="Kantoor", day=date(2026, 5, 1))
        add_message(con, "old", chat="Kantoor", day=date(2021, 1, 1))
    return data_layout, policy


def night(layout, policy):
    return dg.materialize([rdefs.retention_asset, rdefs.deletion_list_asset], raise_on_error=False,
                          resources=resources(layout, policy_file=policy, as_of=AS_OF))


def listed(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return {r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()}


def out_err(capsys):
    c = capsys.readouterr()
    return c.out, c.err


# --------------------------------------------------------------------------------------------- events

def test_event_record_list_withdraw_through_the_cli(env, capsys):
    layout, policy = env
    assert night(*env).success and listed(layout) == {"old"}
    assert main(["event", "record", "--type", "project_closed", "--chat", "Werf Leuven", "--date", "2025-01-31",
                 "--recorded-by", "Ann Peeters", "--reason", "Oplevering getekend"]) == 0
    out, _ = out_err(capsys)
    event_id = out.split("recorded event ")[1].split(":")[0]
    assert night(*env).success and listed(layout) == {"old", "werf0", "werf1", "werf2"}
    assert main(["event", "list"]) == 0
    out, _ = out_err(capsys)
    assert event_id in out and "in force" in out and "Oplevering" not in out
    assert main(["event", "withdraw", "--event-id", event_id, "--recorded-by", "Bert Maes", "--reason", "wrong"]) == 0
    assert night(*env).success and listed(layout) == {"old"}
    assert main(["event", "list"]) == 0
    assert "withdrawn" in out_err(capsys)[0]


@pytest.mark.parametrize("args, words", [
    (["--type", "project_ended", "--chat", "Werf Leuven", "--date", "2025-01-31"], "unknown event type"),
    (["--type", "project_closed", "--chat", "Werf Lovain", "--date", "2025-01-31"], "matches no chat"),
    (["--type", "project_closed", "--chat", "Werf Leuven", "--date", "2025-02-30"], "real date"),
    (["--type", "project_closed", "--chat", "Werf Leuven", "--date", "31/01/2025"], "YYYY-MM-DD"),
    (["--type", "employee_left", "--subject", "123", "--date", "2025-01-31"], "phone number"),
])
def test_event_record_refuses_bad_input_with_one_line(env, capsys, args, words):
    assert main(["event", "record", *args, "--recorded-by", "Ann Peeters"]) == 2
    out, err = out_err(capsys)
    assert words in err and len(err.strip().splitlines()) == 1 and out == ""


def test_event_record_refuses_a_placeholder_recorder(env, capsys):
    assert main(["event", "record", "--type", "project_closed", "--chat", "Werf Leuven", "--date", "2025-01-31",
                 "--recorded-by", "<your name>"]) == 2
    assert "placeholder" in out_err(capsys)[1]


# -------------------------------------------------------------------------------------------- explain

def test_explain_answers_without_message_text(env, capsys):
    assert night(*env).success
    assert main(["explain", "werf0"]) == 0
    out, _ = out_err(capsys)
    assert "rule: project-chats (matched chats)" in out and "waiting for: project_closed" in out
    assert "retain until: not set (waiting)" in out and "not on the current deletion list" in out
    assert BODY not in out
    assert main(["explain", "old"]) == 0
    out, _ = out_err(capsys)
    assert "rule: default" in out and "retain until: 2023-01-01" in out and "on deletion list" in out
    assert main(["explain", "client"]) == 0
    assert "legal hold: none" in out_err(capsys)[0]   # the hold's chat is misspelt: nothing held


def test_explain_names_the_event_used(env, capsys):
    assert main(["event", "record", "--type", "project_closed", "--chat", chat_id("Werf Leuven"), "--date",
                 "2025-01-31", "--recorded-by", "Ann Peeters"]) == 0
    event_id = out_err(capsys)[0].split("recorded event ")[1].split(":")[0]
    assert main(["explain", "werf1"]) == 0
    out, _ = out_err(capsys)
    assert f"= 2025-01-31 (event {event_id})" in out and "retain until: 2025-03-02" in out


def test_explain_unknown_id_is_one_line_and_non_zero(env, capsys):
    assert main(["explain", "no-such-id"]) == 2
    out, err = out_err(capsys)
    assert "no message with this id" in err and len(err.strip().splitlines()) == 1 and out == ""


# ------------------------------------------------------------------------------- holds matching nothing

def test_check_policy_warns_about_a_hold_matching_nothing_with_a_suggestion(env, capsys):
    assert main(["check-policy"]) == 0
    out, _ = out_err(capsys)
    assert ("hold 'dispute-bruxelles': chat 'Client Brussel' matches no chat; did you mean 'Client Bruxelles'?"
            in out)
    assert "hold dispute-bruxelles keeps 0 message(s) now" in out


def test_a_hold_that_matches_shows_what_it_keeps_and_no_warning(env, capsys, tmp_path):
    fixed = write_policy(tmp_path / "fixed.yaml", POLICY.replace("Client Brussel", "Client Bruxelles"))
    assert main(["check-policy", str(fixed)]) == 0
    out, _ = out_err(capsys)
    assert "keeps 1 message(s) now" in out and "matches no" not in out


def test_subject_hold_matching_nothing_suggests_the_closest_author(env, capsys, tmp_path):
    p = write_policy(tmp_path / "p.yaml", POLICY.replace('chats: ["Client Brussel"]', 'subjects: ["Ann Peters"]'))
    assert main(["check-policy", str(p)]) == 0
    assert "subject 'Ann Peters' matches no message; did you mean 'Ann Peeters'?" in out_err(capsys)[0]


def test_nightly_check_warns_when_a_hold_matches_nothing(env):
    result = night(*env)
    assert result.success
    (ev,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "holds_match_something"]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert ev.metadata["entries_matching_nothing"].value == {"dispute-bruxelles": 1}
    assert "Client Brussel" not in repr(ev.metadata)


# ------------------------------------------------------------------------------------------- simulate

def test_simulate_writes_nothing_and_its_counts_equal_the_next_nights_list(env, capsys, tmp_path):
    layout, policy = env
    assert night(*env).success
    new = write_policy(tmp_path / "new.yaml", POLICY.replace("retain_days: 730", "retain_days: 30")
                       .replace("Client Brussel", "Client Bruxelles"))
    before = hashlib.sha256(layout.warehouse.read_bytes()).hexdigest()
    assert main(["check-policy", "--simulate", str(new)]) == 0
    out, _ = out_err(capsys)
    assert hashlib.sha256(layout.warehouse.read_bytes()).hexdigest() == before
    assert "would list: 1 -> 2 messages; newly due 1" in out and "nothing was written" in out
    assert "rule default: 3 -> 3 messages" in out and "hold dispute-bruxelles: 0 -> 1 messages" in out
    assert f"{chat_id('Kantoor')[:18]:<18} {'default':<28} {1:>9} {0:>9} {0:>9}" in out
    assert BODY not in out
    policy.write_text(new.read_text())
    assert night(*env).success
    assert listed(layout) == {"old", "recent"}


def test_simulate_needs_a_warehouse(data_layout, tmp_path, monkeypatch, capsys):
    p = write_policy(tmp_path / "p.yaml", POLICY)
    assert main(["check-policy", "--simulate", str(p)]) == 1
    assert "no warehouse" in out_err(capsys)[1]


def test_accept_needs_simulate_and_a_real_name(env, capsys):
    _, policy = env
    assert main(["check-policy", str(policy), "--accept", "--approved-by", "Els"]) == 2
    assert "--simulate" in out_err(capsys)[1]
    assert main(["check-policy", "--simulate", str(policy), "--accept", "--approved-by", "<your name>"]) == 2
    assert "placeholder" in out_err(capsys)[1]


# --------------------------------------------------------------------------------- mass-change guard

MASS = POLICY.replace("retain_days: 730", "retain_days: 10")


def test_a_policy_change_that_lists_too_much_is_refused_until_accepted(env, capsys):
    layout, policy = env
    assert night(*env).success and listed(layout) == {"old"}
    policy.write_text(MASS)   # the change alone adds "recent" and "client": 2 of 6 messages, above 0.25
    result = night(*env)
    assert not result.success
    failure = [e for e in result.all_events if e.is_step_failure][0].step_failure_data.error.message
    assert "policy change refused" in failure and "2 of 6 messages (33%)" in failure and "default (2)" in failure
    assert listed(layout) == {"old"}   # nothing listed on the refused file's account
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM retention WHERE rule = 'default' AND retain_days = 730"
                           ).fetchall()[0][0] == 3
    assert main(["check-policy", "--simulate", str(policy), "--accept", "--approved-by", "Els Janssens"]) == 0
    assert "accepted" in out_err(capsys)[0]
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        sha = hashlib.sha256(policy.read_bytes()).hexdigest()
        details = json.loads(con.execute("SELECT details FROM audit_log WHERE event = 'policy_change_accepted'"
                                         ).fetchall()[0][0])
    assert details["policy_sha256"] == sha
    assert night(*env).success and listed(layout) == {"old", "recent", "client"}


def test_a_change_below_the_share_is_not_refused(env):
    layout, policy = env
    assert night(*env).success
    policy.write_text(MASS + "disposal:\n  max_new_share: 0.5\n")   # 2 of 6 (33%) is below 50%
    assert night(*env).success and listed(layout) == {"old", "recent", "client"}


def test_growth_from_time_passing_is_never_refused(env):
    layout, policy = env
    policy.write_text(POLICY + "disposal:\n  max_new_share: 0.1\n")
    assert night(*env).success
    later = dg.materialize([rdefs.retention_asset, rdefs.deletion_list_asset], raise_on_error=False,
                           resources=resources(layout, policy_file=policy, as_of=date(2028, 6, 1)))
    assert later.success and listed(layout) == {"old", "recent", "client"}


# ---------------------------------------------------------------------------------------- Dagster UI

def test_deletion_list_metadata_table_counts_per_chat_rule_action_month(env):
    result = night(*env)
    (dl,) = result.asset_materializations_for_node("deletion_list")
    table = dl.metadata["per_chat_rule_action_month"].value
    assert [r.data for r in table.records] == [{"chat_id": chat_id("Kantoor"), "rule": "default",
                                               "action": "delete", "month": "2021-01", "messages": 1}]
    assert BODY not in repr(result.all_events)


def test_apply_config_is_described_and_defaults_to_the_current_list(env):
    layout, policy = env
    fields = rdefs.ApplyDeletionListConfig.model_fields
    assert fields["list_id"].default == "current" and fields["list_id"].description
    assert fields["approved_by"].description
    assert night(*env).success
    result = rdefs.apply_deletion_list_job.execute_in_process(
        run_config={"ops": {"apply_deletion_list_op": {"config": {"approved_by": "Els Janssens"}}}},
        resources=resources(layout, policy_file=policy, as_of=AS_OF))
    assert result.success and result.output_for_node("apply_deletion_list_op") == "applied"
    assert listed(layout) == set()


# ----------------------------------------------------------------------------------------- four eyes

def test_two_approvers_required(env, capsys):
    layout, policy = env
    policy.write_text(POLICY + "disposal:\n  approvers_required: 2\n")
    assert night(*env).success
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        list_id = con.execute("SELECT DISTINCT list_id FROM deletion_list").fetchall()[0][0]
    capsys.readouterr()
    for name in ("<your name>", " ", "<naam>"):
        assert main(["approve-deletions", "--list-id", list_id, "--approved-by", name]) == 2
        assert len(out_err(capsys)[1].strip().splitlines()) == 1
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els Janssens"]) == 0
    assert "one more approver" in out_err(capsys)[0]
    assert listed(layout) == {"old"}  # nothing deleted after one approval
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "els  janssens"]) == 2
    assert "different person" in out_err(capsys)[1]
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Bert Maes"]) == 0
    out, _ = out_err(capsys)
    assert "deleted 1" in out
    cert = json.loads((layout.root / out.split("certificate: ")[1].split("  (run")[0].replace(str(layout.root) + "/", "")
                       ).read_text())
    assert cert["approvers"] == ["Els Janssens", "Bert Maes"] and "Els Janssens" in cert["approved_by"]
    # An applied list takes no further approvals: it only shows its certificate.
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Carl Dewit"]) == 0
    assert "already applied" in out_err(capsys)[0]
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM deletion_list_approvals").fetchall()[0][0] == 2


def test_one_approver_by_default_and_a_placeholder_is_refused(env, capsys):
    layout, _ = env
    assert night(*env).success
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        list_id = con.execute("SELECT DISTINCT list_id FROM deletion_list").fetchall()[0][0]
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "<your name>"]) == 2
    assert listed(layout) == {"old"}
    assert main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els Janssens"]) == 0
    assert listed(layout) == set()
