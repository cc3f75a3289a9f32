"""purge.apply_changes: every store, byte-level absence, crash and recovery, idempotence."""
import json
from datetime import datetime, timezone

import pyarrow.parquet as pq
import pytest

from o3_governance.storage import audit, lake, warehouse
from o3_governance import ingest, purge
from o3_governance.purge import steps

from support.retention import holders, zip_bytes

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock

# Long, unique texts: a byte-level search for them cannot hit by chance.
SECRET = "Vertrouwelijk: de diagnose van Ann is diabetes type twee, bel haar niet meer op kantoor"
KEEP = "De installatie in Leuven start om tien uur met de nieuwe omvormer"
REDACT = "Mijn rekeningnummer staat op de factuur van maart voor de werf in Gent"
CHAT_V1 = (
    "12/03/2024, 09:01 - Ann Peeters: " + KEEP + "\n"
    "12/03/2024, 09:02 - Bram Claes: " + SECRET + "\n"
    "12/03/2024, 09:03 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"
    "12/03/2024, 09:04 - Bram Claes: IMG-20240312-WA0002.jpg (bestand bijgevoegd)\n"
    "12/03/2024, 09:05 - Bram Claes: IMG-20240312-WA0003.jpg (bestand bijgevoegd)\n"
    "02/04/2024, 10:00 - Ann Peeters: " + REDACT + "\n"
)
CHAT_V2_EXTRA = "03/04/2024, 11:00 - Bram Claes: Tot morgen op de werf in Gent, met de ladder\n"
SHARED_PHOTO = b"\xff\xd8\xff\xe0" + b"gedeelde-foto-van-de-meterkast" * 40
PRIVATE_PHOTO = b"\xff\xd8\xff\xe0" + b"prive-foto-van-een-medisch-attest" * 40


@pytest.fixture
def populated(data_layout, monkeypatch):
    """Two exports of one chat (the second repeats the first), media, kept raw archives, two exports."""
    media = {"IMG-20240312-WA0001.jpg": SHARED_PHOTO, "IMG-20240312-WA0002.jpg": SHARED_PHOTO,
             "IMG-20240312-WA0003.jpg": PRIVATE_PHOTO}
    (data_layout.inbox / "WhatsApp-chat met Werf Leuven.zip").write_bytes(
        zip_bytes({"WhatsApp-chat met Werf Leuven.txt": CHAT_V1.encode(), **media}))
    assert ingest.ingest_inbox(data_layout, now=INGESTED_AT, raw_retention_days=30).archives[0].status == "ingested"
    (data_layout.inbox / "WhatsApp-chat met Werf Leuven (1).zip").write_bytes(
        zip_bytes({"WhatsApp-chat met Werf Leuven.txt": (CHAT_V1 + CHAT_V2_EXTRA).encode(), **media}))
    assert ingest.ingest_inbox(data_layout, now=INGESTED_AT, raw_retention_days=30).archives[0].status == "ingested"
    (data_layout.inbox / "WhatsApp Chat with Other.txt").write_text(
        "12/03/2024, 09:01 - Carl: Een ander gesprek over de planning van volgende week\n", encoding="utf-8")
    ingest.ingest_inbox(data_layout, now=INGESTED_AT, raw_retention_days=30)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        ids = dict(con.execute("SELECT coalesce(attachment, body), message_id FROM messages").fetchall())
        shas = dict(con.execute("SELECT attachment, media_sha256 FROM messages WHERE media_sha256 IS NOT NULL").fetchall())
        con.execute("CREATE TABLE findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, \"end\" INTEGER, "
                    "score DOUBLE, recognizer VARCHAR)")
        con.execute("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) VALUES (?, 'HEALTH_DATA', 28, 36, 0.9, 'kw'), (?, 'IBAN_CODE', 5, 20, 0.9, 'x'),"
                    " (?, 'PERSON', 0, 3, 0.5, 'x')", [ids[SECRET], ids[REDACT], ids[KEEP]])
        con.execute("CHECKPOINT")
    # An earlier access export holding the secret message, and one that does not.
    hit = data_layout.exports / "REQ-1"
    hit.mkdir(parents=True)
    (hit / "messages.json").write_text(json.dumps([{"body": SECRET, "author": "Bram Claes"}], ensure_ascii=True))
    other = data_layout.exports / "REQ-2"
    other.mkdir()
    (other / "messages.json").write_text(json.dumps([{"body": KEEP}]))
    return data_layout, ids, shas


