"""`make run` is `o3-governance run --seed-demo`: seeds an empty inbox, runs the nightly job, says where the report is."""
from o3_governance import cli


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
    from o3_governance import ingest_cli

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
