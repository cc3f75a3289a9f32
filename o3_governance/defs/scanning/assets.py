"""Dagster definitions for the scanning domain: the ``findings`` asset and its checks."""

import dagster as dg

from o3_governance.defs.resources import GovernanceResource, writes_warehouse


from o3_governance.storage import audit, warehouse
from o3_governance.scanning import store
from o3_governance.scanning.categories import SPECIAL_CATEGORY_TYPES

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
        dg.AssetCheckSpec("every_text_message_scanned", asset=FINDINGS,
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
                                       seconds_budget=conf.scan_seconds_per_night)
        unscanned = store.unscanned_text_messages(con, summary.config_hash)
        total = con.execute("SELECT count(*) FROM findings").fetchone()[0]
        by_type = dict(con.execute("SELECT entity_type, count(*) FROM findings GROUP BY ALL").fetchall())
        messages_with = con.execute("SELECT count(DISTINCT message_id) FROM findings").fetchone()[0]
        special = store.special_counts_by_chat(con)
        special_messages = len(store.special_category_message_ids(con))
        audit.append(con, "scan", {"scanner_config": summary.config_hash, "due": summary.due,
                                   "scanned": summary.scanned, "skipped": summary.skipped,
                                   "findings_written": summary.findings_written,
                                   "truncated_for_scan": summary.truncated_for_scan,
                                   "left_for_next_night": summary.left_for_next_night,
                                   "messages_with_special_category": special_messages}, run_id=context.run.run_id)
    context.log.info(f"scan: {summary.due} due, {summary.scanned} scanned, {summary.skipped} skipped, "
                     f"{summary.unique_texts} distinct texts analysed, {summary.reused_texts} reused, "
                     f"{summary.findings_written} findings written in {summary.seconds:.1f} s; "
                     f"{summary.truncated_for_scan} long bodies scanned in windows; "
                     f"{summary.left_for_next_night} left for the next night (time budget)")

    yield dg.MaterializeResult(metadata={
        "dagster/row_count": total,
        "messages_with_findings": messages_with,
        "messages_with_special_category": special_messages,
        "due_this_run": summary.due,
        "scanned_this_run": summary.scanned,
        "skipped_this_run": summary.skipped,
        "distinct_texts_analysed": summary.unique_texts,
        "distinct_texts_reused": summary.reused_texts,
        "findings_written_this_run": summary.findings_written,
        "truncated_for_scan_this_run": summary.truncated_for_scan,
        "left_for_next_night": summary.left_for_next_night,
        "scan_budget_exhausted": summary.budget_exhausted,
        "scan_seconds": round(summary.seconds, 2),
        "scanner_config": summary.config_hash,
        "findings_by_type": dg.MetadataValue.json({k: by_type[k] for k in sorted(by_type)}),
    })
    # Messages left by the time budget are due again tomorrow: a warning, not an error.
    yield dg.AssetCheckResult(check_name="every_text_message_scanned", passed=unscanned == 0,
                              severity=dg.AssetCheckSeverity.WARN if summary.budget_exhausted
                              else dg.AssetCheckSeverity.ERROR,
                              metadata={"unscanned_text_messages": unscanned,
                                        "left_for_next_night": summary.left_for_next_night})
    per_category: dict[str, int] = {}
    rows = []
    for chat_id, category, n in special:
        per_category[category] = per_category.get(category, 0) + n
        rows.append(f"| {chat_id} | {category} | {n} |")
    yield dg.AssetCheckResult(
        check_name="no_special_category_data", passed=not special, severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "messages_with_special_category": special_messages,
            "by_category": dg.MetadataValue.json({c: per_category.get(c, 0) for c in sorted(SPECIAL_CATEGORY_TYPES)}),
            "by_chat": dg.MetadataValue.md("| chat_id | category | messages |\n|---|---|---|\n" + "\n".join(rows)
                                           if rows else "none"),
        })