def test_delete_leaves_no_byte_of_the_message_anywhere(populated):
    layout, ids, shas = populated
    before = holders(layout.root, SECRET)
    # Positive control: the search does see the text in each kind of store before the purge.
    assert "warehouse.duckdb" in before or "warehouse.duckdb.wal" in before
    assert any(p.startswith("lake/") for p in before)
    assert sum(p.startswith("raw/") for p in before) == 2, "both kept exports repeat the message"
    assert "exports/REQ-1/messages.json" in before
    media_path = next(layout.media.rglob(shas["IMG-20240312-WA0003.jpg"] + "*"))
    assert holders(layout.root, PRIVATE_PHOTO.decode("latin-1")[4:40]) != []

    result = purge.apply_changes(layout, now=NOW, delete_ids={ids[SECRET], ids["IMG-20240312-WA0003.jpg"]},
                                 run_id="r1", event="test_delete", details={"reason": "test"})

    assert holders(layout.root, SECRET) == []
    assert not media_path.exists()
    assert result.messages_deleted == 2
    assert result.raw_archives_removed == 2 and result.exports_removed == 1
    assert result.media_files_removed == 1
    # Every table holding message ids is checked; the restriction marks (storage) are always there.
    assert result.warehouse_rows_deleted == {"findings": 1, "restricted_messages": 0}
    assert result.lake_files_rewritten >= 1 and result.compacted
    assert not (layout.exports / "REQ-1").exists() and (layout.exports / "REQ-2").exists()
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE message_id IN (?, ?)",
                           [ids[SECRET], ids["IMG-20240312-WA0003.jpg"]]).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM archives WHERE raw_path IS NOT NULL").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM archives WHERE raw_removed_at IS NOT NULL").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 2
        lake_rows = lake.lake_row_count(con, layout.lake_messages)
        assert lake_rows == con.execute("SELECT count(*) FROM messages").fetchone()[0] == 6
        assert audit.verify(con).ok
        event, details = con.execute("SELECT event, details FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert event == "test_delete"
    assert json.loads(details)["purge"]["messages_deleted"] == 2
    assert SECRET not in details and "Bram" not in details
    # Untouched messages are all still there, in every store.
    assert holders(layout.root, KEEP) != []
    assert not list(layout.work.glob("purge-journal-*"))


def test_shared_media_stays_while_another_message_uses_it(populated):
    layout, ids, shas = populated
    sha = shas["IMG-20240312-WA0001.jpg"]
    assert sha == shas["IMG-20240312-WA0002.jpg"]
    result = purge.apply_changes(layout, now=NOW, delete_ids={ids["IMG-20240312-WA0001.jpg"]}, event="t", details={})
    assert list(layout.media.rglob(sha + "*")), "the other message still references the same photo"
    assert result.media_files_removed == 0
    purge.apply_changes(layout, now=NOW, delete_ids={ids["IMG-20240312-WA0002.jpg"]}, event="t", details={})
    assert not list(layout.media.rglob(sha + "*"))


def test_update_rewrites_text_everywhere_and_replaces_findings(populated):
    layout, ids, _ = populated
    mid = ids[REDACT]
    new_body = "Mijn rekeningnummer staat op de factuur van maart voor de werf in <LOCATION>"
    result = purge.apply_changes(
        layout, now=NOW, updates={mid: {"body": new_body, "author": "staff member", "author_phone": None}},
        event="test_update", details={},
        new_findings={mid: [{"entity_type": "LOCATION", "start": 64, "end": 74, "score": 1.0,
                             "recognizer": "anonymised"}]})
    assert result.messages_updated == 1 and result.findings_replaced == 1 and result.findings_added == 1
    assert holders(layout.root, REDACT) == []
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT body, author FROM messages WHERE message_id = ?", [mid]).fetchone() == (
            new_body, "staff member")
        assert con.execute("SELECT entity_type, start, \"end\", recognizer FROM findings WHERE message_id = ?",
                           [mid]).fetchall() == [("LOCATION", 64, 74, "anonymised")]
        path = lake.lake_glob(layout.lake_messages)
        assert con.execute(f"SELECT body, author FROM read_parquet('{path}') WHERE message_id = ?",
                           [mid]).fetchone() == (new_body, "staff member")
        assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 8


