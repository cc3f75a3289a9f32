"""Dagster definitions for data-subject rights.

* Jobs ``dsr_access``, ``dsr_erasure``, ``dsr_rectification``, ``dsr_restriction``, ``dsr_objection``:
  each carries out one recorded request; run config is ``{request_id}`` only (the identifiers stay in
  the register). ``o3-governance request …`` records the request and launches the matching job; a
  recorded request can also be (re)launched from the UI with the same config.
* Job ``dsr_access_regenerate``: rebuilds the export of a completed access request from what the
  warehouse holds now (``o3-governance request access --request-id ID --regenerate``); config
  ``{request_id}`` only.
* Asset ``dsr_register`` (group ``rights``, outside the nightly run) with the check ``dsr_deadlines``
  warning about open requests due within 7 days or past due; a daily schedule refreshes it.
* Job ``purge_orchestrator_history`` with a weekly schedule: Dagster runs and logs older than
  ``O3_RUN_HISTORY_DAYS`` (default 90) are deleted.
"""

from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse

from pydantic import Field

from o3_governance.vocabulary import BRUSSELS
from o3_governance.storage import warehouse
from o3_governance.defs.nightly.jobs import WAREHOUSE_WRITE_TAGS
from o3_governance.defs.rights import housekeeping
from o3_governance.rights import register, restriction, service

DSR_TAG = "o3/dsr_request_id"


class DsrConfig(dg.Config):
    request_id: str = Field(description="Id of a request recorded in the register (never an identifier of the person).")


def _counts(outcome: dict) -> dict:
    """Run metadata: counts, the export's relative path and hold names; nothing about the person."""
    meta = {k: v for k, v in outcome.items() if isinstance(v, (int, float, bool))}
    if isinstance(outcome.get("export_path"), str):
        meta["export_path"] = outcome["export_path"]
    if isinstance(outcome.get("holds"), list):
        meta["holds"] = ", ".join(sorted(h["name"] for h in outcome["holds"]))
    return meta


def _dsr_job(kind: str, description: str) -> dg.JobDefinition:
    @dg.op(name=f"carry_out_{kind}", description=description,
           tags={"o3/domain": "rights"})
    @writes_warehouse
    def carry_out(context: dg.OpExecutionContext, config: DsrConfig, governance: GovernanceResource):
        try:
            register.validate_request_id(config.request_id)
            result = service.carry_out(governance.layout(), config.request_id, run_id=context.run_id,
                                       expected_kind=kind, log=context.log.info)
        except register.RequestError as exc:
            raise dg.Failure(description=str(exc)) from None
        except Exception as exc:  # the event log gets a reason without content, never a library's text
            raise dg.Failure(description=f"request failed: {service.safe_reason(exc)}") from None
        if result.status == "failed":
            raise dg.Failure(description=str(result.outcome.get("error", "request failed")))
        return dg.Output(None, metadata={"request_id": config.request_id, "status": result.status,
                                         "already_closed": result.already_closed, **_counts(result.outcome)})

    @dg.job(name=f"dsr_{kind}", description=description, executor_def=dg.in_process_executor,
            tags={**WAREHOUSE_WRITE_TAGS, "o3/domain": "rights", "o3/dsr_kind": kind})
    def job():
        carry_out()

    return job


DSR_JOBS: dict[str, dg.JobDefinition] = {
    "access": _dsr_job("access", "Access and portability (Art. 15/20): writes exports/<request id>/ with the "
                                 "subject's messages (JSON, CSV), media and a sha256 manifest."),
    "erasure": _dsr_job("erasure", "Erasure (Art. 17): deletes the subject's messages and media from every store, "
                                   "redacts mentions, keeps what a legal hold covers and says why."),
    "rectification": _dsr_job("rectification", "Rectification (Art. 16): records a corrected name/phone mapping."),
    "restriction": _dsr_job("restriction", "Restriction (Art. 18): the subject's data is only stored (or the "
                                           "restriction is lifted, recorded)."),
    "objection": _dsr_job("objection", "Objection (Art. 21): restriction plus a review flag (or lifted after review)."),
}


def run_config(kind: str, request_id: str) -> dict:
    return {"ops": {f"carry_out_{kind}": {"config": {"request_id": request_id}}}}


@dg.op(name="regenerate_access_export", tags={"o3/domain": "rights"},
       description="Rebuilds exports/<request id>/ of a completed access request from what the warehouse holds "
                   "now (disposed or erased messages left out), with a fresh sha256 manifest.")
