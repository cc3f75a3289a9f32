"""Restriction, objection (and lifting them), and rectification."""
from __future__ import annotations

from datetime import datetime

from o3_governance import ingest
from o3_governance.storage import warehouse
from o3_governance.rights import finder, restriction
from support.rights import (SUBJECT_NAME, SUBJECT_PHONE, build_warehouse, carry_out, configured_directory, messages,
                            record, run)

import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock


def _restricted(layout) -> set[str]:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return restriction.restricted_message_ids(con)


def _subject_ids(layout) -> set[str]:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return finder.find_subject_data(con, SUBJECT_PHONE, SUBJECT_NAME, directory=configured_directory())[1].all_ids


def test_restriction_marks_the_subjects_messages_only_stored(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "RES-1", "restriction")
    assert result.status == "completed"
    assert result.outcome["messages_restricted"] == 8
    restricted = _restricted(data_layout)
    assert restricted == _subject_ids(data_layout) and len(restricted) == 8
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        kept = con.execute(f"SELECT count(*) FROM messages m WHERE {restriction.exclusion_sql(con, 'm.message_id')}"
                           ).fetchone()[0]
        # identifiers are kept while the restriction is in force (to restrict new messages too)
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 1
    assert kept == len(messages(data_layout)) - 8


def test_messages_ingested_after_a_restriction_are_restricted_too(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "RES-1", "restriction")
    before = _restricted(data_layout)
    (data_layout.inbox / "WhatsApp Chat with Client Bruxelles.txt").write_text(
        "12/04/2023, 09:05 - Jan Peeters: Nouveau message après la restriction\n", encoding="utf-8")
    ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    after = _restricted(data_layout)
    assert len(after) == len(before) + 1


def test_lifting_a_restriction_is_recorded_and_releases_the_data(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    run(data_layout, "RES-1", "restriction")
    result = run(data_layout, "RES-2", "restriction", lift=True, name=None, email=None)
    assert result.status == "completed" and result.outcome["lifted"] == 1
    assert "18(3)" in result.outcome["note"]
    assert _restricted(data_layout) == set()
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        lifted_at, by = con.execute("SELECT lifted_at, lift_request_id FROM restrictions").fetchone()
        assert isinstance(lifted_at, datetime) and by == "RES-2"
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 0
        events = [r[0] for r in con.execute("SELECT event FROM audit_log WHERE event LIKE 'dsr.%' ORDER BY seq").fetchall()]
    assert events == ["dsr.received", "dsr.restriction.completed", "dsr.received", "dsr.restriction.completed"]


def test_lifting_when_nothing_is_restricted_is_rejected(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    result = run(data_layout, "RES-3", "restriction", lift=True)
    assert result.status == "rejected" and "no active restriction" in result.outcome["reason"]


def test_objection_is_a_restriction_with_a_review_flag(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    result = run(data_layout, "OBJ-1", "objection")
    assert result.outcome["review_required"] is True
    assert _restricted(data_layout) == _subject_ids(data_layout)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT kind, review_required FROM restrictions").fetchall() == [("objection", True)]
    # lifting an objection does not lift a restriction, and the other way round
    run(data_layout, "RES-4", "restriction")
    assert run(data_layout, "OBJ-2", "objection", lift=True).outcome["lifted"] == 1
    assert _restricted(data_layout) == _subject_ids(data_layout)


def test_restricted_ids_on_a_warehouse_without_requests_are_empty(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        assert restriction.restricted_message_ids(con) == set()
        # The view exists with every warehouse (storage.restrictions): the condition keeps every message.
        total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert con.execute(f"SELECT count(*) FROM messages WHERE {restriction.exclusion_sql(con)}").fetchone()[0] == total


def test_erasure_removes_the_author_strings_kept_for_a_restriction(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "RES-1", "restriction")
    run(data_layout, "ERA-1", "erasure")
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM restriction_authors").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 0
    assert _restricted(data_layout) == set()


def test_rectification_records_a_corrected_mapping_used_from_then_on(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    monkeypatch.delenv("O3_DIRECTORY_FILE")
    # Without the directory only the message shown with the number is found by phone.
    assert run(data_layout, "ACC-1", "access", name=None, email=None).outcome["messages_written"] == 1
    result = run(data_layout, "REC-1", "rectification", name=None, email=None, new_name="Jan Peeters")
    assert result.status == "completed" and result.outcome["name_corrected"] is True
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT name, phone, request_id, superseded_at FROM subject_mappings").fetchall() == [
            ("Jan Peeters", SUBJECT_PHONE, "REC-1", None)]
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 0
    assert run(data_layout, "ACC-2", "access", name=None, email=None).outcome["messages_written"] == 2


def test_a_second_rectification_supersedes_the_first_but_keeps_the_link(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "REC-1", "rectification", new_name="Jan Peeters")
    run(data_layout, "REC-2", "rectification", new_phone="0471 99 88 77")
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT request_id, phone, superseded_at IS NULL FROM subject_mappings ORDER BY recorded_at"
                           ).fetchall()
    assert rows == [("REC-1", SUBJECT_PHONE, False), ("REC-2", "+32471998877", True)]
    record(data_layout, "X-1", "access")
    assert carry_out(data_layout, "X-1").outcome["messages_written"] == 2
