"""The orchestrator's own records: Dagster runs, their event logs and captured compute logs are
purged after ``O3_RUN_HISTORY_DAYS`` (default 90) by the job ``purge_orchestrator_history``. Runs
still queued or running are left alone."""
from datetime import datetime, timedelta, timezone

import dagster as dg
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from o3_governance.defs.resources import GovernanceResource

DEFAULT_RUN_HISTORY_DAYS = 90
FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def purge_run_history(instance: DagsterInstance, older_than_days: int, *, now: datetime,
                      keep_run_id: str | None = None, batch: int = 500) -> int:
    """Delete finished runs created before ``now`` − ``older_than_days`` with their events and logs."""
    cutoff = now - timedelta(days=older_than_days)
    deleted = 0
    while True:
        records = instance.get_run_records(filters=RunsFilter(created_before=cutoff, statuses=list(FINISHED)),
                                           limit=batch)
        records = [r for r in records if r.dagster_run.run_id != keep_run_id]
        if not records:
            return deleted
        for record in records:
            run_id = record.dagster_run.run_id
            instance.delete_run(run_id)
            try:  # captured stdout/stderr of the run's steps live outside the run storage
                instance.compute_log_manager.delete_logs(prefix=[run_id])
            except Exception:
                pass
            deleted += 1


@dg.op(description="Deletes Dagster runs, their event logs and captured logs older than O3_RUN_HISTORY_DAYS (default 90).",
       tags={"o3/domain": "rights"})
def purge_old_runs(context: dg.OpExecutionContext, governance: GovernanceResource):
    days = governance.settings().run_history_days
    deleted = purge_run_history(context.instance, days, now=datetime.now(timezone.utc), keep_run_id=context.run_id)
    context.log.info(f"deleted {deleted} runs older than {days} days")
    return dg.Output(None, metadata={"runs_deleted": deleted, "older_than_days": days})


@dg.job(name="purge_orchestrator_history", executor_def=dg.in_process_executor,
        description="Housekeeping: the orchestrator's own run history is kept O3_RUN_HISTORY_DAYS days (default 90).")
def purge_orchestrator_history():
    purge_old_runs()
