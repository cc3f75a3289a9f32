"""Schedules of the rights domain: the register's deadline check every morning, and the weekly
purge of the orchestrator's own run history."""
import dagster as dg

from o3_governance.defs.rights.assets import dsr_register_job
from o3_governance.defs.rights.housekeeping import purge_orchestrator_history

dsr_register_schedule = dg.ScheduleDefinition(
    name="dsr_register_daily", job=dsr_register_job, cron_schedule="0 7 * * *",
    execution_timezone="Europe/Brussels", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every morning: warns about data-subject requests close to or past their one-month deadline.")

purge_history_schedule = dg.ScheduleDefinition(
    name="purge_orchestrator_history_weekly", job=purge_orchestrator_history, cron_schedule="30 3 * * 0",
    execution_timezone="Europe/Brussels", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Sunday 03:30: purges Dagster runs and logs older than the configured age.")
