"""Ingest end to end on small hand-written exports: registry, lake, warehouse, media, bad input."""
from datetime import datetime, timedelta, timezone

import pytest
from conftest import zip_bytes

from o3_governance.storage import audit, lake, warehouse
from o3_governance import ingest

CHAT_V1 = (
    "12/03/2024, 09:00 - Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze "
    "lezen of beluisteren, zelfs WhatsApp niet. Tik voor meer informatie.\n"
    "12/03/2024, 09:01 - Ann Peeters: Goeiemorgen, de installatie in Leuven start om 10u\n"
    "12/03/2024, 09:02 - Bram Claes: Ok\n"
    "12/03/2024, 09:02 - Bram Claes: Ok\n"
    "13/03/2024, 17:45 - Ann Peeters: Foto's volgen morgen\nmet de meetwaarden\n"
)
CHAT_V2_EXTRA = (
    "14/03/2024, 08:10 - Bram Claes: Hier zijn ze\n"
    "31/03/2024, 02:30 - Ann Peeters: Nachtwerk aan de kabels\n"
)


NOW = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)   # the night's clock, passed in


def write(path, text_or_bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text_or_bytes, str):
        path.write_text(text_or_bytes, encoding="utf-8")
    else:
        path.write_bytes(text_or_bytes)
    return path


def rows(con, sql, *params):
    return con.execute(sql, list(params)).fetchall()


def test_export_is_ingested_into_lake_and_warehouse(data_layout):
    src = write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    summary = ingest.ingest_inbox(data_layout, now=NOW)
    assert [a.status for a in summary.archives] == ["ingested"]
    assert not src.exists(), "a raw archive is removed once ingested by default"
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    (archive,) = rows(con, "SELECT file_name, status, message_count, new_message_count, raw_path, chat_name FROM archives")
    assert archive == ("WhatsApp Chat with Werf Leuven.txt", "ingested", 5, 5, None, "Werf Leuven")
    assert rows(con, "SELECT count(*), count(DISTINCT message_id) FROM messages") == [(5, 5)]
    assert lake.lake_row_count(con, data_layout.lake_messages) == 5
    types = dict(rows(con, "SELECT message_type, count(*) FROM messages GROUP BY 1"))
    assert types == {"system": 1, "text": 4}
    (body,) = rows(con, "SELECT body FROM messages WHERE line_no = 5")[0]
    assert body == "Foto's volgen morgen\nmet de meetwaarden"
    # The lake is partitioned by chat id and month; no chat name in any path.
    parts = sorted(p.relative_to(data_layout.lake_messages).parts[:2] for p in data_layout.lake_messages.rglob("*.parquet"))
    assert parts == [(f"chat_id={lake.chat_id_for('Werf Leuven')}", "month=2024-03")]
    assert audit.verify(con).ok


def test_identical_messages_at_the_same_minute_are_both_kept(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*) FROM messages WHERE body = 'Ok'") == [(2,)]


def test_byte_identical_copy_is_a_duplicate(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW)
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven (1).txt", CHAT_V1)
    summary = ingest.ingest_inbox(data_layout, now=NOW)
    assert [a.status for a in summary.archives] == ["duplicate"]
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT status, count(*) FROM archives GROUP BY 1 ORDER BY 1") == [("duplicate", 1), ("ingested", 1)]
    assert rows(con, "SELECT count(*) FROM messages") == [(5,)]
    assert len({r[0] for r in rows(con, "SELECT archive_id FROM archives")}) == 2


def test_re_export_adds_only_new_messages_with_stable_ids(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    before = {r[0] for r in rows(con, "SELECT message_id FROM messages")}
    con.close()
    # A later export of the same chat, saved by the browser as a second download.
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven (1).txt", CHAT_V1 + CHAT_V2_EXTRA)
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert (result.status, result.message_count, result.new_message_count) == ("ingested", 7, 2)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    after = {r[0] for r in rows(con, "SELECT message_id FROM messages")}
    assert before < after and len(after) == 7
    assert lake.lake_row_count(con, data_layout.lake_messages) == 7


def test_overlapping_export_adds_no_duplicates(data_layout):
    lines = CHAT_V1.splitlines(keepends=True)
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", "".join(lines[1:]) + CHAT_V2_EXTRA)
    ingest.ingest_inbox(data_layout, now=NOW)
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven (1).txt", CHAT_V1)
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert result.new_message_count == 1  # only the encryption notice was missing
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*), count(DISTINCT message_id) FROM messages") == [(7, 7)]


