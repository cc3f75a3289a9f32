"""The request register as a Dagster asset: ``dsr_register`` (group ``rights``, outside the nightly
run) with the check ``dsr_deadlines`` warning about open requests due within 7 days or past due
(the logic: :mod:`o3_governance.rights.checks`), and the job ``dsr_register_refresh`` that a daily
schedule runs."""
from datetime import datetime

import dagster as dg

from o3_governance.defs.nightly.jobs import WAREHOUSE_WRITE_TAGS
from o3_governance.defs.resources import GovernanceResource, writes_warehouse
from o3_governance.rights import checks
from o3_governance.storage import warehouse
from o3_governance.vocabulary import BRUSSELS


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
    today = governance.settings().as_of or datetime.now(BRUSSELS).date()
    with warehouse.open_warehouse(layout.warehouse) as con:
        state = checks.register_state(con, today)
    yield dg.MaterializeResult(metadata=state.metadata())
    outcome = checks.deadline_check(state.deadlines)
    yield dg.AssetCheckResult(check_name="dsr_deadlines", passed=outcome.passed,
                              severity=dg.AssetCheckSeverity.WARN, metadata=outcome.metadata)


dsr_register_job = dg.define_asset_job(
    name="dsr_register_refresh", selection=dg.AssetSelection.assets("dsr_register"),
    executor_def=dg.in_process_executor, tags=WAREHOUSE_WRITE_TAGS,
    description="Refreshes the request register's counts and its deadline check.")
