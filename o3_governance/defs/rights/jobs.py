"""Dagster jobs for data-subject requests.

* ``dsr_access``, ``dsr_erasure``, ``dsr_rectification``, ``dsr_restriction``, ``dsr_objection``:
  each carries out one recorded request; run config is ``{request_id}`` only (the identifiers stay in
  the register). ``o3-governance request …`` records the request and launches the matching job; a
  recorded request can also be (re)launched from the UI with the same config.
* ``dsr_access_regenerate``: rebuilds the export of a completed access request from what the
  warehouse holds now (``o3-governance request access --request-id ID --regenerate``); config
  ``{request_id}`` only.

The ops read the run's settings (policy, as-of date, directory, subject key) through the governance
resource and the clock here, and hand them to :mod:`o3_governance.rights.service`.
"""
from datetime import datetime, timezone

import dagster as dg
from pydantic import Field

from o3_governance.defs.nightly.jobs import WAREHOUSE_WRITE_TAGS
from o3_governance.defs.resources import DUCKDB_WRITE_POOL, GovernanceResource, writes_warehouse
from o3_governance.rights import register
from o3_governance.vocabulary import BRUSSELS, REQUEST_KINDS

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
           tags={"o3/domain": "rights"}, pool=DUCKDB_WRITE_POOL)
    @writes_warehouse
    def carry_out(context: dg.OpExecutionContext, config: DsrConfig, governance: GovernanceResource):
        from o3_governance.rights import service  # start-up time: OpenCV and the extractors, only for a request

        try:
            register.validate_request_id(config.request_id)
            settings = governance.settings()
            now = datetime.now(timezone.utc)
            result = service.carry_out(
                governance.layout(), config.request_id, now=now,
                as_of=settings.as_of or now.astimezone(BRUSSELS).date(), policy_file=settings.policy_file,
                directory_file=settings.directory_file, subject_key=settings.subject_key,
                run_id=context.run_id, expected_kind=kind, log=context.log.info)
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


_DESCRIPTIONS = {
    "access": "Access and portability (Art. 15/20): writes exports/<request id>/ with the subject's messages "
              "(JSON, CSV), media and a sha256 manifest.",
    "erasure": "Erasure (Art. 17): deletes the subject's messages and media from every store, redacts mentions, "
               "keeps what a legal hold covers and says why.",
    "rectification": "Rectification (Art. 16): records a corrected name/phone mapping.",
    "restriction": "Restriction (Art. 18): the subject's data is only stored (or the restriction is lifted, recorded).",
    "objection": "Objection (Art. 21): restriction plus a review flag (or lifted after review).",
}
DSR_JOBS: dict[str, dg.JobDefinition] = {kind: _dsr_job(kind, _DESCRIPTIONS[kind]) for kind in REQUEST_KINDS}

# Module-level names: the defs folder loader finds definitions here, not inside the dict.
dsr_access = DSR_JOBS["access"]
dsr_erasure = DSR_JOBS["erasure"]
dsr_rectification = DSR_JOBS["rectification"]
dsr_restriction = DSR_JOBS["restriction"]
dsr_objection = DSR_JOBS["objection"]


def run_config(kind: str, request_id: str) -> dict:
    return {"ops": {f"carry_out_{kind}": {"config": {"request_id": request_id}}}}


@dg.op(name="regenerate_access_export", tags={"o3/domain": "rights"}, pool=DUCKDB_WRITE_POOL,
       description="Rebuilds exports/<request id>/ of a completed access request from what the warehouse holds "
                   "now (disposed or erased messages left out), with a fresh sha256 manifest.")
@writes_warehouse
def regenerate_access_export(context: dg.OpExecutionContext, config: DsrConfig, governance: GovernanceResource):
    from o3_governance.rights import service  # start-up time: OpenCV and the extractors, only for a request

    try:
        register.validate_request_id(config.request_id)
        settings = governance.settings()
        result = service.regenerate(governance.layout(), config.request_id, now=datetime.now(timezone.utc),
                                    directory_file=settings.directory_file, subject_key=settings.subject_key,
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
