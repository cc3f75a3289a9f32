"""One launcher for "run this job on the instance, in this process": the writer lock is held for the
whole run, and runs a killed process left behind are failed first so nothing blocks the next one."""
from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.storage.locking import writer_lock

PID_TAG, HOST_TAG = "o3/pid", "o3/host"


def run_tags() -> dict[str, str]:
    """Tags that let a later process tell whether the process executing a run is still alive."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def fail_abandoned_runs(instance) -> list[str]:
    """Marks as failed the runs a killed CLI process left STARTING/STARTED on ``instance`` and frees
    any concurrency slots they hold. Only runs tagged with a pid on this host are judged; the daemon's
    run monitoring (dagster.yaml) looks after runs it launched. Returns the run ids marked."""
    marked: list[str] = []
    host = socket.gethostname()
    runs = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTING, DagsterRunStatus.STARTED,
                                                          DagsterRunStatus.CANCELING]))
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if run.tags.get(HOST_TAG) != host or not pid.isdigit():
            continue
        if int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, message="the process running this run ended without finishing it")
        marked.append(run.run_id)
    for run_id in marked:
        free = getattr(instance.event_log_storage, "free_concurrency_slots_for_run", None)
        if free is not None:
            try:
                free(run_id)
            except NotImplementedError:  # instance storage without concurrency slots: nothing is held
                pass
    return marked


def fail_abandoned_runs_on_home() -> list[str]:
    """:func:`fail_abandoned_runs` on the instance in DAGSTER_HOME (for commands that run no job)."""
    config.dagster_home()
    with DagsterInstance.get() as instance:
        return fail_abandoned_runs(instance)


def execute_exclusively(job_name: str, target, **kwargs):
    """Executes the job ``job_name`` of the project's definitions (so its resources are bound) in this
    process on the instance in DAGSTER_HOME while holding the writer lock of ``target``'s data folder,
    after failing runs a killed process left behind. ``kwargs`` go to ``execute_in_process``; the run
    is tagged with this process's pid and says it came from the command line."""
    from o3_governance.definitions import defs  # loads every definition: only when a job is launched

    config.dagster_home()
    tags = {"o3/trigger": "cli", **(kwargs.pop("tags", None) or {}), **run_tags()}
    with writer_lock(target, settings.load().lock_wait_seconds):
        with DagsterInstance.get() as instance:
            fail_abandoned_runs(instance)
            return defs.resolve_job_def(job_name).execute_in_process(instance=instance, tags=tags, **kwargs)
