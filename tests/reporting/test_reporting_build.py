"""The nightly report: contents, CSV extracts, no personal data, history, manifests and retention."""
from __future__ import annotations

import argparse
import csv
import io
import json
import re
from datetime import date, timedelta

import pytest

from o3_governance.cli.reporting import cmd_report, cmd_verify
from o3_governance.reporting import charts, history, leakcheck, policyview
from o3_governance.reporting.build import build_report, write_index
from o3_governance.reporting.sections import retention as retention_section
from o3_governance.reporting.text import chat_label, safe_reason
from o3_governance.retention import decide
from o3_governance.storage import audit, warehouse

from support.reporting import (APPLIED_LIST, AS_OF, CERTIFICATE_SHA, CHATS, CURRENT_LIST, NOW, PLANTED,
                               all_report_text, build, chat_id, restrict, seed, write_policy)


@pytest.fixture
def seeded(data_layout, tmp_path):
    seed(data_layout)
    return data_layout, write_policy(tmp_path)


def _csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_report_folder_has_every_file_and_a_manifest(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy)
    assert result.folder == layout.reports / "2026-11-24"
    names = sorted(p.name for p in result.folder.iterdir())
    assert names == sorted(["report.html", "deletion_list.csv", "findings_summary.csv", "archive_registry.csv",
                            "messages_per_chat_month.csv", "record_of_processing.csv", "record_of_processing.json",
                            "summary.json", "manifest.json"])
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert set(manifest["files"]) == set(names) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == history.sha256_file(result.folder / name)
    assert history.verify_folder(result.folder) == []


def test_no_planted_identifier_or_message_text_in_any_report_file(seeded):
    layout, policy = seeded
    build(layout, AS_OF, policy)
    texts = all_report_text(layout.reports)
    assert "index.html" in texts and "2026-11-24/report.html" in texts
    leaks = [(name, s) for name, t in texts.items() for s in PLANTED if s.lower() in t.lower()]
    assert leaks == []
    # The runtime guard agrees, and would notice if a name did slip in (see the next test).
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert leakcheck.scan_folder(con, layout.reports / "2026-11-24").found == 0


def test_leak_guard_notices_a_name_in_a_report(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy)
    (result.folder / "summary.json").write_text('{"note": "forwarded by Marie Dubois"}')
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        scan = leakcheck.scan_folder(con, result.folder)
    assert scan.found == 1 and scan.files == ["summary.json"]


def test_report_sections_show_the_counts(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy)
    html = result.html.read_text(encoding="utf-8")
    text = _text(html)
    # archives with reasons (the quoted part of a reason is masked)
    assert "1 ingested" in text and "1 quarantined" in text and "1 duplicate" in text
    assert "first line […] is not a WhatsApp header" in text
    # messages per chat and month, chats by id and a non-personal label
    for chat in CHATS:
        assert chat_id(chat) in html and chat_label(chat_id(chat)) in text
    assert "120 messages in 3 chats" in text
    # findings per category / special-category alerts per chat
    assert "180 findings" in text and "HEALTH_DATA" in text and "CRIMINAL_OFFENCE" in text
    assert re.search(r"Special-category alerts per chat.*?13", text)
    # holds: name and reason from the policy, never the chats or people it names
    assert "dispute-bruxelles" in text and "Open dispute with the client" in text
    # deletion list awaiting approval with its age (10 days), certificates, DSR deadlines
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        items = con.execute("SELECT count(*) FROM deletion_list").fetchone()[0]
    assert items > 0
    assert re.search(rf"{CURRENT_LIST} 2026-11-14T02:00:00\+00:00 10 {items} awaiting_approval", text)
    certificates = text.split("Deletions carried out and their certificates")[1].split("Data-subject requests")[0]
    assert APPLIED_LIST in certificates and CERTIFICATE_SHA in certificates and "[withheld]" not in certificates
    assert re.search(rf"{APPLIED_LIST} complete 2026-10-01 .* 30 30 0 0 {CERTIFICATE_SHA}", certificates)
    assert "REQ-1" in text and "REQ-2" in text
    assert re.search(r"2 open, 1 overdue", text)
    assert "chain intact" in text or "verified intact" in text
    # self-contained: inline SVG, no external reference, no script
    assert "<svg" in html and "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_counts_match_the_warehouse(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy)
    c = result.counts
    assert c["messages"] == 120 and c["chats"] == 3 and c["findings"] == 180
    assert c["archives_quarantined"] == 1 and c["archives_duplicate"] == 1
    assert c["messages_held"] == 40             # every message of "Client Bruxelles"
    assert c["deletion_lists_awaiting_approval"] == 1
    assert c["dsr_open"] == 2 and c["dsr_overdue"] == 1
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        due = con.execute("SELECT count(*) FROM retention WHERE legal_hold IS NULL AND retain_until > ? "
                          "AND retain_until < DATE '2027-11-01'", [AS_OF]).fetchone()[0]
        listed = con.execute("SELECT count(*) FROM deletion_list").fetchone()[0]
    assert c["messages_due_next_12_months"] == due
    assert c["deletion_list_messages"] == listed
    summary = json.loads((result.folder / "summary.json").read_text())
    assert summary["counts"] == c


