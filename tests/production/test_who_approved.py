"""Who approved: the certificate carries the typed approver and the user the system authenticated.
The command line passes its OS login as a run tag; a run launched from the Dagster UI has none (the
open-source webserver passes no proxy header into runs) and is certified "unauthenticated"."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import getpass
import pytest

from o3_governance import cli
from o3_governance.retention import decide, dispose
from o3_governance.retention.policy import parse_policy
from o3_governance.storage import warehouse
from support.dagster_resources import resources
from support.retention import SIMPLE_POLICY, add_message, write_policy

AS_OF = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def listed(data_layout, tmp_path, monkeypatch):
    policy_path = write_policy(tmp_path / "policy.yaml", SIMPLE_POLICY)
    monkeypatch.setenv("O3_POLICY_FILE", str(policy_path))
    monkeypatch.setenv("O3_AS_OF", AS_OF.isoformat())
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "old", day=date(2020, 1, 1), body="Gewone boodschap over de planning van de werf")
        summary = decide.compute(con, parse_policy(policy_path.read_text()), AS_OF, now=NOW)
    assert summary.list_items == 1
    return data_layout, summary.list_id, policy_path


def _certificate(layout, list_id) -> dict:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return json.loads(con.execute("SELECT counts FROM deletion_certificates WHERE list_id = ? AND status = "
                                      "'complete'", [list_id]).fetchall()[0][0])


def test_a_ui_launch_without_the_tag_is_certified_unauthenticated(listed, dagster_home):
    from o3_governance.defs.retention import assets as rdefs

    layout, list_id, policy_path = listed
    result = rdefs.apply_deletion_list_job.execute_in_process(
        run_config={"ops": {"apply_deletion_list_op": {"config": {"list_id": list_id, "approved_by": "Els (DPO)"}}}},
        resources=resources(layout, policy_file=policy_path, as_of=AS_OF))
    assert result.success
    cert = _certificate(layout, list_id)
    assert cert["approved_by"] == "Els (DPO)" and cert["authenticated_user"] == dispose.UNAUTHENTICATED


def test_a_launch_with_the_tag_certifies_that_user(listed, dagster_home):
    from o3_governance.defs.retention import assets as rdefs

    layout, list_id, policy_path = listed
    result = rdefs.apply_deletion_list_job.execute_in_process(
        run_config={"ops": {"apply_deletion_list_op": {"config": {"list_id": list_id, "approved_by": "Els (DPO)"}}}},
        resources=resources(layout, policy_file=policy_path, as_of=AS_OF),
        tags={rdefs.AUTHENTICATED_USER_TAG: "os:els"})
    assert result.success
    assert _certificate(layout, list_id)["authenticated_user"] == "os:els"


def test_the_command_line_certifies_its_os_login_next_to_the_typed_name(listed, dagster_home, capsys):
    layout, list_id, _ = listed
    assert cli.main(["approve-deletions", "--list-id", list_id, "--approved-by", "Els (DPO)"]) == 0
    assert f"approved by Els (DPO); authenticated user: os:{getpass.getuser()}" in capsys.readouterr().out
    cert = _certificate(layout, list_id)
    assert cert["approved_by"] == "Els (DPO)" and cert["authenticated_user"] == f"os:{getpass.getuser()}"
    certificate_file = json.loads(next((layout.reports / "certificates").glob("deletion-certificate-*.json")).read_text())
    assert certificate_file["authenticated_user"] == f"os:{getpass.getuser()}"
