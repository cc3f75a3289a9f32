"""Issue 11 for Cloud API captures: salvage, statuses-only captures, edits and revokes applied in every
store, reactions linked to their message, media checked against the webhook's sha256."""
import json
from datetime import datetime, timezone

import duckdb
from captures import edit, image, jsonl, reaction, revoke, status, text

from o3_governance import ingest
from o3_governance.ingest.identity import wamid_id
from o3_governance.storage import warehouse

NIGHT1 = datetime(2025, 11, 3, 2, 0, tzinfo=timezone.utc)
NIGHT2 = datetime(2025, 11, 4, 2, 0, tzinfo=timezone.utc)
FIXTURE = "tests/fixtures/parsing/webhook_all_types.jsonl"
SECRET = "Goeiemorgen, de sleutel ligt onder de mat"


def drop(layout, name, data):
    path = layout.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def one(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def lake_rows(layout):
    con = duckdb.connect()
    pattern = str(layout.lake_messages / "*" / "*" / "*.parquet")
    return con.execute(f"SELECT message_id, body, edited, message_type FROM read_parquet('{pattern}', "
                       "hive_partitioning=false, union_by_name=true)").fetchall()


def test_a_capture_with_a_bad_record_keeps_its_good_ones(data_layout):
    """Before: one broken JSON line quarantined the whole capture. Now: partial, the bad line kept aside."""
    from pathlib import Path
    drop(data_layout, "cloud_api/webhooks.jsonl", Path(FIXTURE).read_bytes())
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives
    assert (r.status, r.message_count, r.rejected_count) == ("partial", 7, 1)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert one(con, "SELECT status, rejected_count, file_name FROM archives") == [
            ("partial", 1, "cloud_api/webhooks.jsonl")]
        assert one(con, "SELECT member, line_no, reason FROM archive_rejects") == [(1, 16, "malformed JSON")]
        counts = json.loads(one(con, "SELECT counts FROM archives")[0][0])
        assert counts["statuses"] == 1 and counts["errors"] == 2 and counts["media_not_captured"] == 1
        assert counts["media_not_captured_expired"] == 1   # sent in 2024: Meta's media id is long gone
        # the edit and the revoke of the same capture applied before anything was written
        f1, f3 = wamid_id("wamid.F1"), wamid_id("wamid.F3")
        assert one(con, "SELECT body, edited FROM messages WHERE message_id = ?", f1) == [
            ("Goeiemorgen, komt de technieker vandaag?", True)]
        assert one(con, "SELECT message_type, body FROM messages WHERE message_id = ?", f3) == [("deleted", "")]
        # reaction then its removal: nothing left
        assert one(con, "SELECT count(*) FROM message_reactions") == [(0,)]
        assert one(con, "SELECT count(DISTINCT chat_id), count(*) FILTER (WHERE author_id IS NOT NULL) "
                        "FROM messages") == [(2, 6)]
        from o3_governance.ingest import queries
        assert queries.intake_counts(con)["records_rejected"] == 1
    assert not (data_layout.inbox / "cloud_api").exists(), "the emptied subfolder is removed"


def test_a_capture_of_only_statuses_is_ingested_with_0_messages(data_layout):
    """Before: quarantined as "no messages found"."""
    drop(data_layout, "statuses.jsonl", jsonl(status("wamid.S1"), status("wamid.S2")))
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives
    assert (r.status, r.message_count, r.counts) == ("ingested", 0, {"statuses": 2})


def test_edits_and_revokes_change_the_stored_message_in_every_store(data_layout):
    drop(data_layout, "night1.jsonl", jsonl(text("wamid.A", SECRET), text("wamid.B", "Bel me terug aub"),
                                            text("wamid.C", "Tot morgen")))
    ingest.ingest_inbox(data_layout, now=NIGHT1)
    assert any(SECRET == b for _, b, _, _ in lake_rows(data_layout))
    drop(data_layout, "night2.jsonl", jsonl(edit("wamid.E", "wamid.A", "De sleutel is afgegeven"),
                                            revoke("wamid.R", "wamid.B"), revoke("wamid.X", "wamid.unknown")))
    summary = ingest.ingest_inbox(data_layout, now=NIGHT2)
    (r,) = summary.archives
    assert r.counts == {"events_applied": 2, "events_for_unknown_messages": 1}
    assert summary.messages_changed == 2
    a, b = wamid_id("wamid.A"), wamid_id("wamid.B")
    lake = {mid: (body, edited, kind) for mid, body, edited, kind in lake_rows(data_layout)}
    assert lake[a] == ("De sleutel is afgegeven", True, "text")
    assert lake[b][0] == "" and lake[b][2] == "deleted"
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert one(con, "SELECT body, edited FROM messages WHERE message_id = ?", a) == [
            ("De sleutel is afgegeven", True)]
        assert one(con, "SELECT message_type, body FROM messages WHERE message_id = ?", b) == [("deleted", "")]
        assert one(con, "SELECT count(*) FROM messages") == [(3,)]
    # the earlier text is in no lake file, not even in a leftover one
    for f in data_layout.lake_messages.rglob("*.parquet"):
        texts = duckdb.connect().execute(f"SELECT body FROM read_parquet('{f}')").fetchall()
        assert (SECRET,) not in texts
        assert SECRET.encode() not in f.read_bytes()


def test_reactions_are_linked_to_their_message_and_removed(data_layout):
    drop(data_layout, "night1.jsonl", jsonl(text("wamid.A", "Is de levering gebeurd?")))
    ingest.ingest_inbox(data_layout, now=NIGHT1)
    drop(data_layout, "night2.jsonl", jsonl(reaction("wamid.R1", "wamid.A", "👍"), reaction("wamid.R2", "wamid.Z", "🎉")))
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert (r.message_count, r.counts) == (0, {"events_applied": 1, "events_for_unknown_messages": 1})
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ((mid, key, emoji),) = one(con, "SELECT message_id, author_key, emoji FROM message_reactions")
        assert (mid, emoji) == (wamid_id("wamid.A"), "👍")
        assert "32470000001" not in key and len(key) == 32
        assert one(con, "SELECT count(*) FROM messages") == [(1,)], "a reaction is not a message"
    drop(data_layout, "night3.jsonl", jsonl(reaction("wamid.R3", "wamid.A", None)))
    ingest.ingest_inbox(data_layout, now=NIGHT2.replace(day=5))
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert one(con, "SELECT count(*) FROM message_reactions") == [(0,)]


def test_capture_media_are_stored_when_their_sha256_matches(data_layout):
    good, bad = b"\xff\xd8" + b"meterkast" * 50, b"\xff\xd8" + b"kabels" * 50
    drop(data_layout, "cap/webhooks.jsonl", jsonl(image("wamid.M1", "111", good), image("wamid.M2", "222", good[:-1]),
                                                  image("wamid.M3", "333", good)))
    drop(data_layout, "cap/media/111.jpg", good)
    drop(data_layout, "cap/media/222.jpg", bad)        # not what the webhook declared
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives   # 333 never arrived
    assert r.status == "ingested" and r.message_count == 3
    assert r.counts == {"media_stored": 1, "media_sha_mismatch": 1, "media_not_captured": 1}
    stored = list(data_layout.media.rglob("*.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == good
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert one(con, "SELECT message_id, media_sha256 IS NOT NULL FROM messages ORDER BY line_no") == [
            (wamid_id("wamid.M1"), True), (wamid_id("wamid.M2"), False), (wamid_id("wamid.M3"), False)]
    assert not (data_layout.inbox / "cap").exists()


def test_media_not_captured_older_than_7_days_are_counted_as_expired(data_layout):
    drop(data_layout, "late.jsonl", jsonl(image("wamid.M1", "111", b"x")))   # sent 2025-11-02
    (r,) = ingest.ingest_inbox(data_layout, now=datetime(2025, 11, 20, tzinfo=timezone.utc)).archives
    assert r.counts == {"media_not_captured": 1, "media_not_captured_expired": 1}
