"""Dagster definitions for the scanning domain: the ``findings`` asset and its checks.

The checks' logic is the domain's (``store.check_scan``); here it becomes ``AssetCheckResult``s.
``every_text_message_scanned`` is blocking: an unscanned text message fails it with ERROR severity
and stops what is downstream (retention would decide without its categories); messages left by the
night's time budget fail it with WARN only, which does not block."""
import time
from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse
from o3_governance.scanning import store
from o3_governance.storage import audit, warehouse

FINDINGS = dg.AssetKey("findings")


@dg.asset(
    key=FINDINGS,
    group_name="scanning",
    deps=[dg.AssetKey("messages")],
    kinds={"python", "duckdb"},
    description="Personal data (phone, e-mail, IBAN, card, Belgian national number, names, places) and GDPR "
                "Art. 9/10 special categories found in each message by Presidio in nl/fr/en: table `findings` "
                "(offsets, type, score, recognizer; never the text). Only messages not yet scanned with the "
                "current scanner configuration are scanned.",
    check_specs=[
        dg.AssetCheckSpec("every_text_message_scanned", asset=FINDINGS, blocking=True,
                          description="Every text message has been scanned with the current scanner configuration."),
        dg.AssetCheckSpec("no_special_category_data", asset=FINDINGS,
                          description="Warns when special-category (Art. 9/10) data is present: counts per "
                                      "category and per chat (chat_id)."),
    ],
)
@writes_warehouse
def findings(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout()
    conf = governance.settings()
    with warehouse.open_warehouse(layout.warehouse) as con:
        summary = store.scan_warehouse(con, staff_directory=conf.directory_file, workers=2,
                                       window_chars=conf.scan_window_chars,
                                       seconds_budget=conf.scan_seconds_per_night, monotonic=time.monotonic)
        check = store.check_scan(con, summary)
        audit.append(con, "scan", {"scanner_config": summary.config_hash, "due": summary.due,
                                   "scanned": summary.scanned, "skipped": summary.skipped,
                                   "findings_written": summary.findings_written,
                                   "truncated_for_scan": summary.truncated_for_scan,
                                   "left_for_next_night": summary.left_for_next_night,
                                   "carried_forward": summary.carried_forward,
                                   "messages_with_special_category": check.messages_with_special_category},
                     run_id=context.run.run_id, ts=datetime.now(timezone.utc))
    context.log.info(f"scan: {summary.due} due, {summary.scanned} scanned, {summary.skipped} skipped, "
                     f"{summary.unique_texts} distinct texts analysed, {summary.reused_texts} reused, "
                     f"{summary.findings_written} findings written in {summary.seconds:.1f} s; "
                     f"{summary.truncated_for_scan} long bodies scanned in windows; "
                     f"{summary.left_for_next_night} left for the next night (time budget); "
                     f"{summary.carried_forward} kept unscanned under the new configuration (not touched by its change)")

    yield dg.MaterializeResult(metadata={
        "dagster/row_count": check.findings_total,
        "messages_with_findings": check.messages_with_findings,
        "messages_with_special_category": check.messages_with_special_category,
        "due_this_run": summary.due,
        "scanned_this_run": summary.scanned,
        "skipped_this_run": summary.skipped,
        "distinct_texts_analysed": summary.unique_texts,
        "distinct_texts_reused": summary.reused_texts,
        "findings_written_this_run": summary.findings_written,
        "truncated_for_scan_this_run": summary.truncated_for_scan,
        "left_for_next_night": summary.left_for_next_night,
        "carried_forward_this_run": summary.carried_forward,
        "scan_budget_exhausted": summary.budget_exhausted,
        "scan_seconds": round(summary.seconds, 2),
        "scanner_config": summary.config_hash,
        "findings_by_type": dg.MetadataValue.json(check.findings_by_type),
    })
    # Messages left by the time budget are due again tomorrow: a warning, not an error.
    yield dg.AssetCheckResult(check_name="every_text_message_scanned", passed=check.every_text_message_scanned,
                              severity=dg.AssetCheckSeverity.WARN if check.budget_exhausted
                              else dg.AssetCheckSeverity.ERROR,
                              metadata={"unscanned_text_messages": check.unscanned_text_messages,
                                        "left_for_next_night": summary.left_for_next_night})
    rows = [f"| {chat_id} | {category} | {n} |" for chat_id, category, n in check.special_by_chat]
    yield dg.AssetCheckResult(
        check_name="no_special_category_data", passed=not check.special_by_chat, severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "messages_with_special_category": check.messages_with_special_category,
            "by_category": dg.MetadataValue.json(check.special_by_category),
            "by_chat": dg.MetadataValue.md("| chat_id | category | messages |\n|---|---|---|\n" + "\n".join(rows)
                                           if rows else "none"),
        })


