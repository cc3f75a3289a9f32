"""Issue 11: one chat, one identity — whatever the file is called, whatever the phone's language, with or
without media. Each test states the message count before and after the re-export: the re-export adds 0
messages and brings back 0 of the purged ones."""
from datetime import datetime, timezone

import pytest
from conftest import zip_bytes
from exports import CHAT_NAME, chat_text, file_name, media_files

from o3_governance import ingest, purge
from o3_governance.storage import lake, warehouse
from o3_governance.storage.layout import DataLayout

NIGHT1 = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
NIGHT2 = datetime(2026, 11, 11, 2, 0, tzinfo=timezone.utc)
NIGHT3 = datetime(2026, 11, 12, 2, 0, tzinfo=timezone.utc)


def drop(layout: DataLayout, name: str, data):
    path = layout.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def with_media_zip(language="nl", name=CHAT_NAME) -> bytes:
    return zip_bytes({file_name(language, name): chat_text(language, True).encode(), **media_files()})


def messages(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        n, ids = con.execute("SELECT count(*), count(DISTINCT message_id) FROM messages").fetchall()[0]
        assert n == ids
        assert lake.lake_row_count(con, layout.lake_messages) == n
        return n


def purge_some(layout):
    """Delete a text, a media and a deleted-marker message (as retention or erasure would)."""
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        victims = {r[0] for r in con.execute(
            "SELECT message_id FROM messages WHERE body LIKE 'De meterkast%' OR message_type = 'deleted' "
            "OR (message_type = 'media' AND line_no = 5)").fetchall()}
    assert len(victims) == 3
    purge.apply_changes(layout, delete_ids=victims, now=NIGHT1, event="test_delete")
    return len(victims)


def archive_row(layout, archive_id):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute("SELECT status, message_count, new_message_count, chat_count, chat_match FROM archives "
                           "WHERE archive_id = ?", [archive_id]).fetchall()[0]


REEXPORTS = {
    "renamed - Copy": lambda: (file_name("nl", CHAT_NAME + " - Copy"), chat_text("nl", True)),
    "renamed by hand": lambda: ("team installaties nov 2026.txt", chat_text("nl", True)),
    "without media": lambda: (file_name("nl"), chat_text("nl", False)),
    "in English": lambda: (file_name("en"), chat_text("en", True)),
    "in French without media": lambda: (file_name("fr"), chat_text("fr", False)),
    "zip with media, renamed": lambda: (file_name("nl", "Installaties (oud)", ".zip"),
                                         with_media_zip("nl", "Installaties (oud)")),
}


@pytest.mark.parametrize("kind", list(REEXPORTS))
def test_a_re_export_adds_0_messages_and_brings_back_0_purged(data_layout, kind):
    drop(data_layout, file_name("nl", suffix=".zip"), with_media_zip())
    (first,) = ingest.ingest_inbox(data_layout, now=NIGHT1).archives
    assert archive_row(data_layout, first.archive_id) == ("ingested", 11, 11, 1, "new")
    purged = purge_some(data_layout)
    before = messages(data_layout)
    assert before == 11 - purged == 8
    name, data = REEXPORTS[kind]()
    drop(data_layout, name, data)
    (again,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    after = messages(data_layout)
    assert (before, after) == (8, 8), f"{kind}: {before} messages before, {after} after"
    assert again.new_message_count == 0 and again.message_count == 11
    expected_match = "name" if kind in ("without media", "in English", "in French without media") else "content"
    assert archive_row(data_layout, again.archive_id) == ("ingested", 11, 0, 1, expected_match)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(DISTINCT chat_id), min(chat_name) FROM messages").fetchall() == [
            (1, CHAT_NAME)]
        assert purge.tombstones.resurrected(con) == 0


def test_one_message_in_three_languages_with_and_without_media_has_one_id(data_layout):
    ids = set()
    for n, (language, media) in enumerate([("en", True), ("nl", False), ("fr", True), ("fr", False)]):
        drop(data_layout, f"sub{n}/{file_name(language)}", chat_text(language, media))
    summary = ingest.ingest_inbox(data_layout, now=NIGHT1)
    assert [a.new_message_count for a in summary.archives] == [11, 0, 0, 0]
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT message_id FROM messages").fetchall()}
    assert len(ids) == 11


def test_a_later_renamed_export_adds_only_the_new_messages(data_layout):
    drop(data_layout, file_name("nl"), chat_text("nl"))
    ingest.ingest_inbox(data_layout, now=NIGHT1)
    assert messages(data_layout) == 11
    more = chat_text("nl") + "05/11/2026, 10:00 - Carl Maes: Klaar in Leuven\n"
    drop(data_layout, "team installaties nov 2026.txt", more)
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert (r.new_message_count, r.chat_match, messages(data_layout)) == (1, "content", 12)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT DISTINCT chat_name FROM messages").fetchall() == [(CHAT_NAME,)]


def test_a_new_chat_whose_name_is_taken_by_other_content_gets_its_own_id(data_layout):
    drop(data_layout, file_name("nl"), chat_text("nl"))
    ingest.ingest_inbox(data_layout, now=NIGHT1)
    # Same days as the chat held, not one message in common: another team's chat of the same name.
    other = "".join(f"0{d}/11/2026, 0{h}:00 - Dirk Janssens: Andere ploeg, bericht {d}{h}\n"
                    for d in range(2, 5) for h in range(6, 10))
    drop(data_layout, file_name("nl"), other)
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert (r.chat_match, r.new_message_count) == ("new", 12)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ids = {r[0] for r in con.execute("SELECT DISTINCT chat_id FROM messages").fetchall()}
        rows = con.execute("SELECT chat_match, message_count, new_message_count FROM archive_chats "
                           "ORDER BY archive_id").fetchall()
    assert len(ids) == 2 and lake.chat_id_for(CHAT_NAME) in ids
    assert sorted(rows) == [("new", 11, 11), ("new", 12, 12)]


def test_an_older_re_export_brings_back_no_media_of_purged_messages(data_layout):
    drop(data_layout, file_name("nl", suffix=".zip"), with_media_zip())
    ingest.ingest_inbox(data_layout, now=NIGHT1)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT message_id FROM messages WHERE message_type = 'media'").fetchall()]
    purge.apply_changes(data_layout, delete_ids=set(ids), now=NIGHT1, event="test_delete")
    assert not list(data_layout.media.rglob("*.jpg"))
    drop(data_layout, file_name("nl", "Kopie", ".zip"), with_media_zip("nl", "Kopie"))
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT2).archives
    assert r.new_message_count == 0 and r.media_count == 0
    assert not list(data_layout.media.rglob("*.jpg")), "the photos of purged messages came back"