@writes_warehouse
def regenerate_access_export(context: dg.OpExecutionContext, config: DsrConfig, governance: GovernanceResource):
    try:
        register.validate_request_id(config.request_id)
        result = service.regenerate(governance.layout(), config.request_id, now=datetime.now(timezone.utc),
                                    run_id=context.run_id, log=context.log.info)
    except register.RequestError as exc:
        raise dg.Failure(description=str(exc)) from None
    except Exception as exc:  # the event log gets a reason without content, never a library's text
        raise dg.Failure(description=f"regeneration failed: {service.safe_reason(exc)}") from None
    return dg.Output(None, metadata={"request_id": config.request_id, "status": result.status,
                                     **_counts(result.outcome)})


@dg.job(name="dsr_access_regenerate", executor_def=dg.in_process_executor,
        tags={**WAREHOUSE_WRITE_TAGS, "o3/domain": "rights", "o3/dsr_kind": "access"},
        description="Rebuilds the export of a completed access request (e.g. after a disposal removed it).")
def dsr_access_regenerate_job():
    regenerate_access_export()


def regenerate_run_config(request_id: str) -> dict:
    return {"ops": {"regenerate_access_export": {"config": {"request_id": request_id}}}}


@dg.asset(
    name="dsr_register",
    group_name="rights",
    kinds={"duckdb"},
    description="Register of data-subject requests: received, due (one month), status and outcome. "
                "Identifiers are kept apart and only while needed; see o3_governance/rights/register.py.",
    check_specs=[dg.AssetCheckSpec("dsr_deadlines", asset="dsr_register",
                                   description="Warns about open requests due within 7 days or past their due date.")],
)
@writes_warehouse
def dsr_register(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout().ensure()
    today = (governance.settings().as_of or datetime.now(BRUSSELS).date())
    with warehouse.open_warehouse(layout.warehouse) as con:
        register.ensure_schema(con)
        status = register.deadline_status(con, today)
        by_status = dict(con.execute("SELECT status, count(*) FROM dsr_requests GROUP BY status").fetchall())
        total = sum(by_status.values())
        active = restriction.active_restrictions(con)
    yield dg.MaterializeResult(metadata={
        "dagster/row_count": total,
        "open_requests": status.open_requests,
        "completed": by_status.get("completed", 0),
        "rejected": by_status.get("rejected", 0),
        "failed": by_status.get("failed", 0),
        "active_restrictions": active,
        "due_within_7_days": len(status.due_soon),
        "overdue": len(status.overdue),
    })
    yield dg.AssetCheckResult(
        check_name="dsr_deadlines", passed=not status.due_soon and not status.overdue,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"overdue": len(status.overdue), "due_within_7_days": len(status.due_soon),
                  "overdue_request_ids": ", ".join(status.overdue) or "none",
                  "due_soon_request_ids": ", ".join(status.due_soon) or "none"})


dsr_register_job = dg.define_asset_job(
    name="dsr_register_refresh", selection=dg.AssetSelection.assets("dsr_register"),
    executor_def=dg.in_process_executor, tags=WAREHOUSE_WRITE_TAGS,
    description="Refreshes the request register's counts and its deadline check.")

dsr_register_schedule = dg.ScheduleDefinition(
    name="dsr_register_daily", job=dsr_register_job, cron_schedule="0 7 * * *",
    execution_timezone="Europe/Brussels", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every morning: warns about data-subject requests close to or past their one-month deadline.")


@dg.op(description="Deletes Dagster runs, their event logs and captured logs older than O3_RUN_HISTORY_DAYS (default 90).",
       tags={"o3/domain": "rights"})
def purge_old_runs(context: dg.OpExecutionContext, governance: GovernanceResource):
    days = governance.settings().run_history_days
    deleted = housekeeping.purge_run_history(context.instance, days, keep_run_id=context.run_id)
    context.log.info(f"deleted {deleted} runs older than {days} days")
    return dg.Output(None, metadata={"runs_deleted": deleted, "older_than_days": days})


@dg.job(name="purge_orchestrator_history", executor_def=dg.in_process_executor,
        description="Housekeeping: the orchestrator's own run history is kept O3_RUN_HISTORY_DAYS days (default 90).")
def purge_orchestrator_history():
    purge_old_runs()


purge_history_schedule = dg.ScheduleDefinition(
    name="purge_orchestrator_history_weekly", job=purge_orchestrator_history, cron_schedule="30 3 * * 0",
    execution_timezone="Europe/Brussels", default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every Sunday 03:30: purges Dagster runs and logs older than the configured age.")

# The request jobs are made in a loop and kept in a dict, where the defs folder loader does not look;
# a module with a Definitions object is loaded through it alone, so it names everything here.
defs = dg.Definitions(
    assets=[dsr_register],
    jobs=[*DSR_JOBS.values(), dsr_access_regenerate_job, dsr_register_job, purge_orchestrator_history],
    schedules=[dsr_register_schedule, purge_history_schedule],
)