def test_due_by_month_covers_twelve_months_and_skips_held(seeded):
    layout, policy = seeded
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        section = retention_section.section(con, AS_OF, policyview.load(policy))
        expected_nov = con.execute("SELECT count(*) FROM retention WHERE legal_hold IS NULL AND retain_until > ? "
                                   "AND retain_until < DATE '2026-12-01'", [AS_OF]).fetchone()[0]
    months = [m for m, _ in section.data["due_by_month"]]
    assert months[0] == "2026-11" and months[-1] == "2027-10" and len(months) == 12
    assert dict(section.data["due_by_month"])["2026-11"] == expected_nov
    hold = section.data["holds"][0]
    assert (hold["name"], hold["messages"], hold["chats"], hold["until"]) == ("dispute-bruxelles", 40, 1, "")


def test_csv_extracts(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy)
    deletion = _csv(result.folder / "deletion_list.csv")
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        expected = {r[0] for r in con.execute("SELECT message_id FROM deletion_list").fetchall()}
    assert {r["message_id"] for r in deletion} == expected and len(deletion) == len(expected)
    assert list(deletion[0]) == ["message_id", "rule", "action", "retain_until"]
    assert all(date.fromisoformat(r["retain_until"]) <= AS_OF for r in deletion)

    findings = _csv(result.folder / "findings_summary.csv")
    assert sum(int(r["findings"]) for r in findings) == 180
    assert {r["entity_type"] for r in findings if r["special_category"] == "True"} == {"HEALTH_DATA", "CRIMINAL_OFFENCE"}
    assert {r["language"] for r in findings} == {"nl", "fr", "en"}

    registry = _csv(result.folder / "archive_registry.csv")
    assert "file_name" not in registry[0]          # file names can name people: only the type is kept
    assert [r["file_type"] for r in registry] == ["zip", "zip", "pdf"]
    assert all(len(r["sha256"]) == 64 for r in registry)
    assert {r["status"] for r in registry} == {"ingested", "duplicate", "quarantined"}

    per_chat = _csv(result.folder / "messages_per_chat_month.csv")
    assert sum(int(r["messages"]) for r in per_chat) == 120
    assert {r["chat_id"] for r in per_chat} == {chat_id(c) for c in CHATS}


def test_report_without_the_other_domains_tables_says_not_available(data_layout, tmp_path):
    seed(data_layout, full=False)
    result = build(data_layout, AS_OF, write_policy(tmp_path))
    text = _text(result.html.read_text(encoding="utf-8"))
    assert "not available: no findings table yet" in text
    assert "not available: no retention table yet" in text
    assert "not available: no deletion list yet" in text
    assert "not available: no deletions carried out yet" in text
    assert "not available: no data-subject requests register yet" in text
    assert "120 messages in 3 chats" in text
    assert _csv(result.folder / "deletion_list.csv") == []
    assert "findings" not in result.counts and result.counts["messages"] == 120
    assert history.verify_folder(result.folder) == []


def test_report_on_an_empty_warehouse_and_a_missing_policy(data_layout, tmp_path):
    result = build(data_layout, AS_OF, tmp_path / "no-such-policy.yaml")
    text = _text(result.html.read_text(encoding="utf-8"))
    assert "cannot be read (FileNotFoundError)" in text
    assert "0 messages in 0 chats" in text
    assert result.counts["messages"] == 0


