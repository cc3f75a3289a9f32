"""Dagster definitions for the reporting domain: the ``nightly_report`` asset (HTML report, CSV
extracts, Art. 30 record, manifest) with checks that its manifest verifies and that no chat name,
author or phone number of the warehouse appears in it."""

from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse
from o3_governance.reporting import address, history, leakcheck
from o3_governance.reporting.build import build_report
from o3_governance.storage import warehouse
from o3_governance.vocabulary import BRUSSELS

NIGHTLY_REPORT = dg.AssetKey("nightly_report")
UPSTREAM = ["archives", "messages", "findings", "attachment_findings", "retention", "deletion_list"]


def download_url(public_url: str, report_date: str, name: str = "report.html") -> str:
    """Where ``o3-governance serve-reports`` serves it (token not included: it never goes in metadata)."""
    host = public_url or f"http://{address.DEFAULT_HOST}:{address.DEFAULT_PORT}"
    return f"{host}/reports/{report_date}/{name}"


@dg.asset(
    key=NIGHTLY_REPORT,
    group_name="reporting",
    deps=[dg.AssetKey(k) for k in UPSTREAM],
    kinds={"html", "csv"},
    description="Audit report of the night for the DPO: self-contained HTML with charts, CSV extracts "
                "(deletion list, findings summary, archive registry), the GDPR Art. 30 record and a sha256 "
                "manifest, in reports/<date>/. Counts and pseudonymous ids only.",
    check_specs=[
        dg.AssetCheckSpec("manifest_verifies", asset=NIGHTLY_REPORT,
                          description="Every file of the report matches the sha256 in its manifest."),
        dg.AssetCheckSpec("no_personal_data_in_report", asset=NIGHTLY_REPORT,
                          description="No chat name, author, phone number or archive file name of the "
                                      "warehouse appears in any file of the report."),
    ],
)
@writes_warehouse
def nightly_report(context: dg.AssetExecutionContext, governance: GovernanceResource):
    s = governance.settings()
    layout = governance.layout()
    now = datetime.now(timezone.utc)
    as_of = s.as_of or now.astimezone(BRUSSELS).date()
    result = build_report(layout, as_of, s.policy_file, now=now, keep_days=s.report_retention_days,
                          raw_retention_days=s.raw_retention_days, approval_warn_days=s.approval_warn_days,
                          run_id=context.run.run_id)
    day = result.report_date.isoformat()
    context.log.info(f"report {day}: {len(result.files)} files; {len(result.pruned)} old reports removed")
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        leaks = leakcheck.scan_folder(con, result.folder)
    problems = history.verify_folder(result.folder)
    metadata = {
        "summary": dg.MetadataValue.md(result.summary_markdown),
        "report_path": dg.MetadataValue.path(str(result.html)),
        "download_url": dg.MetadataValue.url(download_url(s.reports_public_url, day)),
        "report_date": day,
        "manifest_sha256": result.manifest_sha256,
        "files": len(result.files),
        "reports_pruned": len(result.pruned),
        "dagster/row_count": result.counts.get("messages", 0),
    }
    metadata.update({k: int(v) for k, v in result.counts.items()})
    yield dg.MaterializeResult(asset_key=NIGHTLY_REPORT, metadata=metadata)
    yield dg.AssetCheckResult(check_name="manifest_verifies", asset_key=NIGHTLY_REPORT, passed=not problems,
                              metadata={"problems": len(problems)})
    yield dg.AssetCheckResult(check_name="no_personal_data_in_report", asset_key=NIGHTLY_REPORT,
                              passed=leaks.found == 0,
                              metadata={"values_checked": leaks.checked, "values_found": leaks.found,
                                        "files_with_findings": len(leaks.files)})
