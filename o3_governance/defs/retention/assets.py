"""Dagster definitions for retention: the ``retention`` and ``deletion_list`` assets, their checks,
and the ``apply_deletion_list`` job that carries out an approved list. Metadata: counts only.

This is the shell: it reads the run's settings (``governance.settings()``), the clock and the
directory file, and passes them to the retention domain, which reads none of them itself. What the
checks measure is in ``retention.checks``; here they only become ``AssetCheckResult``s. The checks
that guard an invariant (no held message listed, audit chain intact, no deleted message back) are
blocking: when one fails, nothing downstream of the list (the nightly report) is materialised."""
from datetime import datetime, timezone

import dagster as dg
from pydantic import Field

from o3_governance import purge
from o3_governance.defs.nightly.jobs import WAREHOUSE_WRITE_TAGS
from o3_governance.defs.resources import DUCKDB_WRITE_POOL, GovernanceResource, writes_warehouse
from o3_governance.identity.directory import DirectoryEntry, load_directory
from o3_governance.retention import checks, decide, dispose, queries, simulate
from o3_governance.retention.policy import Policy, PolicyError, as_of_date, load_policy
from o3_governance.rights import register as rights_register
from o3_governance.settings import Settings
from o3_governance.storage import audit, warehouse

RETENTION = dg.AssetKey("retention")
DELETION_LIST = dg.AssetKey("deletion_list")
# Runs carrying this tag are limited to one at a time by the instance (tag_concurrency_limits), so
# disposal (which swaps the DuckDB file) never overlaps the nightly job.
EXCLUSIVE_TAG = WAREHOUSE_WRITE_TAGS  # queued one at a time with the nightly run and requests


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def policy_of(conf: Settings) -> Policy:
    try:
        return load_policy(conf.policy_file)
    except PolicyError as exc:  # one line naming the line; nothing is listed on its account
        raise dg.Failure(description=f"refused: {exc}") from None


def as_of_of(conf: Settings, policy: Policy, now: datetime):
    """O3_AS_OF when set, else today in the policy's time zone."""
    return conf.as_of or as_of_date(policy, now)


def directory_of(conf: Settings) -> list[DirectoryEntry]:
    return load_directory(conf.directory_file) if conf.directory_file else []


def secret_of(governance: GovernanceResource) -> bytes:
    """The subject key (rights' keyed hash): subject events name a person only by it."""
    return rights_register.secret_key(governance.layout(), governance.settings().subject_key)


@dg.asset(
    key=RETENTION, group_name="retention", deps=["messages", "findings", "attachment_findings"],
    kinds={"duckdb"},
    description="One row per message: the rule that decides its retention, retain_until (local date + the "
                "rule's days), the legal hold that covers it, and whether it is due (eligible).",
)
@writes_warehouse
def retention_asset(context: dg.AssetExecutionContext, governance: GovernanceResource) -> dg.MaterializeResult:
    conf = governance.settings()
    now = utc_now()
    policy = policy_of(conf)
    as_of = as_of_of(conf, policy, now)
    summary = decide.run(governance.layout(), policy=policy, as_of=as_of, now=now, directory=directory_of(conf),
                         run_id=context.run.run_id, secret=secret_of(governance))
    if summary.refused:
        # Nothing was changed; the deletion_list asset fails with this line.
        context.log.warning(summary.refused)
        return dg.MaterializeResult(metadata={"as_of": as_of.isoformat(), "refused": summary.refused,
                                              "policy_sha256": policy.sha256})
    context.log.info(f"retention as of {as_of}: {summary.messages} messages, {summary.eligible} due, "
                     f"{summary.held} held, {summary.waiting} waiting for an event")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": summary.messages,
        "as_of": as_of.isoformat(),
        "eligible": summary.eligible,
        "held": summary.held,
        "waiting_for_event": summary.waiting,
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
        dg.AssetCheckSpec("no_held_message_on_list", asset=DELETION_LIST, blocking=True,
                          description="No message under an active legal hold (or restriction) is on the current "
                                      "list. Blocking: nothing downstream runs when it fails."),
        dg.AssetCheckSpec("audit_chain_verifies", asset=DELETION_LIST, blocking=True,
                          description="The hash chain of audit_log verifies: no row edited, removed or reordered. "
                                      "Blocking: nothing downstream runs when it fails."),
        dg.AssetCheckSpec("list_not_waiting_too_long", asset=DELETION_LIST,
                          description="Warns when the current list has awaited approval longer than "
                                      "O3_APPROVAL_WARN_DAYS (default 7) days."),
        dg.AssetCheckSpec("no_deleted_message_came_back", asset=DELETION_LIST, blocking=True,
                          description="No message deleted earlier is in the warehouse again (a later export of "
                                      "the chat repeats its history; ingest must skip purged messages). "
                                      "Blocking: nothing downstream runs when it fails."),
        dg.AssetCheckSpec("holds_match_something", asset=DELETION_LIST,
                          description="Warns when a chat or subject named by a legal hold matches no message (a "
                                      "typo holds nothing): `o3-governance check-policy` names it and suggests "
                                      "the closest chat or author."),
        dg.AssetCheckSpec("no_interrupted_purge", asset=DELETION_LIST,
                          description="Warns when a deletion or redaction was interrupted and still has to be "
                                      "finished (approve the list again, or `o3-governance resume-purges`)."),
    ],
)
@writes_warehouse
def deletion_list_asset(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout()
    conf = governance.settings()
    policy = policy_of(conf)
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.ensure_schema(con)
        refusal = decide.last_refusal(con)
        if refusal:  # the mass-change guard: ingest and scanning ran, nothing is listed on this file's account
            raise dg.Failure(description=refusal)
        current = checks.current_list(con)
        held = checks.held_on_current_list(con)
        verification = audit.verify(con)
        came_back = checks.resurrected(con)
        breakdown = checks.current_list_breakdown(con)
        coverage = simulate.hold_coverage(con, policy, as_of_of(conf, policy, utc_now()),
                                          directory=directory_of(conf))
    yield dg.MaterializeResult(metadata={
        "dagster/row_count": current.items,
        "list_id": current.list_id or "none",
        "status": current.status or "none",
        "delete": current.delete,
        "anonymise": current.anonymise,
        "chats": current.chats,
        "per_chat_rule_action_month": breakdown_table(breakdown),
    })
    yield held_check(held)
    yield audit_check(verification)
    yield wait_check(current, utc_now(), governance.settings().approval_warn_days)
    yield came_back_check(came_back)
    yield hold_coverage_check(coverage)
    pending = purge.pending_purges(layout)
    yield dg.AssetCheckResult(check_name="no_interrupted_purge", asset_key=DELETION_LIST, passed=not pending,
                              severity=dg.AssetCheckSeverity.WARN, metadata={"interrupted_purges": len(pending)})


def breakdown_table(rows) -> dg.TableMetadataValue:
    """The current list as counts per chat id, rule, action and month: what a reviewer needs, no text."""
    schema = dg.TableSchema(columns=[dg.TableColumn("chat_id", "string"), dg.TableColumn("rule", "string"),
                                     dg.TableColumn("action", "string"), dg.TableColumn("month", "string"),
                                     dg.TableColumn("messages", "int")])
    return dg.MetadataValue.table(records=[dg.TableRecord(dict(chat_id=c or "", rule=r, action=a, month=m, messages=n))
                                           for c, r, a, m, n in rows], schema=schema)


def hold_coverage_check(coverage) -> dg.AssetCheckResult:
    """Hold names and counts only: the unmatched entries themselves are shown by check-policy."""
    unmatched = {c.name: len(c.unmatched) for c in coverage if c.unmatched}
    return dg.AssetCheckResult(check_name="holds_match_something", asset_key=DELETION_LIST, passed=not unmatched,
                               severity=dg.AssetCheckSeverity.WARN,
                               metadata={"holds": len(coverage),
                                         "entries_matching_nothing": dg.MetadataValue.json(unmatched),
                                         "kept_per_hold": dg.MetadataValue.json({c.name: c.kept for c in coverage})})


def held_check(held: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name="no_held_message_on_list", asset_key=DELETION_LIST, passed=held == 0,
                               severity=dg.AssetCheckSeverity.ERROR, metadata={"held_on_list": held})


def audit_check(verification) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name="audit_chain_verifies", asset_key=DELETION_LIST, passed=verification.ok,
                               severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"rows": verification.rows, "problem": verification.problem or "none"})