def test_a_second_run_the_same_day_replaces_the_report(seeded):
    layout, policy = seeded
    first = build(layout, AS_OF, policy)
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("DELETE FROM messages WHERE chat_id = ?", [chat_id(CHATS[2])])
    second = build(layout, AS_OF, policy)
    assert first.folder == second.folder
    assert second.counts["messages"] == 80
    assert [p.name for p in layout.reports.iterdir() if p.is_dir()] == ["2026-11-24"]
    assert history.verify_folder(second.folder) == []


def test_manifest_verification_detects_changed_missing_and_extra_files(seeded):
    layout, policy = seeded
    folder = build(layout, AS_OF, policy).folder
    (folder / "deletion_list.csv").write_text("message_id\n")
    (folder / "findings_summary.csv").unlink()
    (folder / "extra.txt").write_text("x")
    problems = history.verify_folder(folder)
    assert problems == ["deletion_list.csv: sha256 differs from the manifest", "findings_summary.csv: missing",
                        "extra.txt: not in the manifest"]
    (folder / "manifest.json").unlink()
    assert history.verify_folder(folder) == ["manifest.json missing or unreadable"]


def test_index_lists_every_dated_report_newest_first_with_its_verification(seeded):
    layout, policy = seeded
    build(layout, AS_OF - timedelta(days=1), policy)
    build(layout, AS_OF, policy)
    index = (layout.reports / "index.html").read_text(encoding="utf-8")
    assert index.index("2026-11-24") < index.index("2026-11-23")
    assert 'href="2026-11-23/report.html"' in index and 'href="2026-11-24/deletion_list.csv"' in index
    # the night re-hashes only its own folder; the others are listed with their manifest
    assert index.count("manifest verified") == 1 and index.count("manifest.json present") == 1
    (layout.reports / "2026-11-23" / "report.html").write_text("tampered")
    write_index(layout.reports)   # a full check
    index = (layout.reports / "index.html").read_text(encoding="utf-8")
    assert index.count("manifest verified") == 1 and "report.html: sha256 differs" in index


def test_report_retention_prunes_old_dated_folders(seeded):
    layout, policy = seeded
    old = layout.reports / "2025-11-01"
    kept = layout.reports / (AS_OF - timedelta(days=30)).isoformat()
    for folder in (old, kept):
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("old")
    not_a_report = layout.reports / "screenshots"
    not_a_report.mkdir()
    result = build(layout, AS_OF, policy, keep_days=60)
    assert result.pruned == ["2025-11-01"]
    assert not old.exists() and kept.exists() and not_a_report.exists()
    assert build(layout, AS_OF, policy, keep_days=365).pruned == []
    assert kept.exists()


