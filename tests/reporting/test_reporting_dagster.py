"""The ``nightly_report`` asset: group, upstream keys, metadata (markdown summary, link, counts) and checks."""
from __future__ import annotations

import dagster as dg

from o3_governance import settings

from support.dagster_resources import resources
from o3_governance.defs.reporting import assets as defs_reporting

from support.reporting import AS_OF, PLANTED, seed, write_policy


def test_asset_definition():
    spec = defs_reporting.nightly_report
    key = dg.AssetKey("nightly_report")
    assert spec.keys == {key}
    assert spec.group_names_by_key[key] == "reporting"
    assert {k.to_user_string() for k in spec.asset_deps[key]} == {"archives", "messages", "findings", "retention",
                                                                  "deletion_list", "attachment_findings"}
    assert {c.name for c in spec.check_specs} == {"manifest_verifies", "no_personal_data_in_report"}


def test_materialize_writes_the_report_and_counts_only_metadata(data_layout, tmp_path):
    seed(data_layout)
    result = dg.materialize([defs_reporting.nightly_report], instance=dg.DagsterInstance.ephemeral(),
                            resources=resources(data_layout, policy_file=write_policy(tmp_path), as_of=AS_OF.isoformat()))
    assert result.success
    mats = result.asset_materializations_for_node("nightly_report")
    meta = mats[0].metadata
    assert isinstance(meta["summary"], dg.MarkdownMetadataValue)
    assert "| messages | 120 |" in meta["summary"].value
    assert meta["download_url"].value == "http://127.0.0.1:8765/reports/2026-11-24/report.html"
    assert meta["report_path"].value == str(data_layout.reports / "2026-11-24" / "report.html")
    assert meta["messages"].value == 120 and meta["dagster/row_count"].value == 120
    assert meta["special_category_findings"].value == 39
    assert (data_layout.reports / "2026-11-24" / "report.html").is_file()
    # nothing personal in any metadata value (the token is never there either)
    blob = " ".join(str(v.value) for v in meta.values()).lower()
    assert [s for s in PLANTED if s.lower() in blob] == []
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["manifest_verifies"].passed and checks["no_personal_data_in_report"].passed
    assert checks["no_personal_data_in_report"].metadata["values_checked"].value > 5


def test_public_url_setting_changes_the_link(monkeypatch):
    monkeypatch.setenv("O3_REPORTS_PUBLIC_URL", "https://reports.o3.example/")
    public = settings.load().reports_public_url
    assert defs_reporting.download_url(public, "2026-11-24") == "https://reports.o3.example/reports/2026-11-24/report.html"
