"""The whole nightly job on the demo archives, through Dagster, as the schedule and `make run` run it."""
import dagster as dg
import pytest

from support.dagster_resources import resources
from o3_governance.cli import context as config
from o3_governance.storage import warehouse
from o3_governance.definitions import defs
from o3_governance.demo import write_demo_inbox

TABLES = ("archives", "messages", "findings", "retention", "deletion_list")


def snapshot(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        out = {}
        for t in TABLES:
            if warehouse.table_exists(con, t):
                out[t] = con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        return out


@pytest.fixture(scope="module")
def nightly_twice(tmp_path_factory):
    root = tmp_path_factory.mktemp("nightly")
    mp = pytest.MonkeyPatch()
    mp.setenv("O3_DATA_DIR", str(root / "data"))
    mp.setenv("O3_AS_OF", "2026-11-24")
    layout = config.layout().ensure()
    written = write_demo_inbox(layout.inbox)
    job = defs.resolve_job_def("nightly_governance")
    dagster_home = root / "dagster_home"
    dagster_home.mkdir()
    with dg.DagsterInstance.local_temp(str(dagster_home)) as instance:
        first = job.execute_in_process(instance=instance, resources=resources())
        after_first = snapshot(layout)
        second = job.execute_in_process(instance=instance, resources=resources())
        after_second = snapshot(layout)
    yield layout, written, first, second, after_first, after_second, dagster_home
    mp.undo()


@pytest.mark.e2e
def test_nightly_job_ingests_every_demo_archive(nightly_twice):
    layout, written, first, _, after_first, _, _ = nightly_twice
    assert first.success
    statuses = [row[3] for row in after_first["archives"]]
    assert len(statuses) == len(written) and set(statuses) == {"ingested"}
    assert len(after_first["messages"]) > 1000
    assert not list(layout.inbox.iterdir())


@pytest.mark.e2e
def test_running_twice_changes_nothing(nightly_twice):
    _, _, first, second, after_first, after_second, _ = nightly_twice
    assert first.success and second.success
    for table in ("archives", "messages", "findings"):
        if table in after_first:
            assert after_first[table] == after_second[table], table


@pytest.mark.e2e
def test_checks_pass_on_the_demo_night(nightly_twice):
    _, _, first, *_ = nightly_twice
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in first.get_asset_check_evaluations()
              if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR]
    assert failed == []


@pytest.mark.e2e
def test_no_personal_data_in_the_orchestrators_records(nightly_twice):
    """Event logs, run storage and compute logs of the runs hold no name, number or planted text."""
    from o3_governance.demo import PLANTED

    dagster_home = nightly_twice[-1]
    needles = [s.encode() for s in PLANTED.strings() if len(s) >= 5]
    files = [f for f in dagster_home.rglob("*") if f.is_file()]
    assert files
    leaks = [f.name for f in files for n in needles if n in f.read_bytes()]
    assert leaks == []


def test_job_graph_and_schedule():
    job = defs.resolve_job_def("nightly_governance")
    keys = {k.to_user_string() for k in job.asset_layer.asset_graph.get_all_asset_keys()}
    assert {"archives", "messages"} <= keys
    schedule = defs.resolve_schedule_def("nightly_governance_schedule")
    assert schedule.cron_schedule == "0 2 * * *" and schedule.execution_timezone == "Europe/Brussels"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_inbox_sensor_fires_once_per_new_file(data_layout):
    from o3_governance.defs.resources import GovernanceResource

    resources = {"governance": GovernanceResource(data_dir=str(data_layout.root))}
    sensor = defs.resolve_sensor_def("inbox_sensor")
    ctx = dg.build_sensor_context(cursor=None, resources=resources)
    assert isinstance(sensor.evaluate_tick(ctx).skip_message, str)
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt").write_text("12/03/2024, 09:01 - A: b\n")
    ctx = dg.build_sensor_context(cursor=None, resources=resources)
    result = sensor.evaluate_tick(ctx)
    assert len(result.run_requests) == 1 and "Werf" not in (result.cursor or "")
    again = sensor.evaluate_tick(dg.build_sensor_context(cursor=result.cursor, resources=resources))
    assert not again.run_requests


NIGHT_IN_A_FRESH_PROCESS = """
import sys
import dagster as dg
from o3_governance.definitions import defs

with dg.DagsterInstance.from_config(sys.argv[1]) as instance:
    result = defs.resolve_job_def("nightly_governance").execute_in_process(instance=instance)
print("SUCCESS" if result.success else "FAILED")
print("LOADED:" + ",".join(m for m in NOT_LOADED if m in sys.modules))
"""
# What a night with nothing new must not import (issue 16): the scan engine, pandas, pyarrow and numpy
# (no table built from Python, nothing due read as Arrow), the extractors of attachments (Pillow,
# OpenCV) when no file is due, the report server (its address is known without it).
NOT_LOADED = ("pandas", "pyarrow", "numpy", "o3_governance.scanning.engine", "spacy", "presidio_analyzer",
              "o3_governance.attachments.extract", "cv2", "PIL", "o3_governance.reporting.server", "uvicorn",
              "starlette")


@pytest.mark.e2e
def test_a_night_with_nothing_new_loads_neither_the_engine_nor_pandas(nightly_twice):
    """Issue 16: a no-op night's process pays no scanner start-up (spaCy, Presidio) and does not import
    pandas (pyarrow's constructors do on first use; DuckDB builds the few tables such a night registers),
    the attachment extractors (no file due) or the report server.
    Its work is still done: retention decided for the night's date, the report written, the scan audited."""
    import os
    import subprocess
    import sys

    layout, _, _, _, _, after_second, dagster_home = nightly_twice
    env = {**os.environ, "O3_DATA_DIR": str(layout.root), "O3_AS_OF": "2026-11-25", "DAGSTER_HOME": str(dagster_home)}
    out = subprocess.run([sys.executable, "-c", f"NOT_LOADED = {NOT_LOADED!r}\n" + NIGHT_IN_A_FRESH_PROCESS,
                          str(dagster_home)], env=env,
                         capture_output=True, text=True, timeout=600)
    lines = out.stdout.strip().splitlines()
    assert lines[-2:] == ["SUCCESS", "LOADED:"], out.stderr[-3000:]
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT DISTINCT as_of FROM retention").fetchall()[0][0].isoformat() == "2026-11-25"
        assert con.execute("SELECT count(*) FROM audit_log WHERE event = 'scan'").fetchone()[0] == 3
    assert (layout.reports / "2026-11-25").is_dir()
    assert snapshot(layout)["messages"] == after_second["messages"]