def test_local_times_become_instants_across_dst(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1 + CHAT_V2_EXTRA)
    ingest.ingest_inbox(data_layout, now=NOW)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    got = dict(rows(con, "SELECT line_no, sent_at FROM messages WHERE line_no IN (2, 8)"))
    assert got[2] == datetime(2024, 3, 12, 8, 1, tzinfo=timezone.utc)
    assert got[8] == datetime(2024, 3, 31, 1, 30, tzinfo=timezone.utc)  # 02:30 is in the spring gap
    assert rows(con, "SELECT DISTINCT typeof(sent_at) FROM messages") == [("TIMESTAMP WITH TIME ZONE",)]


@pytest.mark.parametrize("name,content,reason_part", [
    ("WhatsApp Chat with Leeg.txt", b"", "empty"),
    ("notities.txt", "Boodschappenlijst\nmelk\nbrood\n" * 5, "not a WhatsApp export"),
    ("WhatsApp Chat with Kapot.zip", zip_bytes({"_chat.txt": CHAT_V1.encode()})[:60], "zip"),
    ("WhatsApp Chat with Bytes.txt", b"\xff\xfe\x00\xd8" + bytes(range(128, 256)) * 20, ""),
])
def test_bad_input_is_quarantined_with_a_reason_and_the_run_goes_on(data_layout, name, content, reason_part):
    bad = write(data_layout.inbox / name, content)
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    summary = ingest.ingest_inbox(data_layout, now=NOW)
    statuses = {a.file_name: (a.status, a.reason) for a in summary.archives}
    status, reason = statuses[name]
    assert status == "quarantined"
    assert reason and "\n" not in reason and reason_part.lower() in reason.lower()
    assert statuses["WhatsApp Chat with Werf Leuven.txt"][0] == "ingested"
    assert not bad.exists()
    quarantined = [p for p in data_layout.quarantine.iterdir() if not p.name.endswith(".reason.txt")]
    assert len(quarantined) == 1 and quarantined[0].read_bytes() == (
        content if isinstance(content, bytes) else content.encode())
    assert (quarantined[0].with_name(quarantined[0].name + ".reason.txt")).read_text().strip() == reason
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*) FROM messages") == [(5,)]


def test_unexpected_parser_failure_quarantines_the_file(data_layout, monkeypatch):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)

    def broken(path, work_dir=None, **limits):
        raise RuntimeError("Ann Peeters said something the parser did not expect")

    monkeypatch.setattr(ingest.pipeline, "open_container", broken)
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert result.status == "quarantined"
    assert "Ann" not in result.reason and "RuntimeError" in result.reason


def test_zip_media_are_stored_once_content_addressed(data_layout):
    chat = ("12/03/2024, 09:01 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"
            "12/03/2024, 09:03 - Bram Claes: IMG-20240312-WA0002.jpg (bestand bijgevoegd)\n")
    photo = b"\xff\xd8\xff\xe0" + b"installatie" * 100
    write(data_layout.inbox / "WhatsApp-chat met Werf Leuven.zip", zip_bytes({
        "WhatsApp-chat met Werf Leuven.txt": chat.encode(),
        "IMG-20240312-WA0001.jpg": photo, "IMG-20240312-WA0002.jpg": photo,
        "__MACOSX/._IMG-20240312-WA0001.jpg": b"junk"}))
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert result.status == "ingested", result.reason
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    shas = rows(con, "SELECT DISTINCT media_sha256 FROM messages WHERE message_type = 'media'")
    assert len(shas) == 1 and shas[0][0] is not None
    stored = list(data_layout.media.rglob("*.jpg"))
    assert len(stored) == 1 and stored[0].read_bytes() == photo and stored[0].name.startswith(shas[0][0])


def test_raw_archives_are_kept_only_as_configured(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW, raw_retention_days=30)
    con = warehouse.connect(data_layout.warehouse)
    (raw_path,) = rows(con, "SELECT raw_path FROM archives")[0]
    assert raw_path and (data_layout.root / raw_path).read_text(encoding="utf-8") == CHAT_V1
    now = NOW
    assert ingest.remove_expired_raw_archives(con, data_layout, now=now, raw_retention_days=30) == 0
    assert ingest.remove_expired_raw_archives(con, data_layout, now=now + timedelta(days=29), raw_retention_days=30) == 0
    assert ingest.remove_expired_raw_archives(con, data_layout, now=now + timedelta(days=31), raw_retention_days=30) == 1
    assert not (data_layout.root / raw_path).exists()
    assert rows(con, "SELECT raw_path IS NULL, raw_removed_at IS NOT NULL, sha256 IS NOT NULL FROM archives") == [
        (True, True, True)]


def test_crash_between_lake_and_warehouse_is_repaired_by_the_next_run(data_layout, monkeypatch):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    real = ingest.pipeline.audit.append

    def crash(con, event, *a, **k):
        if event == "archive_ingested":
            raise KeyboardInterrupt("power cut")
        return real(con, event, *a, **k)

    monkeypatch.setattr(ingest.pipeline.audit, "append", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest.ingest_inbox(data_layout, now=NOW)
    monkeypatch.setattr(ingest.pipeline.audit, "append", real)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*) FROM messages") == [(0,)]
    con.close()
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert result.status == "ingested"
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*) FROM messages") == [(5,)]
    assert lake.lake_row_count(con, data_layout.lake_messages) == 5