def came_back_check(came_back: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(check_name="no_deleted_message_came_back", asset_key=DELETION_LIST,
                               passed=came_back == 0, severity=dg.AssetCheckSeverity.ERROR,
                               metadata={"messages_back": came_back})


def wait_check(current: checks.CurrentList, now: datetime, limit: int) -> dg.AssetCheckResult:
    waited = checks.days_waiting(current, now)
    return dg.AssetCheckResult(check_name="list_not_waiting_too_long", asset_key=DELETION_LIST,
                               passed=waited <= limit, severity=dg.AssetCheckSeverity.WARN,
                               metadata={"days_waiting": waited, "warn_after_days": limit,
                                         "items": current.items})


CURRENT_LIST = "current"
# Set by the command line (the OS login that ran approve-deletions). The Dagster UI cannot set it: the
# open-source webserver passes no proxy header into runs, so a UI launch is certified "unauthenticated".
AUTHENTICATED_USER_TAG = "o3/authenticated_user"


class ApplyDeletionListConfig(dg.Config):
    list_id: str = Field(
        default=CURRENT_LIST,
        description="The deletion list to apply: its id (`o3-governance deletion-list` shows it), or 'current' for "
                    "the list awaiting approval now. Review it first: the deletion_list asset's metadata table "
                    "shows what it holds per chat id, rule, action and month.")
    approved_by: str = Field(
        description="Your own name, as it goes on the deletion certificate. A placeholder such as <your name> is "
                    "refused. When the policy asks for two approvers, the list is applied only once two "
                    "different people approved it (the first approval is recorded and the run says so).")


@dg.op(description="Carries out an approved deletion list and writes its certificate.", pool=DUCKDB_WRITE_POOL)
@writes_warehouse
def apply_deletion_list_op(context: dg.OpExecutionContext, config: ApplyDeletionListConfig,
                           governance: GovernanceResource) -> dg.Output:
    conf = governance.settings()
    policy = policy_of(conf)
    list_id = config.list_id
    if list_id == CURRENT_LIST:
        with warehouse.open_warehouse(governance.layout().warehouse, read_only=True) as con:
            list_id = checks.current_list(con).list_id if queries.has_list_register(con) else None
        if list_id is None:
            raise dg.Failure(description="refused: no deletion list awaits approval")
    try:
        result = dispose.apply_deletion_list(
            list_id, config.approved_by, layout=governance.layout(), policy=policy,
            as_of=as_of_of(conf, policy, utc_now()), clock=utc_now,
            flag_exports=rights_register.record_affected_exports, directory=directory_of(conf),
            run_id=context.run_id, authenticated_user=context.run.tags.get(AUTHENTICATED_USER_TAG))
    except dispose.DisposalError as exc:
        raise dg.Failure(description=f"refused: {exc}") from None
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