ATTACHMENT_FINDINGS = dg.AssetKey("attachment_findings")


def _document_terms(conf) -> frozenset[str]:
    """The policy's document_terms; none while the policy is refused (retention fails on it by itself)."""
    from o3_governance.retention.policy import PolicyError, load_policy

    try:
        return load_policy(conf.policy_file).document_terms
    except PolicyError:
        return frozenset()


@dg.asset(
    key=ATTACHMENT_FINDINGS,
    group_name="scanning",
    deps=[FINDINGS],
    kinds={"python", "duckdb"},
    description="What the files people send hold: documents (PDF, Word, Excel, ODT, text, CSV), photos "
                "(Tesseract OCR in nl/fr/en, faces detected and counted, EXIF GPS) and contact cards, read "
                "once per file content and scan configuration. Register `attachments` (kind, status, reason); "
                "findings with source 'attachment' and the page on every message carrying the file; the "
                "policy's document terms in `attachment_terms`. The extracted text is never stored.",
    check_specs=[
        dg.AssetCheckSpec("every_attachment_registered", asset=ATTACHMENT_FINDINGS, blocking=True,
                          description="Every file a message carries is in the register under the current "
                                      "scan configuration."),
        dg.AssetCheckSpec("unreadable_attachments", asset=ATTACHMENT_FINDINGS,
                          description="Warns with counts per status and reason for files that could not be "
                                      "read (audio and video, encrypted, corrupt, too large)."),
    ],
)
@writes_warehouse
def attachment_findings(context: dg.AssetExecutionContext, governance: GovernanceResource):
    from o3_governance.attachments import register
    from o3_governance.scanning import attachment_scan

    layout = governance.layout()
    conf = governance.settings()
    now = datetime.now(timezone.utc)
    with warehouse.open_warehouse(layout.warehouse) as con:
        summary = attachment_scan.scan_attachments(con, layout, now=now, document_terms=_document_terms(conf),
                                                   staff_directory=conf.directory_file, workers=2)
        check = register.check_register(con, summary.scanned_with)
        total = con.execute("SELECT count(*) FROM findings WHERE source = 'attachment'").fetchone()[0]
        audit.append(con, "attachment_scan", {"scan_config": summary.scanned_with, "due": summary.due,
                                              "read": summary.read, "unreadable": summary.unreadable,
                                              "ocr_files": summary.ocr_files, "faces": summary.faces,
                                              "findings_written": summary.findings_written},
                     run_id=context.run.run_id, ts=now)
    context.log.info(f"attachments: {summary.due} due, {summary.read} read, {summary.unreadable} unreadable, "
                     f"{summary.ocr_files} by OCR, {summary.faces} faces, {summary.findings_written} findings "
                     f"written in {summary.seconds:.1f} s with {summary.workers} processes")
    yield dg.MaterializeResult(metadata={
        "dagster/row_count": total,
        "due_this_run": summary.due,
        "read_this_run": summary.read,
        "unreadable_this_run": summary.unreadable,
        "ocr_files_this_run": summary.ocr_files,
        "faces_this_run": summary.faces,
        "findings_written_this_run": summary.findings_written,
        "scan_seconds": round(summary.seconds, 2),
        "scan_config": summary.scanned_with,
        "files_by_kind_and_status": dg.MetadataValue.json(check.by_kind_status),
        "findings_by_type_per_file": dg.MetadataValue.json(summary.by_type),
    })
    yield dg.AssetCheckResult(check_name="every_attachment_registered", passed=check.every_attachment_registered,
                              metadata={"unregistered_files": check.unregistered})
    yield dg.AssetCheckResult(check_name="unreadable_attachments", passed=not check.unreadable,
                              severity=dg.AssetCheckSeverity.WARN,
                              metadata={"unreadable_files": sum(check.unreadable.values()),
                                        "by_reason": dg.MetadataValue.json(check.unreadable)})
