"""Dagster definitions for retention: the ``retention`` and ``deletion_list`` assets, their checks,
and the ``apply_deletion_list`` job that carries out an approved list. Metadata: counts only."""
import os
from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse


from o3_governance.defs.nightly.jobs import WAREHOUSE_WRITE_TAGS

from o3_governance.storage import audit, warehouse
from o3_governance import config, purge
from o3_governance.retention import decide, dispose
from o3_governance.retention.policy import PolicyError, as_of_date, load_policy

RETENTION = dg.AssetKey("retention")
DELETION_LIST = dg.AssetKey("deletion_list")
# Runs carrying this tag are limited to one at a time by the instance (tag_concurrency_limits), so
# disposal (which swaps the DuckDB file) never overlaps the nightly job; the op's pool does the same
# at step level.
EXCLUSIVE_TAG = WAREHOUSE_WRITE_TAGS  # queued one at a time with the nightly run and requests


def _load_policy(path):
    try:
        return load_policy(path)
    except PolicyError as exc:  # one line naming the line; nothing is listed on its account
        raise dg.Failure(description=str(exc)) from None


@dg.asset(
    key=RETENTION, group_name="retention", deps=["messages", "findings"],
    kinds={"duckdb"},
    description="One row per message: the rule that decides its retention, retain_until (local date + the "
                "rule's days), the legal hold that covers it, and whether it is due (eligible).",
)
@writes_warehouse
def retention_asset(context: dg.AssetExecutionContext, governance: GovernanceResource) -> dg.MaterializeResult:
    conf = governance.settings()
    now = datetime.now(timezone.utc)
    policy = _load_policy(conf.policy_file)
    as_of = conf.as_of or as_of_date(policy, now=now)
    summary = decide.run(governance.layout(), policy=policy, as_of=as_of, run_id=context.run.run_id, now=now)
    context.log.info(f"retention as of {as_of}: {summary.messages} messages, {summary.eligible} due, "
                     f"{summary.held} held")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": summary.messages,
        "as_of": as_of.isoformat(),
        "eligible": summary.eligible,
        "held": summary.held,
        "restricted": summary.restricted,
        "holds_active": summary.holds_active,
        "holds_ended": summary.holds_ended,
        "by_rule": dg.MetadataValue.json(summary.by_rule),
        "policy_sha256": policy.sha256,
    })


@dg.asset(
    key=DELETION_LIST, group_name="retention", deps=[RETENTION], kinds={"duckdb"},
    description="What is due and not held, awaiting approval: apply it with the apply_deletion_list job or "
                "`o3-governance approve-deletions`. Nothing is deleted by the nightly run.",
    check_specs=[
        dg.AssetCheckSpec("no_held_message_on_list", asset=DELETION_LIST,
                          description="No message under an active legal hold (or restriction) is on the current list."),
        dg.AssetCheckSpec("audit_chain_verifies", asset=DELETION_LIST,
                          description="The hash chain of audit_log verifies: no row edited, removed or reordered."),
        dg.AssetCheckSpec("list_not_waiting_too_long", asset=DELETION_LIST,
                          description="Warns when the current list has awaited approval longer than "
                                      "O3_APPROVAL_WARN_DAYS (default 7) days."),
        dg.AssetCheckSpec("no_deleted_message_came_back", asset=DELETION_LIST,
                          description="No message deleted earlier is in the warehouse again (a later export of "
                                      "the chat repeats its history; ingest must skip purged messages)."),
        dg.AssetCheckSpec("no_interrupted_purge", asset=DELETION_LIST,
                          description="Warns when a deletion or redaction was interrupted and still has to be "
                                      "finished (approve the list again, or `o3-governance resume-purges`)."),
    ],
)
@writes_warehouse
def deletion_list_asset(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout()
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.ensure_schema(con)
        info = current_list(con)
        held = held_on_current_list(con)
        verification = audit.verify(con)
        came_back = resurrected(con)
    yield dg.MaterializeResult(metadata={
        "dagster/row_count": info["items"],
        "list_id": info["list_id"] or "none",
        "status": info["status"] or "none",
        "delete": info["delete"],
        "anonymise": info["anonymise"],
        "chats": info["chats"],
    })
    yield held_check(held)
    yield audit_check(verification)
    yield wait_check(info, datetime.now(timezone.utc), governance.settings().approval_warn_days)
    yield dg.AssetCheckResult(check_name="no_deleted_message_came_back", asset_key=DELETION_LIST,
                              passed=came_back == 0, severity=dg.AssetCheckSeverity.ERROR,
                              metadata={"messages_back": came_back})
    pending = purge.pending_purges(layout)
    yield dg.AssetCheckResult(check_name="no_interrupted_purge", asset_key=DELETION_LIST, passed=not pending,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"interrupted_purges": len(pending)})


