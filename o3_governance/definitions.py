"""Entry point for Dagster (``workspace.yaml`` loads this module): merges each domain's definitions."""
import dagster as dg

from o3_governance.defs import ingest, reporting, retention, rights, scanning
from o3_governance.defs.jobs import nightly_governance

nightly_schedule = dg.ScheduleDefinition(
    name="nightly_governance_schedule",
    job=nightly_governance,
    cron_schedule="0 2 * * *",
    execution_timezone="Europe/Brussels",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Runs the whole governance pipeline every night at 02:00 Brussels time.",
)

defs = dg.Definitions.merge(
    dg.Definitions(jobs=[nightly_governance], schedules=[nightly_schedule]),
    ingest.defs,
    scanning.defs,
    retention.defs,
    reporting.defs,
    rights.defs,
)
