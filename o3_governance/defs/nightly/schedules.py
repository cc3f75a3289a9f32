"""The nightly schedule: the whole pipeline at 02:00 Brussels time, on by default."""
import dagster as dg

from o3_governance.defs.nightly.jobs import nightly_governance

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_governance_schedule",
    job=nightly_governance,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Brussels",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the whole governance pipeline every night at 02:00 Brussels time.",
)
