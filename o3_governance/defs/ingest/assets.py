"""Dagster definitions for ingest: the ``archives`` and ``messages`` assets and their checks.

The checks' logic is the domain's (``ingest.check_ingest``); here it becomes ``AssetCheckResult``s.
The invariants (unique ids, lake = warehouse, every inbox file accounted for) are blocking: when one
fails, nothing downstream runs on the bad data."""
from datetime import datetime, timezone

import dagster as dg

from o3_governance import ingest
from o3_governance.defs.resources import GovernanceResource, writes_warehouse
from o3_governance.storage import warehouse

ARCHIVES = dg.AssetKey("archives")
MESSAGES = dg.AssetKey("messages")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(ARCHIVES, group_name="ingest", kinds={"python", "duckdb"},
                     description="Registry of every item that reached the inbox tree (files, unzipped export "
                                 "folders, links): sha256, status (ingested / partial / duplicate / quarantined), "
                                 "a one-line reason, chats per archive and how each was matched."),
        dg.AssetSpec(MESSAGES, group_name="ingest", kinds={"parquet", "duckdb"},
                     description="Every WhatsApp message, deduplicated across re-exports: the Parquet lake "
                                 "(partitioned by chat and month) and the warehouse table `messages`."),
    ],
    check_specs=[
        dg.AssetCheckSpec("unique_message_id", asset=MESSAGES, blocking=True,
                          description="No message_id appears twice in the warehouse."),
        dg.AssetCheckSpec("lake_matches_warehouse", asset=MESSAGES, blocking=True,
                          description="The Parquet lake and the warehouse hold the same number of messages."),
        dg.AssetCheckSpec("every_inbox_file_accounted_for", asset=ARCHIVES, blocking=True,
                          description="Each file found in the inbox tree (subfolders too) has a registry row and "
                                      "has left the inbox, unless it was left for the next night on purpose."),
        dg.AssetCheckSpec("no_quarantined_archives", asset=ARCHIVES,
                          description="Warns when files were quarantined this run (see `archives.reason`)."),
    ],
    can_subset=False,
)
@writes_warehouse
def ingest_inbox(context: dg.AssetExecutionContext, governance: GovernanceResource):
    layout = governance.layout()
    conf = governance.settings()
    summary = ingest.ingest_inbox(layout, run_id=context.run.run_id, now=datetime.now(timezone.utc),
                                  raw_retention_days=conf.raw_retention_days,
                                  quarantine_retention_days=conf.quarantine_retention_days,
                                  max_body_chars=conf.max_body_chars, max_archive_bytes=conf.max_archive_bytes,
                                  max_night_bytes=conf.max_night_bytes)
    context.log.info(
        f"inbox: {len(summary.inbox_files)} items; ingested {summary.count('ingested')}, partial "
        f"{summary.count('partial')}, duplicate {summary.count('duplicate')}, quarantined "
        f"{summary.count('quarantined')}, retry tomorrow (system fault) {summary.count('retry_later')}; "
        f"{summary.new_messages} new messages; {summary.left_in_inbox} items left for the next night (byte cap); "
        f"media not captured {summary.counted('media_not_captured')} "
        f"(older than 7 days: {summary.counted('media_not_captured_expired')})")
    if summary.migration:
        context.log.info(f"message identity v2: migration done ({summary.migration.get('messages', 0)} messages "
                         f"re-keyed)")

    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        check = ingest.check_ingest(con, layout, summary)

    yield dg.MaterializeResult(asset_key=ARCHIVES, metadata={
        "dagster/row_count": check.archives_total,
        "files_this_run": len(summary.inbox_files),
        "ingested_this_run": summary.count("ingested"),
        "duplicate_this_run": summary.count("duplicate"),
        "quarantined_this_run": check.quarantined_this_run,
        "partial_this_run": summary.count("partial"),
        "retry_later_this_run": check.retry_later_this_run,
        "records_rejected_this_run": sum(a.rejected_count for a in summary.archives),
        "chats_this_run": sum(a.chat_count for a in summary.archives),
        "chats_matched_by_content_this_run": sum(1 for a in summary.archives for c in a.chats
                                                 if c.chat_match == "content"),
        "media_not_captured_this_run": summary.counted("media_not_captured"),
        "media_not_captured_older_than_7_days": summary.counted("media_not_captured_expired"),
        "events_for_unknown_messages_this_run": summary.counted("events_for_unknown_messages"),
        "ingested_total": check.archives_by_status.get("ingested", 0),
        "quarantined_total": check.archives_by_status.get("quarantined", 0),
        "raw_archives_removed": summary.raw_removed,
        "left_in_inbox_for_next_night": summary.left_in_inbox,
        "bytes_expanded_this_run": summary.bytes_expanded,
    })
    yield dg.MaterializeResult(asset_key=MESSAGES, metadata={
        "dagster/row_count": check.messages_total,
        "new_messages_this_run": summary.new_messages,
        "messages_read_this_run": summary.messages_read,
        "chats": check.chats,
        "lake_rows": check.lake_rows,
        "messages_changed_by_sender_this_run": summary.messages_changed,
    })
    yield dg.AssetCheckResult(check_name="unique_message_id", asset_key=MESSAGES, passed=check.unique_message_ids,
                              metadata={"duplicated_ids": check.duplicated_ids})
    yield dg.AssetCheckResult(check_name="lake_matches_warehouse", asset_key=MESSAGES,
                              passed=check.lake_matches_warehouse,
                              metadata={"lake_rows": check.lake_rows, "warehouse_rows": check.messages_total})
    yield dg.AssetCheckResult(check_name="every_inbox_file_accounted_for", asset_key=ARCHIVES,
                              passed=check.every_inbox_file_accounted_for,
                              metadata={"unaccounted_files": check.unaccounted_files})
    reasons = check.quarantine_reasons
    yield dg.AssetCheckResult(
        check_name="no_quarantined_archives", asset_key=ARCHIVES, passed=check.quarantined_this_run == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantined_this_run": check.quarantined_this_run,
                  "reasons": dg.MetadataValue.md("\n".join(f"- {n} × {r}" for r, n in sorted(reasons.items())) or "none")})
