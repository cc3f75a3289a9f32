"""The ingest invariants are the domain's plain function; the Dagster shell reports them, and a
failing invariant blocks what is downstream."""
from dataclasses import replace
from datetime import datetime, timezone

import dagster as dg

from support.dagster_resources import resources
from o3_governance import ingest
from o3_governance.defs.ingest.assets import ingest_inbox as ingest_asset
from o3_governance.defs.scanning.assets import findings as findings_asset
from o3_governance.storage import warehouse

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
CHAT = ("12/03/2024, 09:01 - Ann Peeters: Goeiemorgen, de levering is er\n"
        "12/03/2024, 09:02 - Bram Claes: Top, ik kom kijken\n")


def test_a_clean_night_passes_every_invariant(data_layout):
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt").write_text(CHAT, encoding="utf-8")
    (data_layout.inbox / "notities.txt").write_text("Boodschappenlijst\nmelk\n" * 5, encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=NOW)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        check = ingest.check_ingest(con, data_layout, summary)
    assert check.unique_message_ids and check.lake_matches_warehouse and check.every_inbox_file_accounted_for
    assert (check.messages_total, check.lake_rows, check.chats, check.archives_total) == (2, 2, 1, 2)
    assert check.archives_by_status == {"ingested": 1, "quarantined": 1}
    assert check.quarantined_this_run == 1 and sum(check.quarantine_reasons.values()) == 1
    assert not any("melk" in r or "Boodschappen" in r for r in check.quarantine_reasons)


def test_broken_invariants_are_counted(data_layout):
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt").write_text(CHAT, encoding="utf-8")
    summary = ingest.ingest_inbox(data_layout, now=NOW)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute("INSERT INTO messages SELECT * FROM messages LIMIT 1")   # a duplicated id, not in the lake
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt").write_text(CHAT, encoding="utf-8")  # back again
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        check = ingest.check_ingest(con, data_layout, summary)
    assert (check.duplicated_ids, check.messages_total, check.lake_rows, check.unaccounted_files) == (1, 3, 2, 1)
    assert not (check.unique_message_ids or check.lake_matches_warehouse or check.every_inbox_file_accounted_for)


def test_a_failing_invariant_stops_what_is_downstream(data_layout, monkeypatch):
    real = ingest.check_ingest
    monkeypatch.setattr(ingest, "check_ingest",
                        lambda con, layout, summary: replace(real(con, layout, summary), duplicated_ids=1))
    result = dg.materialize([ingest_asset, findings_asset], resources=resources(data_layout), raise_on_error=False)
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not evaluations["unique_message_id"].passed
    assert evaluations["unique_message_id"].severity == dg.AssetCheckSeverity.ERROR
    materialized = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
                    for m in [m.event_specific_data.materialization]}
    assert "findings" not in materialized


def test_without_a_failing_invariant_the_downstream_asset_runs(data_layout):
    result = dg.materialize([ingest_asset, findings_asset], resources=resources(data_layout))
    materialized = {e.event_specific_data.materialization.asset_key.to_user_string()
                    for e in result.get_asset_materialization_events()}
    assert {"archives", "messages", "findings"} <= materialized
    specs = {s.name: s for s in ingest_asset.check_specs}
    assert all(specs[n].blocking for n in ("unique_message_id", "lake_matches_warehouse",
                                           "every_inbox_file_accounted_for"))
    assert not specs["no_quarantined_archives"].blocking