def test_partial_downloads_and_hidden_files_wait(data_layout):
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt.crdownload", CHAT_V1)
    write(data_layout.inbox / ".DS_Store", b"\x00")
    assert ingest.ingest_inbox(data_layout, now=NOW).archives == []
    assert (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt.crdownload").exists()


def test_messages_deleted_earlier_do_not_come_back_with_a_later_export(data_layout):
    from o3_governance import purge

    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    (victim,) = rows(con, "SELECT message_id FROM messages WHERE body LIKE 'Goeiemorgen%'")[0]
    con.close()
    purge.apply_changes(data_layout, delete_ids={victim}, updates={}, run_id=None, event="test_delete", details={},
                        now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven (1).txt", CHAT_V1 + CHAT_V2_EXTRA)
    (result,) = ingest.ingest_inbox(data_layout, now=NOW).archives
    assert (result.status, result.new_message_count) == ("ingested", 2)
    con = warehouse.connect(data_layout.warehouse, read_only=True)
    assert rows(con, "SELECT count(*) FROM messages WHERE body LIKE 'Goeiemorgen%'") == [(0,)]
    assert lake.lake_row_count(con, data_layout.lake_messages) == 6


def test_quarantined_files_are_removed_after_their_retention(data_layout):
    write(data_layout.inbox / "notities.txt", "Boodschappenlijst\nmelk\n" * 5)
    ingest.ingest_inbox(data_layout, now=NOW)
    con = warehouse.connect(data_layout.warehouse)
    (raw_path,) = rows(con, "SELECT raw_path FROM archives WHERE status = 'quarantined'")[0]
    assert raw_path.startswith("quarantine/") and (data_layout.root / raw_path).exists()
    now = NOW
    assert ingest.remove_expired_raw_archives(con, data_layout, now=now + timedelta(days=29),
                                              quarantine_retention_days=30) == 0
    assert ingest.remove_expired_raw_archives(con, data_layout, now=now + timedelta(days=31),
                                              quarantine_retention_days=30) == 1
    assert list(data_layout.quarantine.iterdir()) == []
    assert rows(con, "SELECT status, reason IS NOT NULL, raw_path FROM archives") == [("quarantined", True, None)]


def test_raw_and_quarantine_retention_follow_the_injected_clock_not_as_of(data_layout, monkeypatch):
    """O3_AS_OF far in the future changes retention decisions only: kept raw archives and
    quarantined files age by the clock the entry point passes in (``now``)."""
    monkeypatch.setenv("O3_AS_OF", "2100-01-01")   # read by nothing here
    night = datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)
    write(data_layout.inbox / "notities.txt", "Boodschappenlijst\nmelk\n" * 5)
    summary = ingest.ingest_inbox(data_layout, now=night, quarantine_retention_days=30)
    assert summary.raw_removed == 0
    con = warehouse.connect(data_layout.warehouse)
    try:
        (raw_path, received) = rows(con, "SELECT raw_path, received_at FROM archives")[0]
        assert (data_layout.root / raw_path).exists() and received == night
    finally:
        con.close()
    assert ingest.ingest_inbox(data_layout, now=night + timedelta(days=29), quarantine_retention_days=30).raw_removed == 0
    assert (data_layout.root / raw_path).exists()
    assert ingest.ingest_inbox(data_layout, now=night + timedelta(days=31), quarantine_retention_days=30).raw_removed == 1
    assert list(data_layout.quarantine.iterdir()) == []


def test_a_night_with_an_empty_inbox_builds_nothing_for_matching(data_layout, monkeypatch):
    """Nothing in the inbox: the placeholder-spellings table (built from Arrow, which imports pandas) is
    not built; the night still finishes its housekeeping (raw archives past their keep time)."""
    from o3_governance.ingest import matching

    write(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt", CHAT_V1)
    ingest.ingest_inbox(data_layout, now=NOW, raw_retention_days=1)
    built = []
    monkeypatch.setattr(matching, "spellings_table", lambda con: built.append(con))
    summary = ingest.ingest_inbox(data_layout, now=NOW + timedelta(days=2), raw_retention_days=1)
    assert built == [] and summary.archives == [] and summary.raw_removed == 1
    write(data_layout.inbox / "WhatsApp Chat with Werf Gent.txt", CHAT_V1.replace("Leuven", "Gent"))
    monkeypatch.undo()
    assert [a.status for a in ingest.ingest_inbox(data_layout, now=NOW + timedelta(days=3)).archives] == ["ingested"]
