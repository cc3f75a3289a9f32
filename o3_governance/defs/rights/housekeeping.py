"""The orchestrator's own records: Dagster runs, their event logs and captured compute logs are
purged after ``O3_RUN_HISTORY_DAYS`` (default 90). Runs still queued or running are left alone."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter


DEFAULT_RUN_HISTORY_DAYS = 90
FINISHED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


def purge_run_history(instance: DagsterInstance, older_than_days: int, *, now: datetime | None = None,
                      keep_run_id: str | None = None, batch: int = 500) -> int:
    """Delete finished runs created before now − ``older_than_days`` with their events and logs."""
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=older_than_days)
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