def current_list(con) -> dict:
    rows = con.execute(
        "SELECT list_id, status, item_count, delete_count, anonymise_count, chat_count, created_at "
        "FROM deletion_lists WHERE status IN ('awaiting_approval', 'executing') "
        "ORDER BY created_at DESC LIMIT 1").fetchall()
    if not rows:
        return {"list_id": None, "status": None, "items": 0, "delete": 0, "anonymise": 0, "chats": 0,
                "created_at": None}
    list_id, status, n, nd, na, nc, created = rows[0]
    return {"list_id": list_id, "status": status, "items": n, "delete": nd, "anonymise": na, "chats": nc,
            "created_at": created}


def held_on_current_list(con) -> int:
    """Listed messages that the retention table now says are held or restricted."""
    return con.execute(
        "SELECT count(*) FROM deletion_list d JOIN retention r ON r.message_id = d.message_id "
        "WHERE r.legal_hold IS NOT NULL OR r.restricted").fetchall()[0][0]


def resurrected(con) -> int:
    if not decide._table_exists(con, "purged_messages"):
        return 0
    return con.execute(f"SELECT count(*) FROM messages m WHERE EXISTS (SELECT 1 FROM purged_messages p "
                       f"WHERE p.message_key = {purge.purged_key_sql('m.message_id')})").fetchall()[0][0]


def held_check(held: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name="no_held_message_on_list", asset_key=DELETION_LIST, passed=held == 0,
                               severity=dg.AssetCheckSeverity.ERROR, metadata={"held_on_list": held})


def audit_check(verification) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name="audit_chain_verifies", asset_key=DELETION_LIST, passed=verification.ok,
                               severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"rows": verification.rows, "problem": verification.problem or "none"})


def wait_check(info: dict, now: datetime, limit: int) -> dg.AssetCheckResult:
    waited = 0
    if info["created_at"] is not None and info["status"] == "awaiting_approval":
        waited = max(0, (now - info["created_at"]).days)
    return dg.AssetCheckResult(check_name="list_not_waiting_too_long", asset_key=DELETION_LIST,
                               passed=waited <= limit, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"days_waiting": waited, "warn_after_days": limit,
                                         "items": info["items"]})


class ApplyDeletionListConfig(dg.Config):
    list_id: str
    approved_by: str


@dg.op(description="Carries out an approved deletion list and writes its certificate.")
@writes_warehouse
def apply_deletion_list_op(context: dg.OpExecutionContext, config: ApplyDeletionListConfig, governance: GovernanceResource) -> dg.Output:
    policy = _load_policy(governance.settings().policy_file)
    try:
        result = dispose.apply_deletion_list(config.list_id, config.approved_by, run_id=context.run_id,
                                             layout=governance.layout(), policy=policy)
    except dispose.DispositionError as exc:
        raise dg.Failure(description=str(exc)) from None
    cert = result.certificate
    return dg.Output(result.status, metadata={
        "list_id": result.list_id,
        "outcome": result.status,
        "listed": cert["listed"],
        "deleted": cert["executed"]["delete"],
        "anonymised": cert["executed"]["anonymise"],
        "skipped": dg.MetadataValue.json(cert["skipped"]),
        "stores": dg.MetadataValue.json(cert["stores"]),
    })


@dg.job(name="apply_deletion_list", tags=EXCLUSIVE_TAG, executor_def=dg.in_process_executor,
        description="Carries out an approved deletion list (config: list_id, approved_by): deletes or anonymises "
                    "in every store, compacts the warehouse, and writes a deletion certificate.")
def apply_deletion_list_job():
    apply_deletion_list_op()