@pytest.mark.parametrize("value", ["abc", "-1", "1.5"])
def test_report_retention_setting_must_be_whole_nonnegative_days(seeded, monkeypatch, value):
    """The entry point reads the setting: a bad value is refused before any report is written."""
    layout, policy = seeded
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    monkeypatch.setenv("O3_REPORT_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match="O3_REPORT_RETENTION_DAYS"):
        cmd_report(argparse.Namespace(as_of=AS_OF, activity=None))
    assert not (layout.reports / AS_OF.isoformat()).exists()


def test_build_report_refuses_negative_keep_days(seeded):
    layout, policy = seeded
    with pytest.raises(ValueError, match="keep_days"):
        build(layout, AS_OF, policy, keep_days=-1)
    assert not (layout.reports / AS_OF.isoformat()).exists()


def test_report_writes_an_audit_event_with_counts_only(seeded):
    layout, policy = seeded
    result = build(layout, AS_OF, policy, run_id="run-1")
    with warehouse.open_warehouse(layout.warehouse) as con:
        event, details, run_id = con.execute(
            "SELECT event, details, run_id FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        assert audit.verify(con).ok
    assert (event, run_id) == ("report_written", "run-1")
    assert json.loads(details) == {"report_date": "2026-11-24", "files": 8, "manifest_sha256": result.manifest_sha256,
                                   "reports_pruned": 0}


@pytest.mark.parametrize("reason, expected", [
    ("zip is truncated or corrupt", "zip is truncated or corrupt"),
    ('line 3 "Jan: hoi" has no header', "line 3 […] has no header"),
    ("contact jan@example.be failed", "contact [e-mail] failed"),
    ("number +32 471 55 66 77 seen", "number [number] seen"),
    ("two\nlines", "two"),
    ("policy.yaml: line 2: a rule needs 'action'", "policy.yaml: line 2: a rule needs 'action'"),
    (None, ""),
])
def test_quarantine_reasons_are_masked(reason, expected):
    assert safe_reason(reason) == expected


def test_chart_labels_are_escaped():
    svg = str(charts.hbar_chart([("<script>x</script>", 3)], "t & <b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "t &amp; &lt;b&gt;" in svg
    assert ">no data</text>" in str(charts.column_chart([], "empty"))


def test_restricted_messages_are_left_out_of_the_counts(seeded):
    """Art. 18: restricted data may only be stored; the rights domain lists it in restricted_message_ids."""
    layout, policy = seeded
    with warehouse.open_warehouse(layout.warehouse) as con:
        hidden = [r[0] for r in con.execute("SELECT message_id FROM messages WHERE chat_id = ? ORDER BY message_id "
                                            "LIMIT 6", [chat_id(CHATS[0])]).fetchall()]
        hidden_findings = con.execute("SELECT count(*) FROM findings WHERE message_id IN (SELECT unnest(?))",
                                      [hidden]).fetchone()[0]
    restrict(layout, hidden)
    result = build(layout, AS_OF, policy)
    assert result.counts["messages"] == 114
    assert result.counts["findings"] == 180 - hidden_findings and hidden_findings > 0
    text = _text(result.html.read_text(encoding="utf-8"))
    assert "6 messages under a restriction of processing (GDPR Art. 18)" in text
    per_chat = _csv(result.folder / "messages_per_chat_month.csv")
    assert sum(int(r["messages"]) for r in per_chat if r["chat_id"] == chat_id(CHATS[0])) == 34


def test_deletion_list_csv_cells_cannot_become_formulas(data_layout, tmp_path):
    seed(data_layout, full=False)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        decide.ensure_schema(con)
        con.execute("INSERT INTO deletion_lists (list_id, list_hash, created_at, as_of, status, item_count, delete_count, "
                    "anonymise_count, chat_count) VALUES ('L1', 'h', ?, ?, 'awaiting_approval', 2, 1, 0, 1)", [NOW, AS_OF])
        con.execute("INSERT INTO deletion_list_items (list_id, message_id, rule, action, retain_until) VALUES "
                    "('L1', 'a1', '=HYPERLINK(\"x\")', 'delete', DATE '2026-01-02'), "
                    "('L1', 'b2', 'default', '@delete', DATE '2026-01-01')")
    folder = build(data_layout, AS_OF, write_policy(tmp_path)).folder
    rows = _csv(folder / "deletion_list.csv")
    assert rows == [{"message_id": "b2", "rule": "default", "action": "'@delete", "retain_until": "2026-01-01"},
                    {"message_id": "a1", "rule": "'=HYPERLINK(\"x\")", "action": "delete", "retain_until": "2026-01-02"}]


def test_verify_reports_command(seeded, capsys):
    layout, policy = seeded
    args = argparse.Namespace(reports_dir=None)
    assert cmd_verify(args) == 0 and "no report found" in capsys.readouterr().out
    folder = build(layout, AS_OF, policy).folder
    assert cmd_verify(args) == 0 and "2026-11-24: ok" in capsys.readouterr().out
    (folder / "summary.json").write_text("{}")
    assert cmd_verify(args) == 1
    assert "summary.json: sha256 differs from the manifest" in capsys.readouterr().out


def test_report_command_prints_counts_and_the_path(seeded, monkeypatch, capsys):
    layout, policy = seeded
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    assert cmd_report(argparse.Namespace(as_of=AS_OF, activity=None)) == 0
    out = capsys.readouterr().out
    assert "messages: 120" in out and f"report: {layout.reports / '2026-11-24' / 'report.html'}" in out


def test_as_of_far_in_the_future_leaves_real_reports_alone(seeded):
    """Pruning follows the clock (``now``), not the as-of date: O3_AS_OF=2100-01-01 writes that
    day's folder and removes nothing that is young by the real date."""
    layout, policy = seeded
    real = layout.reports / (NOW.date() - timedelta(days=30)).isoformat()
    ancient = layout.reports / (NOW.date() - timedelta(days=400)).isoformat()
    for folder in (real, ancient):
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("old")
    result = build(layout, date(2100, 1, 1), policy, keep_days=365)
    assert (layout.reports / "2100-01-01" / "report.html").exists()
    assert real.exists()
    assert result.pruned == [ancient.name] and not ancient.exists()


def test_a_report_dated_in_the_past_is_not_pruned_at_once(seeded):
    layout, policy = seeded
    result = build(layout, date(2020, 1, 1), policy, keep_days=30)
    assert result.pruned == [] and (layout.reports / "2020-01-01" / "report.html").exists()


def test_build_report_does_not_read_the_clock(seeded):
    layout, policy = seeded
    with pytest.raises(TypeError, match="now"):
        build_report(layout, AS_OF, policy, keep_days=365, raw_retention_days=0, approval_warn_days=7)


def test_leftovers_of_a_crashed_run_are_cleaned_by_the_clock_passed_in(tmp_path):
    import os

    reports = tmp_path / "reports"
    old, young = reports / ".building-2026-11-23-1-aa", reports / ".old-2026-11-24-1-bb"
    for folder in (old, young):
        folder.mkdir(parents=True)
    os.utime(old, (NOW.timestamp() - 7200, NOW.timestamp() - 7200))
    os.utime(young, (NOW.timestamp() - 60, NOW.timestamp() - 60))
    history.clean_leftovers(reports, NOW)
    assert not old.exists() and young.exists()
    history.clean_leftovers(reports, NOW + timedelta(hours=2))
    assert not young.exists()


def test_report_counts_salvaged_records_content_matches_and_media_never_captured(seeded):
    layout, policy = seeded
    with warehouse.open_warehouse(layout.warehouse) as con:
        archive = con.execute("SELECT archive_id FROM archives WHERE status = 'ingested' LIMIT 1").fetchone()[0]
        con.execute("UPDATE archives SET status = 'partial', counts = ? WHERE archive_id = ?",
                    [json.dumps({"media_not_captured": 4, "media_not_captured_expired": 3}), archive])
        con.executemany("INSERT INTO archive_rejects VALUES (?, 1, ?, 'malformed JSON')", [[archive, 7], [archive, 9]])
        con.execute("INSERT INTO archive_chats VALUES (?, 1, 1, 'c1', 'content', 10, 0)", [archive])
    text = _text(build(layout, AS_OF, policy).html.read_text(encoding="utf-8"))
    assert "1 partial" in text
    assert "kept aside (their archive is partial): 2 in 1 archives" in text
    assert "Chats matched by content (renamed or re-localised re-exports): 1" in text
    assert "never captured: 4, of which 3 older than 7 days" in text


def test_a_second_night_reuses_the_compiled_templates_and_renders_the_same(seeded, monkeypatch):
    """Compiling report.html.j2 is about 0.1 s of every night: the compiled templates are kept under
    tmp/ and the next night's report (a new process) does not compile them again."""
    import jinja2

    from o3_governance.reporting import build as build_module

    layout, policy = seeded
    build(layout, AS_OF, policy)
    # report.html.j2, the stylesheet it includes and index.html.j2
    assert sorted(p.suffix for p in (layout.work / build_module.TEMPLATE_CACHE).iterdir()) == [".jinja"] * 3
    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    second = build(layout, AS_OF, policy)
    assert compiled == []
    assert history.verify_folder(second.folder) == []
    context = {"entries": history.index_entries(layout.reports, True), "prefix": "", "title": "t",
               "certificates": history.certificate_files(layout.reports)}
    cached = build_module.environment(layout.work / build_module.TEMPLATE_CACHE).get_template("index.html.j2")
    monkeypatch.undo()
    assert cached.render(**context) == build_module.environment().get_template("index.html.j2").render(**context)


def test_compiled_templates_are_not_reused_when_a_compile_option_changes(tmp_path, monkeypatch):
    """Jinja checks the template's source and versions; the cache key adds the environment's options, so
    that code changing one (trim_blocks, a delimiter, finalize …) never renders with old bytecode."""
    from o3_governance.reporting import build as build_module

    build_module.environment(tmp_path).get_template("index.html.j2")
    assert len(list(tmp_path.iterdir())) == 1
    original = build_module.environment

    def untrimmed(cache_dir=None):
        env = original(None)
        env.trim_blocks = False
        if cache_dir is not None:
            env.bytecode_cache = build_module._TemplateCache(cache_dir, build_module._compile_options(env))
        return env

    untrimmed(tmp_path).get_template("index.html.j2")
    assert len(list(tmp_path.iterdir())) == 2
    build_module.environment(tmp_path).get_template("index.html.j2")
    assert len(list(tmp_path.iterdir())) == 2
