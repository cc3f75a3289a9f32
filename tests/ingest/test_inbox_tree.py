"""Issue 11: the inbox is a tree. Every file under it is registered (subfolders too), a folder that is
an unzipped export is one archive, a zip or folder with several chats gives each of them, symlinks are
registered and never followed, emptied folders go; and the check that every inbox file is accounted
for looks at the whole tree."""
import os
from datetime import datetime, timezone

from captures import jsonl, text
from conftest import zip_bytes
from exports import chat_text, file_name, media_files

from o3_governance import ingest
from o3_governance.ingest import pipeline
from o3_governance.ingest.registry import item_sha256
from o3_governance.parsing.inbox import discover
from o3_governance.storage import warehouse

NIGHT = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
OTHER_CHAT = ("05/11/2026, 10:00 - Dirk Janssens: Planning voor Gent\n"
              "05/11/2026, 10:01 - Eva Wouters: Ik neem de bestelwagen\n")


def drop(layout, name, data):
    path = layout.inbox / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def check(layout, summary):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return ingest.check_ingest(con, layout, summary)


def registry(layout):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute("SELECT file_name, status, message_count, chat_count FROM archives ORDER BY file_name"
                           ).fetchall()


def test_a_capture_and_a_chat_in_subfolders_are_ingested_and_accounted_for(data_layout):
    drop(data_layout, "cloud_api/webhooks.jsonl", jsonl(text("wamid.A", "Hallo"), text("wamid.B", "Nog iets")))
    drop(data_layout, "sub/chat.txt", OTHER_CHAT)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT)
    assert registry(data_layout) == [("cloud_api/webhooks.jsonl", "ingested", 2, 1), ("sub/chat.txt", "ingested", 2, 1)]
    c = check(data_layout, summary)
    assert c.every_inbox_file_accounted_for and c.messages_total == 4
    assert list(data_layout.inbox.iterdir()) == [], "the emptied subfolders are removed"


def test_the_check_sees_files_in_subfolders_that_a_run_left_behind(data_layout, monkeypatch):
    """The old blind spot: the check only looked at the inbox's root, so a file left in a subfolder
    passed. Simulate a run that sees only the root: the check must count the subfolder file."""
    drop(data_layout, file_name("nl"), chat_text("nl"))
    drop(data_layout, "sub/chat.txt", OTHER_CHAT)
    root_only = lambda inbox: [i for i in discover(inbox) if "/" not in i.relative_name]  # noqa: E731
    monkeypatch.setattr(pipeline, "discover", root_only)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT)
    assert [a.file_name for a in summary.archives] == [file_name("nl")]
    c = check(data_layout, summary)
    assert c.unaccounted_files == 1 and not c.every_inbox_file_accounted_for


def test_an_unzipped_export_folder_is_one_archive_with_its_media(data_layout):
    folder = data_layout.inbox / "Team Installaties"
    drop(data_layout, f"Team Installaties/{file_name('nl')}", chat_text("nl", True))
    for name, data in media_files().items():
        drop(data_layout, f"Team Installaties/{name}", data)
    (item,) = discover(data_layout.inbox)
    sha = item_sha256(True, item.path, item.members)
    summary = ingest.ingest_inbox(data_layout, now=NIGHT, raw_retention_days=7)
    (r,) = summary.archives
    assert (r.status, r.message_count, r.media_count) == ("ingested", 11, 2)
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT sha256, raw_path FROM archives").fetchall() == [(sha, f"raw/{r.archive_id}.zip")]
    assert not folder.exists() and (data_layout.raw / f"{r.archive_id}.zip").is_file()
    assert check(data_layout, summary).every_inbox_file_accounted_for


def test_a_zip_with_two_chats_gives_both(data_layout):
    """Before: one of the two chats was lost and the archive said "ingested"."""
    drop(data_layout, "export.zip", zip_bytes({
        "Team Installaties/_chat.txt": chat_text("nl").encode(),
        "Planning Gent/_chat.txt": OTHER_CHAT.encode()}))
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT).archives
    assert (r.status, r.message_count, r.chat_count, r.chat_match) == ("ingested", 13, 2, "new")
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT chat_count FROM archives").fetchall() == [(2,)]
        assert sorted(con.execute("SELECT member, message_count, new_message_count, chat_match FROM archive_chats"
                                  ).fetchall()) == [(1, 2, 2, "new"), (2, 11, 11, "new")]
        assert con.execute("SELECT count(DISTINCT chat_id) FROM messages").fetchall() == [(2,)]


def test_two_chat_texts_in_one_zip_named_as_exports_give_both(data_layout):
    drop(data_layout, "chats.zip", zip_bytes({
        file_name("nl"): chat_text("nl").encode(),
        file_name("nl", "Planning Gent"): OTHER_CHAT.encode()}))
    (r,) = ingest.ingest_inbox(data_layout, now=NIGHT).archives
    assert (r.message_count, r.new_message_count, r.chat_count) == (13, 13, 2)


def test_a_symlink_is_registered_not_followed_and_removed(data_layout, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text(OTHER_CHAT, encoding="utf-8")
    os.symlink(outside, data_layout.inbox / "link.txt")
    summary = ingest.ingest_inbox(data_layout, now=NIGHT)
    (r,) = summary.archives
    assert (r.status, r.reason) == ("quarantined", "symbolic link: not followed")
    assert not (data_layout.inbox / "link.txt").is_symlink() and outside.exists()
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM messages").fetchall() == [(0,)]
    assert check(data_layout, summary).every_inbox_file_accounted_for
