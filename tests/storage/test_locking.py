"""The warehouse writer lock: one writer at a time across processes, re-entrant within one, released
by the kernel when its holder is killed, and bounded waits that end in one line."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from o3_governance.cli import launcher
from o3_governance.storage import locking, warehouse
from o3_governance.cli import main

HOLD = """
import sys, time
from o3_governance.storage import locking
with locking.{kind}(sys.argv[1], wait_seconds=30):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def holder(path, seconds=30.0, kind="writer_lock"):
    child = subprocess.Popen([sys.executable, "-c", HOLD.format(kind=kind), str(path), str(seconds)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_process_waits_then_fails_in_one_line_naming_the_holder(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    child = holder(db)
    try:
        start = time.monotonic()
        with pytest.raises(locking.WarehouseBusy) as err:
            with locking.writer_lock(db, wait_seconds=0.5):
                pass
        assert time.monotonic() - start >= 0.5
        assert str(err.value) == f"the warehouse is being written by another process (pid {child.pid}); waited 0 s" \
            or str(err.value) == f"the warehouse is being written by another process (pid {child.pid}); waited 1 s"
    finally:
        child.kill()
        child.wait()


def test_the_lock_is_reentrant_within_a_process_and_released_at_the_end(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with locking.writer_lock(db, wait_seconds=0):
        with locking.writer_lock(db, wait_seconds=0):
            with locking.reader_lock(db, wait_seconds=0):
                assert locking.holds_writer_lock(db)
        assert locking.holds_writer_lock(db) and locking.holder_pid(db) == os.getpid()
    assert not locking.holds_writer_lock(db) and locking.holder_pid(db) is None
    child = holder(db, seconds=0)  # another process gets it at once
    child.wait()


def test_kill_9_of_the_holder_frees_the_lock(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    child = holder(db)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    with locking.writer_lock(db, wait_seconds=5):
        assert locking.holds_writer_lock(db)


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    child = holder(db, seconds=1.0)
    with locking.writer_lock(db, wait_seconds=30):
        assert child.poll() is not None or True
    child.wait()


def test_a_reader_says_it_waits_then_gives_up_in_one_line(tmp_path, capsys):
    db = tmp_path / "warehouse.duckdb"
    with warehouse.open_warehouse(db):
        pass
    child = holder(db)
    try:
        with pytest.raises(locking.WarehouseBusy) as err:
            with warehouse.open_warehouse(db, read_only=True, wait_seconds=0.5):
                pass
    finally:
        child.kill()
        child.wait()
    assert "gave up" in str(err.value) and f"pid {child.pid}" in str(err.value)
    assert capsys.readouterr().err.strip().splitlines() == ["the nightly run is writing; waiting up to 0.5 s"]


def test_readers_keep_writers_from_duckdbs_own_lock(tmp_path):
    """A writer waits for a reader's shared lock instead of meeting DuckDB's file lock."""
    db = tmp_path / "warehouse.duckdb"
    with warehouse.open_warehouse(db):
        pass
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom o3_governance.storage import warehouse\n"
        "with warehouse.open_warehouse(sys.argv[1], read_only=True):\n"
        "    print('held', flush=True); time.sleep(1.0)"), str(db)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip() == "held"
    with warehouse.open_warehouse(db) as con:  # waits for the reader, then writes
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    reader.wait()


def test_a_duckdb_lock_error_is_one_line_without_duckdbs_text(tmp_path):
    """A process that opened the file outside the lock (not ours): the reader sees our line only."""
    db = tmp_path / "warehouse.duckdb"
    other = subprocess.Popen([sys.executable, "-c", (
        "import sys, time, duckdb\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(30)"),
        str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        with pytest.raises(warehouse.WarehouseUnavailable) as err:
            warehouse.connect(db, read_only=True)
    finally:
        other.kill()
        other.wait()
    text = str(err.value)
    assert "\n" not in text and "IO Error" not in text and str(db) not in text and "in use by another process" in text


def test_no_warehouse_yet_is_one_line(tmp_path):
    with pytest.raises(warehouse.WarehouseUnavailable) as err:
        warehouse.connect(tmp_path / "missing.duckdb", read_only=True)
    assert "no warehouse yet" in str(err.value) and "missing.duckdb" not in str(err.value)


def test_compaction_holds_the_lock_from_copy_to_swap(tmp_path, monkeypatch):
    db = tmp_path / "warehouse.duckdb"
    with warehouse.open_warehouse(db) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    seen = []
    real = warehouse._compact
    monkeypatch.setattr(warehouse, "_compact", lambda path: seen.append(locking.holds_writer_lock(db)) or real(path))
    warehouse.compact(db)
    assert seen == [True] and not locking.holds_writer_lock(db)


def test_the_cli_answers_a_busy_warehouse_in_one_line(data_layout, monkeypatch, capsys):
    with warehouse.open_warehouse(data_layout.warehouse):
        pass
    monkeypatch.setenv("O3_READ_WAIT_SECONDS", "0.3")
    child = holder(data_layout.warehouse)
    try:
        code = main(["deletion-list"])
    finally:
        child.kill()
        child.wait()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[0] == "the nightly run is writing; waiting up to 0.3 s"
    assert len(err) == 2 and err[1].startswith("o3-governance deletion-list: the warehouse is being written by "
                                               f"another process (pid {child.pid}); gave up after")


def test_a_run_left_started_by_a_dead_process_is_marked_failed(dagster_home):
    import dagster as dg

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    @dg.op
    def noop():
        return 1

    @dg.job
    def tiny():
        noop()

    with dg.DagsterInstance.get() as instance:
        def started(tags):
            run = instance.create_run_for_job(tiny, tags=tags)
            instance.handle_run_event(run.run_id, dg.DagsterEvent(
                event_type_value=dg.DagsterEventType.RUN_START.value, job_name="tiny"))
            return run.run_id
        gone = started({launcher.PID_TAG: str(dead.pid), launcher.HOST_TAG: launcher.run_tags()[launcher.HOST_TAG]})
        alive = started(launcher.run_tags())
        untagged = started({})
        assert instance.get_run_by_id(gone).status == dg.DagsterRunStatus.STARTED
        assert launcher.fail_abandoned_runs(instance) == [gone]
        assert instance.get_run_by_id(gone).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(untagged).status == dg.DagsterRunStatus.STARTED


def test_project_instance_has_no_op_pools_and_monitors_runs():
    """A killed in-process run must hold nothing in the instance: mutual exclusion is the file lock."""
    import yaml

    root = Path(__file__).parents[2]
    conf = yaml.safe_load((root / "dagster_home" / "dagster.yaml").read_text())
    assert "pools" not in conf.get("concurrency", {})
    assert conf["run_monitoring"]["enabled"] is True
    assert not [p.name for p in (root / "o3_governance" / "defs").glob("*.py") if "pool=" in p.read_text()]
