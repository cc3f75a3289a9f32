"""The GDPR Art. 30 record of processing: built from the activity statements, the policy and the data."""
from __future__ import annotations

import argparse
import csv
import io
import json

import pytest

from o3_governance.storage import warehouse
from o3_governance.reporting import art30, policyview
from o3_governance.cli.reporting import cmd_record

from support.reporting import AS_OF, NOW, PLANTED, POLICY_YAML, seed, write_policy


def _record(con, policy, raw_days: int = 0, report_days: int = 365):
    return art30.build_record(con, policy, AS_OF, art30.load_activity(), NOW,
                              raw_retention_days=raw_days, report_retention_days=report_days)


@pytest.fixture
def record(data_layout, tmp_path):
    seed(data_layout)
    policy = policyview.load(write_policy(tmp_path))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        return _record(con, policy, raw_days=14, report_days=400)


def test_record_has_every_art30_heading(record):
    for key in ("controller", "purposes", "legal_bases", "data_subject_categories", "personal_data_categories",
                "recipients", "third_country_transfers", "retention_periods", "security_measures"):
        assert record[key], key
    assert record["controller"]["name"] == "O3 Group BV"
    assert record["as_of"] == "2026-11-24"
    assert record["generated_at"] == NOW.isoformat(timespec="seconds")


def test_retention_periods_come_from_the_policy_and_the_settings(record):
    rules = [(r["rule"], r["retain_days"], r["action"]) for r in record["retention_periods"] if r["source"] == "policy"]
    assert rules == [("sensitive-data", 30, "anonymise"), ("system-and-deleted", 90, "delete"), ("default", 730, "delete")]
    first = record["retention_periods"][0]
    assert first["envisaged_time_limit"] == "30 days after the message date, then anonymise"
    assert "special-category" in first["applies_to"]
    settings = {r["rule"]: r["retain_days"] for r in record["retention_periods"] if r["source"] == "configuration"}
    assert settings == {"O3_RAW_RETENTION_DAYS": 14, "O3_REPORT_RETENTION_DAYS": 400}
    hold = record["legal_holds"][0]
    assert hold == {"name": "dispute-bruxelles", "reason": "Open dispute with the client", "until": "open-ended",
                    "chats_named": 1, "people_named": 2, "source": "policy"}


def test_categories_of_data_and_people_are_counted_from_the_warehouse(record):
    cats = {c["category"]: c for c in record["personal_data_categories"]}
    assert cats["HEALTH_DATA"]["special_category"] and cats["HEALTH_DATA"]["observed_count"] == 21
    assert cats["CRIMINAL_OFFENCE"]["observed_count"] == 18
    assert cats["IBAN_CODE"]["observed_count"] == 21 and not cats["IBAN_CODE"]["special_category"]
    # special categories the scanner looked for and did not find are stated as 0, not left out
    assert cats["GENETIC_DATA"]["observed_count"] == 0
    assert cats["message_content"]["observed_count"] == 108      # text messages
    assert cats["participant_identity"]["observed_count"] == 3    # distinct authors
    assert record["data_subjects_observed"] == {"participants": 3, "chats": 3, "source": "data"}
    assert record["volume"]["first_month"] == "2025-01" and record["volume"]["last_month"] == "2025-12"


def test_record_files_hold_no_identifier(record, tmp_path):
    paths = art30.write_record(record, tmp_path / "out")
    assert sorted(p.name for p in paths) == ["record_of_processing.csv", "record_of_processing.json"]
    for p in paths:
        text = p.read_text(encoding="utf-8").lower()
        assert [s for s in PLANTED if s.lower() in text] == []


def test_csv_has_one_statement_a_row(record, tmp_path):
    art30.write_record(record, tmp_path)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "record_of_processing.csv").read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["section", "item", "value", "detail", "source"]
    sections = {r["section"] for r in rows}
    assert {"controller", "purpose", "legal_basis", "data_subject_category", "personal_data_category", "recipient",
            "third_country_transfer", "retention_period", "legal_hold", "security_measure"} <= sections
    retention = [r for r in rows if r["section"] == "retention_period"]
    assert any(r["item"].endswith("default") and r["value"] == "730" and r["source"] == "policy" for r in retention)
    health = next(r for r in rows if r["item"] == "HEALTH_DATA")
    assert health["value"] == "21" and "special category" in health["detail"] and health["source"].startswith("data")
    js = json.loads((tmp_path / "record_of_processing.json").read_text(encoding="utf-8"))
    assert js["retention_periods"] == json.loads(json.dumps(record["retention_periods"]))


def test_record_without_scanner_or_policy_says_so(data_layout, tmp_path):
    seed(data_layout, full=False)
    policy = policyview.load(tmp_path / "missing.yaml")
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        rec = _record(con, policy)
    assert "cannot be read (FileNotFoundError)" in rec["policy"]["error"]
    assert [r["source"] for r in rec["retention_periods"]] == ["configuration", "configuration"]
    assert not any(c["category"] == "HEALTH_DATA" for c in rec["personal_data_categories"])  # not scanned: not claimed


def test_broken_policy_is_reported_with_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    retain_days: [1\n")
    view = policyview.load(bad)
    assert not view.available and "YAML" in view.error and "line 4" in view.error and view.rules == []
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("rules:\n  - name: x\n    retain_days: many\n")
    wrong_view = policyview.load(wrong)
    assert not wrong_view.available and "line 2" in wrong_view.error and wrong_view.rules == []


def test_csv_cells_cannot_become_formulas():
    assert art30.csv_safe("=HYPERLINK(1)") == "'=HYPERLINK(1)" and art30.csv_safe("@x") == "'@x"
    assert art30.csv_safe("plain") == "plain" and art30.csv_safe(5) == 5


def test_cli_export_writes_both_files(data_layout, tmp_path, monkeypatch, capsys):
    seed(data_layout)
    monkeypatch.setenv("O3_POLICY_FILE", str(write_policy(tmp_path)))
    monkeypatch.setenv("O3_AS_OF", AS_OF.isoformat())
    assert cmd_record(argparse.Namespace(out=None, activity=None)) == 0
    out = data_layout.exports / "record-of-processing-2026-11-24"
    assert (out / "record_of_processing.csv").is_file() and (out / "record_of_processing.json").is_file()
    assert str(out / "record_of_processing.json") in capsys.readouterr().out


def test_activity_file_can_be_replaced_and_must_be_readable(data_layout, tmp_path):
    custom = tmp_path / "activity.yaml"
    custom.write_text("controller: {name: Other BV}\npurposes: [Evidence]\n")
    assert art30.load_activity(custom)["controller"]["name"] == "Other BV"
    (tmp_path / "broken.yaml").write_text("controller: [\n")
    with pytest.raises(ValueError, match="cannot be read"):
        art30.load_activity(tmp_path / "broken.yaml")


def test_rule_descriptions_of_the_policy_reach_the_record(data_layout, tmp_path):
    path = tmp_path / "described.yaml"
    path.write_text(POLICY_YAML.replace("  - name: default\n",
                                        "  - name: default\n    description: Everyday work chat, kept two years.\n"))
    policy = policyview.load(path)
    assert policy.available, policy.error
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        rec = _record(con, policy)
    default = next(r for r in rec["retention_periods"] if r["rule"] == "default")
    assert default["retain_days"] == 730 and default["why"] == "Everyday work chat, kept two years."
    assert next(r for r in rec["retention_periods"] if r["rule"] == "sensitive-data")["why"] == ""
