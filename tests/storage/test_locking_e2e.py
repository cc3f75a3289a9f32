"""Real processes against one data folder: kill -9 at three points never blocks the next run, readers
never fail a night nor see DuckDB's text, and a second writer loses no row, compaction included.

Each command runs as its own process on a temp O3_DATA_DIR and a temp DAGSTER_HOME holding the
project's dagster.yaml (the run queue's settings included)."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from o3_governance.storage import audit, lake, warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.demo import write_demo_inbox

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
CHILD = Path(__file__).parent.parent / "support" / "crash_child.py"
BOUND = 180  # seconds: the recovery must finish, never hang
AS_OF = "2027-06-01"
APPENDER = """
import sys, time
from datetime import datetime, timezone
from pathlib import Path
from o3_governance.storage import audit, warehouse
db, stop, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
n = int(out.read_text()) if out.exists() else 0
while not stop.exists():
    with warehouse.open_warehouse(db) as con:
        audit.append(con, "test.second_writer", {"n": n}, ts=datetime.now(timezone.utc))
    n += 1
    out.write_text(str(n))
    time.sleep(0.02)
"""


@pytest.fixture
def env(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    layout = DataLayout(tmp_path / "data").ensure()
    write_demo_inbox(layout.inbox)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("O3_")}
    environ.update(O3_DATA_DIR=str(layout.root), DAGSTER_HOME=str(home), O3_AS_OF=AS_OF,
                   O3_READ_WAIT_SECONDS="2", PYTHONPATH=str(ROOT))
    return layout, environ


def cli(environ, *args, crash_at="none", timeout=BOUND):
    return subprocess.run([sys.executable, str(CHILD), crash_at, *args], env=environ, capture_output=True,
                          text=True, timeout=timeout)


def popen(environ, *args, crash_at="none"):
    return subprocess.Popen([sys.executable, str(CHILD), crash_at, *args], env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def killed(proc):
    assert proc.returncode == -9, (proc.returncode, proc.stderr[-2000:] if proc.stderr else "")


def assert_consistent(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        messages = con.execute("SELECT count(*) FROM messages").fetchall()[0][0]
        assert lake.lake_row_count(con, layout.lake_messages) == messages
        assert audit.verify(con).ok
    return messages


def current_list(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT list_id, item_count FROM deletion_lists WHERE status = 'awaiting_approval' "
                           "ORDER BY created_at DESC LIMIT 1").fetchall()
    assert rows and rows[0][1] > 0, "the demo night lists messages to delete"
    return rows[0][0]


def runs_left_started(environ):
    out = subprocess.run([sys.executable, "-c", (
        "import dagster as dg\n"
        "with dg.DagsterInstance.get() as i:\n"
        "    print(len(i.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, "
        "dg.DagsterRunStatus.STARTING]))))")], env=environ, capture_output=True, text=True, timeout=BOUND)
    return int(out.stdout.strip())


def no_raw_error(text):
    lowered = text.lower().replace("warehouse.duckdb", "")   # the file's name may be said; DuckDB's own words not
    assert "io error" not in lowered and "duckdb" not in lowered and "traceback" not in lowered, text[-500:]
    assert "conflicting lock" not in lowered


def test_kill_9_during_the_nightly_scan_then_the_next_run_completes(env):
    layout, environ = env
    killed(cli(environ, "run", crash_at="o3_governance.scanning.store.scan_warehouse"))
    assert runs_left_started(environ) == 1
    done = cli(environ, "run")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "succeeded" in done.stdout
    assert runs_left_started(environ) == 0  # the killed run is marked failed, not left running
    assert assert_consistent(layout) > 0


def test_kill_9_during_an_approvals_compaction_then_resume_and_approve_again(env):
    layout, environ = env
    assert cli(environ, "run").returncode == 0
    list_id = current_list(layout)
    approve = ("approve-deletions", "--list-id", list_id, "--approved-by", "DPO")
    killed(cli(environ, *approve, crash_at="o3_governance.storage.warehouse._compact"))
    resumed = cli(environ, "resume-purges")
    assert resumed.returncode == 0 and "finished 1 interrupted purge" in resumed.stdout, resumed.stderr[-2000:]
    again = cli(environ, *approve)
    assert again.returncode == 0, again.stderr[-2000:]
    assert runs_left_started(environ) == 0
    assert_consistent(layout)


def test_kill_9_during_an_approvals_warehouse_step_then_approve_again(env):
    layout, environ = env
    assert cli(environ, "run").returncode == 0
    list_id = current_list(layout)
    approve = ("approve-deletions", "--list-id", list_id, "--approved-by", "DPO")
    killed(cli(environ, *approve, crash_at="o3_governance.purge.steps._update_messages"))
    again = cli(environ, *approve)
    assert again.returncode == 0, again.stderr[-2000:]
    assert runs_left_started(environ) == 0
    nightly = cli(environ, "run")
    assert nightly.returncode == 0, nightly.stderr[-2000:]
    assert_consistent(layout)


def reader_loop(environ, proc, command):
    answers = []
    while proc.poll() is None:
        r = cli(environ, *command)
        answers.append(r)
    return answers


def check_readers(answers):
    assert answers, "the readers ran while the writer did"
    for r in answers:
        no_raw_error(r.stdout + r.stderr)
        if r.returncode != 0:
            lines = r.stderr.strip().splitlines()
            if len(lines) == 1 and "no warehouse at" in lines[0]:   # asked before the first night made one
                continue
            assert r.returncode == 1 and lines[0].startswith("the nightly run is writing; waiting up to")
            assert len(lines) == 2 and "gave up after" in lines[1], lines


def test_readers_during_a_night_and_an_approval_never_fail_it_nor_see_duckdb(env):
    layout, environ = env
    first = popen(environ, "run")
    answers = reader_loop(environ, first, ("deletion-list",))
    out, err = first.communicate()
    assert first.returncode == 0, err[-2000:]
    check_readers(answers)
    list_id = current_list(layout)
    approval = popen(environ, "approve-deletions", "--list-id", list_id, "--approved-by", "DPO")
    answers = reader_loop(environ, approval, ("deletion-list",))
    out, err = approval.communicate()
    assert approval.returncode == 0, err[-2000:]
    check_readers(answers)


def test_a_second_writer_during_a_night_and_a_compacting_approval_loses_no_row(env, tmp_path):
    layout, environ = env
    stop, count = tmp_path / "stop", tmp_path / "count"

    def with_second_writer(*command):
        writer = subprocess.Popen([sys.executable, "-c", APPENDER, str(layout.warehouse), str(stop), str(count)],
                                  env=environ, stderr=subprocess.PIPE, text=True)
        try:
            while not count.exists():  # the second writer is writing before the first one starts
                time.sleep(0.05)
            result = cli(environ, *command)
        finally:
            stop.write_text("")
            _, err = writer.communicate(timeout=BOUND)
            stop.unlink()
        assert writer.returncode == 0, err[-2000:]
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    with_second_writer("run")
    list_id = current_list(layout)
    with_second_writer("approve-deletions", "--list-id", list_id, "--approved-by", "DPO")
    appended = int(count.read_text())
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM audit_log WHERE event = 'test.second_writer'").fetchall()[0][0]
    assert stored == appended > 0
    assert_consistent(layout)
