"""`make run` is `o3-governance run --seed-demo`: seeds an empty inbox, runs the nightly job, says where the report is."""
import pytest

from o3_governance import cli


@pytest.mark.e2e  # the whole nightly job on the instance
def test_run_seeds_demo_archives_and_prints_the_report_path(data_layout, dagster_home, monkeypatch, capsys):
    home = dagster_home
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    assert cli.main(["run", "--seed-demo"]) == 0
    out = capsys.readouterr().out
    assert "seeded the empty inbox with 5 demo archives" in out and "succeeded" in out
    report = data_layout.reports / "2026-11-24" / "report.html"
    assert report.exists() and str(report) in out
    assert list(home.glob("history/runs/*")) or list(home.glob("storage/*")), "the run is on the instance"


def test_run_does_not_seed_a_data_folder_already_in_use(data_layout, tmp_path, monkeypatch, capsys):
    from o3_governance.cli import ingest as ingest_cli

    data_layout.warehouse.write_bytes(b"")  # a warehouse exists: this is not a fresh machine
    seeded = []
    monkeypatch.setattr("o3_governance.demo.write_demo_inbox", lambda inbox: seeded.append(inbox) or [])

    class Done(Exception):
        pass

    def stop(*a, **k):
        raise Done

    monkeypatch.setattr("dagster.DagsterInstance.get", stop)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    try:
        ingest_cli.run_nightly(seed_demo=True)
    except Done:
        pass
    assert seeded == []


@pytest.mark.e2e  # the whole nightly job on the instance
def test_a_failed_run_prints_no_stale_counts_or_report(data_layout, dagster_home, monkeypatch, capsys, tmp_path):
    """Last night's figures and report are on disk; tonight's run fails (a refused policy): the
    output names this run, its failed step and the one-line reason, and nothing of last night."""
    from datetime import datetime, timezone

    from o3_governance import ingest

    # Last night's messages, ingested (lake and warehouse agree: ingest's blocking checks pass).
    (data_layout.inbox / "WhatsApp Chat with Werf.txt").write_text(
        "".join(f"01/01/2020, 09:0{i} - Ann Peeters: Gewone boodschap over de planning\n" for i in range(7)),
        encoding="utf-8")
    ingest.ingest_inbox(data_layout, now=datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc))
    stale = data_layout.reports / "2026-11-23"
    stale.mkdir(parents=True)
    (stale / "report.html").write_text("last night")
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text("rules:\n  - name: default\n    retain_days: -5\n    action: delete\n")
    monkeypatch.setenv("O3_POLICY_FILE", str(bad))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    assert cli.main(["run"]) == 1
    captured = capsys.readouterr()
    out, err = captured.out, captured.err
    assert "FAILED" in out and "failed: retention" in out
    assert str(stale) not in out + err and "report" not in out
    assert "messages: 7" not in out and "new_messages_this_run 0" in out
    (reason,) = [line for line in err.splitlines() if line.startswith("o3-governance run: failed:")]
    assert "retain_days" in reason and "Gewone" not in reason


def test_run_refuses_a_missing_default_data_folder(tmp_path, monkeypatch, capsys):
    """Run from another folder without O3_DATA_DIR: one line naming the path; nothing is created."""
    monkeypatch.delenv("O3_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(tmp_path / "data") in err
    assert not (tmp_path / "data").exists() and not (tmp_path / "home").exists()