def test_crash_half_way_then_rerun_finishes(populated, monkeypatch):
    layout, ids, _ = populated
    victim = ids[SECRET]
    real = steps.STEP_FUNCS["warehouse"]

    def crash(layout_, journal, now):
        raise RuntimeError("simulated power cut")

    monkeypatch.setitem(steps.STEP_FUNCS, "warehouse", crash)
    with pytest.raises(RuntimeError):
        purge.apply_changes(layout, now=NOW, delete_ids={victim}, event="t", details={"n": 1})
    # Lake done, warehouse not yet: each store is either old or new, and the job is pending.
    assert len(purge.pending_purges(layout)) == 1
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM messages WHERE message_id = ?", [victim]).fetchone()[0] == 1
    assert not any(p.startswith("lake/") for p in holders(layout.root, SECRET))

    monkeypatch.setitem(steps.STEP_FUNCS, "warehouse", real)
    (result,) = purge.resume_pending(layout, now=NOW)
    assert result.resumed and result.messages_deleted == 1 and result.exports_removed == 1
    assert holders(layout.root, SECRET) == []
    assert purge.pending_purges(layout) == []
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE event = 't'").fetchone()[0] == 1
        assert audit.verify(con).ok


def test_crash_inside_warehouse_transaction_rolls_back_then_rerun(populated, monkeypatch):
    layout, ids, _ = populated
    victim = ids[SECRET]
    real_update = steps._update_messages

    def crash(con, updates):
        raise RuntimeError("simulated crash mid-transaction")

    monkeypatch.setattr(steps, "_update_messages", crash)
    with pytest.raises(RuntimeError):
        purge.apply_changes(layout, now=NOW, delete_ids={victim}, updates={ids[REDACT]: {"body": "x"}}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        # The deletes of the same transaction were rolled back: the warehouse is wholly old.
        assert con.execute("SELECT count(*) FROM messages WHERE message_id = ?", [victim]).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 3
    monkeypatch.setattr(steps, "_update_messages", real_update)
    # Running the same request again finishes the pending job rather than planning anew.
    result = purge.apply_changes(layout, now=NOW, delete_ids={victim}, updates={ids[REDACT]: {"body": "x"}}, event="t",
                                 details={})
    assert result.resumed and result.messages_deleted == 1 and result.messages_updated == 1
    assert holders(layout.root, SECRET) == [] and holders(layout.root, REDACT) == []


def test_crash_during_lake_rewrite_keeps_whole_files(populated, monkeypatch):
    layout, ids, _ = populated
    calls = {"n": 0}
    real_write = pq.write_table

    def flaky(table, where, **kw):
        calls["n"] += 1
        with open(where, "wb") as fh:  # a torn, half-written file
            fh.write(b"PAR1garbage")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", flaky)
    with pytest.raises(OSError):
        purge.apply_changes(layout, now=NOW, delete_ids={ids[SECRET]}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        # Every lake file is still a whole, readable file with the old rows.
        assert lake.lake_row_count(con, layout.lake_messages) == 8
    monkeypatch.setattr(pq, "write_table", real_write)
    purge.resume_pending(layout, now=NOW)
    assert holders(layout.root, SECRET) == []
    assert not [p for p in layout.lake_messages.rglob("*") if p.name.endswith(purge.TMP_SUFFIX)]


def test_named_purge_is_done_once(populated):
    layout, ids, _ = populated
    first = purge.apply_changes(layout, now=NOW, delete_ids={ids[SECRET]}, event="t", details={}, purge_id="job-1")
    second = purge.apply_changes(layout, now=NOW, delete_ids={ids[SECRET]}, event="t", details={}, purge_id="job-1")
    assert second.resumed and second.messages_deleted == first.messages_deleted == 1
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM audit_log WHERE event = 't'").fetchone()[0] == 1


def test_deleted_messages_leave_a_fingerprint_not_their_id(populated):
    layout, ids, _ = populated
    victim = ids[SECRET]
    purge.apply_changes(layout, now=NOW, delete_ids={victim}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse) as con:
        assert purge.was_purged(con, {victim, ids[KEEP]}) == {victim}
        assert con.execute("SELECT count(*) FROM purged_messages").fetchone()[0] == 1
    assert holders(layout.root, victim) == [], "the id itself is gone from every file"
    # The same request again (say, after a later export brought the message back) is carried out again.
    again = purge.apply_changes(layout, now=NOW, delete_ids={victim}, event="t", details={})
    assert not again.resumed


def test_a_fingerprint_remembers_its_chat_so_chat_matching_counts_purged_messages(populated):
    layout, ids, _ = populated
    victim = ids[SECRET]
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        chat = con.execute("SELECT chat_id FROM messages WHERE message_id = ?", [victim]).fetchone()[0]
    purge.apply_changes(layout, now=NOW, delete_ids={victim, "0" * 32}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = con.execute("SELECT chat_id, key_version FROM purged_messages ORDER BY chat_id NULLS LAST").fetchall()
    # The unknown id leaves a fingerprint too (it may come back), without a chat to count it in.
    assert rows == [(chat, 2), (None, 2)]


def test_unknown_ids_change_nothing_but_are_audited(populated):
    layout, _, _ = populated
    size_before = sorted((p.name, p.stat().st_size) for p in layout.lake_messages.rglob("*.parquet"))
    result = purge.apply_changes(layout, now=NOW, delete_ids={"0" * 32}, event="t", details={})
    assert result.messages_deleted == 0 and not result.compacted and result.lake_files_rewritten == 0
    assert sorted((p.name, p.stat().st_size) for p in layout.lake_messages.rglob("*.parquet")) == size_before
    assert (layout.exports / "REQ-1").exists()


def test_key_columns_cannot_be_updated(populated):
    layout, ids, _ = populated
    with pytest.raises(purge.PurgeError, match="cannot update"):
        purge.apply_changes(layout, now=NOW, updates={ids[KEEP]: {"chat_id": "x"}}, event="t", details={})


def test_delete_wins_over_update_of_the_same_message(populated):
    layout, ids, _ = populated
    result = purge.apply_changes(layout, now=NOW, delete_ids={ids[KEEP]}, updates={ids[KEEP]: {"body": "y"}}, event="t",
                                 details={})
    assert result.messages_deleted == 1 and result.messages_updated == 0


@pytest.mark.parametrize("updates, findings", [
    ({"body": 42}, None),
    ({"edited": "yes"}, None),
    ({"body": "x"}, [{"entity_type": "PERSON", "start": 5, "end": 2}]),
    ({"body": "x"}, [{"start": 0, "end": 1}]),
])
def test_bad_update_values_are_refused_before_anything_is_written(populated, updates, findings):
    layout, ids, _ = populated
    mid = ids[KEEP]
    with pytest.raises(purge.PurgeError):
        purge.apply_changes(layout, now=NOW, updates={mid: updates}, new_findings={mid: findings} if findings else None,
                            event="t", details={})
    assert purge.pending_purges(layout) == []


def test_update_to_null_in_a_lake_file_that_declares_the_column_required(populated):
    layout, ids, _ = populated
    mid = ids[REDACT]
    # Rewrite the lake file holding the message with author_phone declared non-nullable.
    (path,) = [p for p in layout.lake_messages.rglob("*.parquet")
               if mid in pq.ParquetFile(p).read().column("message_id").to_pylist()]
    table = pq.ParquetFile(path).read()
    idx = table.column_names.index("author")
    strict = table.schema.set(idx, table.schema.field(idx).with_nullable(False))
    pq.write_table(table.cast(strict), path)
    assert not pq.ParquetFile(path).schema_arrow.field("author").nullable
    purge.apply_changes(layout, now=NOW, updates={mid: {"author": None, "body": "x"}}, event="t", details={})
    rows = pq.ParquetFile(path).read().to_pylist()
    assert [r["author"] for r in rows if r["message_id"] == mid] == [None]


def test_the_run_time_is_the_callers(populated):
    """No clock inside: the fingerprint and the raw archive's removal carry the ``now`` given."""
    layout, ids, _ = populated
    purge.apply_changes(layout, now=NOW, delete_ids={ids[SECRET]}, event="t", details={})
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT DISTINCT purged_at FROM purged_messages").fetchall() == [(NOW,)]
        assert con.execute("SELECT DISTINCT raw_removed_at FROM archives WHERE raw_removed_at IS NOT NULL"
                           ).fetchall() == [(NOW,)]
    with pytest.raises(purge.PurgeError, match="timezone-aware"):
        purge.apply_changes(layout, now=NOW.replace(tzinfo=None), delete_ids={ids[KEEP]}, event="t", details={})
    with pytest.raises(purge.PurgeError, match="timezone-aware"):
        purge.resume_pending(layout, now=NOW.replace(tzinfo=None))


def test_the_package_face_keeps_the_public_names():
    """Other domains call these through ``from o3_governance import purge``."""
    for name in ("apply_changes", "resume_pending", "pending_purges", "completed", "PurgeError", "PurgeResult",
                 "purged_key_sql", "was_purged", "PURGED_DDL"):
        assert hasattr(purge, name), name
    assert set(steps.STEP_FUNCS) == set(purge.STEPS)
