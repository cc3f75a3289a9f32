"""Dagster definitions for ingest: the ``archives`` and ``messages`` assets, their checks and the inbox sensor."""

import hashlib
import json
from datetime import datetime, timezone

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse

from o3_governance import ingest
from o3_governance.config import DataLayout
from o3_governance.storage import lake, warehouse
from o3_governance.defs.nightly.jobs import nightly_governance

ARCHIVES = dg.AssetKey("archives")
MESSAGES = dg.AssetKey("messages")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(ARCHIVES, group_name="ingest", kinds={"python", "duckdb"},
                     description="Registry of every file that reached the inbox: sha256, status "
                                 "(ingested / duplicate / quarantined) and a one-line reason."),
        dg.AssetSpec(MESSAGES, group_name="ingest", kinds={"parquet", "duckdb"},
                     description="Every WhatsApp message, deduplicated across re-exports: the Parquet lake "
                                 "(partitioned by chat and month) and the warehouse table `messages`."),
    ],
    check_specs=[
        dg.AssetCheckSpec("unique_message_id", asset=MESSAGES,
                          description="No message_id appears twice in the warehouse."),
        dg.AssetCheckSpec("lake_matches_warehouse", asset=MESSAGES,
                          description="The Parquet lake and the warehouse hold the same number of messages."),
        dg.AssetCheckSpec("every_inbox_file_accounted_for", asset=ARCHIVES,
                          description="Each file found in the inbox has a registry row and has left the inbox."),
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
                                  max_body_chars=conf.max_body_chars, max_archive_bytes=conf.max_archive_bytes,
                                  max_night_bytes=conf.max_night_bytes)
    context.log.info(
        f"inbox: {len(summary.inbox_files)} files; ingested {summary.count('ingested')}, duplicate "
        f"{summary.count('duplicate')}, quarantined {summary.count('quarantined')}; "
        f"{summary.new_messages} new messages; {summary.left_in_inbox} files left for the next night (byte cap)")

    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        archives_total = con.execute("SELECT count(*) FROM archives").fetchone()[0]
        by_status = dict(con.execute("SELECT status, count(*) FROM archives GROUP BY status").fetchall())
        messages_total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        chats = con.execute("SELECT count(DISTINCT chat_id) FROM messages").fetchone()[0]
        duplicates = con.execute(
            "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1)").fetchone()[0]
        lake_rows = lake.lake_row_count(con, layout.lake_messages)
        shas = [sha for _, sha in summary.inbox_files]
        registered = {r[0] for r in con.execute(
            "SELECT DISTINCT sha256 FROM archives WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))", [shas]).fetchall()}
    still_in_inbox = {p.name for p in ingest.inbox_files(layout.inbox)}
    unaccounted = [name for name, sha in summary.inbox_files if sha not in registered or name in still_in_inbox]
    quarantined_now = summary.count("quarantined")

    yield dg.MaterializeResult(asset_key=ARCHIVES, metadata={
        "dagster/row_count": archives_total,
        "files_this_run": len(summary.inbox_files),
        "ingested_this_run": summary.count("ingested"),
        "duplicate_this_run": summary.count("duplicate"),
        "quarantined_this_run": quarantined_now,
        "ingested_total": by_status.get("ingested", 0),
        "quarantined_total": by_status.get("quarantined", 0),
        "raw_archives_removed": summary.raw_removed,
        "left_in_inbox_for_next_night": summary.left_in_inbox,
        "bytes_expanded_this_run": summary.bytes_expanded,
    })
    yield dg.MaterializeResult(asset_key=MESSAGES, metadata={
        "dagster/row_count": messages_total,
        "new_messages_this_run": summary.new_messages,
        "messages_read_this_run": summary.messages_read,
        "chats": chats,
        "lake_rows": lake_rows,
    })
    yield dg.AssetCheckResult(check_name="unique_message_id", asset_key=MESSAGES, passed=duplicates == 0,
                              metadata={"duplicated_ids": duplicates})
    yield dg.AssetCheckResult(check_name="lake_matches_warehouse", asset_key=MESSAGES,
                              passed=lake_rows == messages_total,
                              metadata={"lake_rows": lake_rows, "warehouse_rows": messages_total})
    yield dg.AssetCheckResult(check_name="every_inbox_file_accounted_for", asset_key=ARCHIVES,
                              passed=not unaccounted, metadata={"unaccounted_files": len(unaccounted)})
    reasons: dict[str, int] = {}
    for a in summary.archives:
        if a.status == "quarantined":
            reasons[a.reason or ""] = reasons.get(a.reason or "", 0) + 1
    yield dg.AssetCheckResult(
        check_name="no_quarantined_archives", asset_key=ARCHIVES, passed=quarantined_now == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"quarantined_this_run": quarantined_now,
                  "reasons": dg.MetadataValue.md("\n".join(f"- {n} × {r}" for r, n in sorted(reasons.items())) or "none")})
