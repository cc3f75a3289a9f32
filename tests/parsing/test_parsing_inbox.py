"""discover(inbox): the inbox is a tree; every file is part of exactly one item; links never followed."""
import os

import pytest

from o3_governance.parsing import ITEM_FILE, ITEM_FOLDER, ITEM_SYMLINK, discover, remove_empty_folders

CHAT = "12/03/2024, 09:01 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"


def touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def view(items):
    return [(i.kind, i.relative_name, tuple(p.relative_to(i.path).as_posix() for p in i.members)) for i in items]


def test_missing_inbox_has_no_items(tmp_path):
    assert discover(tmp_path / "nope") == []


def test_root_files_are_items_in_name_order(tmp_path):
    touch(tmp_path / "b.zip")
    touch(tmp_path / "WhatsApp Chat with A.txt", CHAT)
    touch(tmp_path / "IMG-1.jpg")   # beside a chat text, but the root's files are always their own items
    assert view(discover(tmp_path)) == [(ITEM_FILE, "IMG-1.jpg", ()), (ITEM_FILE, "WhatsApp Chat with A.txt", ()),
                                        (ITEM_FILE, "b.zip", ())]


def test_files_in_subfolders_are_items(tmp_path):
    touch(tmp_path / "cloud_api" / "webhooks.jsonl")
    touch(tmp_path / "sub" / "chat.txt", CHAT)
    touch(tmp_path / "sub" / "deeper" / "x.zip")
    items = discover(tmp_path)
    assert view(items) == [(ITEM_FILE, "cloud_api/webhooks.jsonl", ()), (ITEM_FILE, "sub/chat.txt", ()),
                           (ITEM_FILE, "sub/deeper/x.zip", ())]
    assert items[0].path == tmp_path / "cloud_api" / "webhooks.jsonl"


def test_unzipped_export_is_one_folder_item(tmp_path):
    folder = tmp_path / "WhatsApp Chat - Werf"
    touch(folder / "_chat.txt", CHAT)
    touch(folder / "IMG-20240312-WA0001.jpg")
    touch(folder / "media" / "deep" / "b.jpg")
    touch(folder / ".DS_Store")
    touch(folder / "other" / "c.zip")          # another subfolder: discovered on its own
    items = discover(tmp_path)
    assert view(items) == [
        (ITEM_FOLDER, "WhatsApp Chat - Werf", ("IMG-20240312-WA0001.jpg", "_chat.txt", "media/deep/b.jpg")),
        (ITEM_FILE, "WhatsApp Chat - Werf/other/c.zip", ())]


def test_capture_with_media_folder_is_one_item(tmp_path):
    touch(tmp_path / "cloud" / "webhooks.jsonl")
    touch(tmp_path / "cloud" / "media" / "1234567890.jpg")
    assert view(discover(tmp_path)) == [(ITEM_FOLDER, "cloud", ("media/1234567890.jpg", "webhooks.jsonl"))]


def test_folder_of_chat_texts_only_gives_one_item_each(tmp_path):
    touch(tmp_path / "exports" / "WhatsApp Chat with A.txt", CHAT)
    touch(tmp_path / "exports" / "WhatsApp Chat with B.txt", CHAT)
    assert [i.kind for i in discover(tmp_path)] == [ITEM_FILE, ITEM_FILE]


def test_folder_of_media_only_gives_one_item_each(tmp_path):
    touch(tmp_path / "photos" / "a.jpg")
    touch(tmp_path / "photos" / "media" / "b.jpg")
    assert view(discover(tmp_path)) == [(ITEM_FILE, "photos/a.jpg", ()), (ITEM_FILE, "photos/media/b.jpg", ())]


def test_every_file_in_exactly_one_item(tmp_path):
    for rel in ["a.txt", "s/_chat.txt", "s/p.jpg", "s/media/q.jpg", "s/t/u.jsonl", "s/t/v.bin", "w/x/y.zip"]:
        touch(tmp_path / rel)
    seen = []
    for item in discover(tmp_path):
        seen.extend(item.members or (item.path,))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert sorted(seen) == sorted(files) and len(seen) == len(set(seen))


def test_hidden_and_partial_downloads_are_left_alone(tmp_path):
    touch(tmp_path / ".hidden.txt")
    touch(tmp_path / "big.zip.crdownload")
    touch(tmp_path / "sub" / "x.part")
    touch(tmp_path / "sub" / "y.TMP")
    touch(tmp_path / ".sync" / "z.zip")      # a hidden folder is not entered
    touch(tmp_path / "sub" / "ok.zip")
    assert view(discover(tmp_path)) == [(ITEM_FILE, "sub/ok.zip", ())]
    assert (tmp_path / "big.zip.crdownload").exists()


def test_symlinks_are_items_never_followed(tmp_path):
    outside = tmp_path / "outside"
    touch(outside / "secret.txt", CHAT)
    touch(outside / "photo.jpg")
    inbox = tmp_path / "inbox"
    touch(inbox / "export" / "_chat.txt", CHAT)
    touch(inbox / "export" / "a.jpg")
    os.symlink(outside / "secret.txt", inbox / "link.txt")
    os.symlink(outside, inbox / "linked_folder")
    os.symlink(outside / "photo.jpg", inbox / "export" / "b.jpg")
    os.symlink(outside, inbox / "export" / "media")
    os.symlink(tmp_path / "gone", inbox / "dangling")
    items = discover(inbox)
    assert view(items) == [
        (ITEM_SYMLINK, "dangling", ()),
        (ITEM_FOLDER, "export", ("_chat.txt", "a.jpg")),
        (ITEM_SYMLINK, "export/b.jpg", ()),
        (ITEM_SYMLINK, "export/media", ()),
        (ITEM_SYMLINK, "link.txt", ()),
        (ITEM_SYMLINK, "linked_folder", ()),
    ]


def test_symlink_inside_media_folder_is_its_own_item(tmp_path):
    touch(tmp_path / "outside.jpg")
    inbox = tmp_path / "inbox"
    touch(inbox / "cap" / "w.jsonl")
    touch(inbox / "cap" / "media" / "1.jpg")
    os.symlink(tmp_path / "outside.jpg", inbox / "cap" / "media" / "2.jpg")
    assert view(discover(inbox)) == [(ITEM_FOLDER, "cap", ("media/1.jpg", "w.jsonl")),
                                     (ITEM_SYMLINK, "cap/media/2.jpg", ())]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifo_is_never_an_item(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    touch(tmp_path / "a.zip")
    assert [i.relative_name for i in discover(tmp_path)] == ["a.zip"]


def test_remove_empty_folders(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "a" / "b" / "c").mkdir(parents=True)
    touch(inbox / "kept" / "x.zip")
    touch(inbox / "hidden_only" / ".DS_Store")
    (inbox / ".git" / "empty").mkdir(parents=True)
    outside = tmp_path / "outside" / "empty"
    outside.mkdir(parents=True)
    os.symlink(tmp_path / "outside", inbox / "link")
    assert remove_empty_folders(inbox) == 3
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.iterdir()) == [
        ".git", "hidden_only", "kept", "link"]
    assert outside.is_dir() and inbox.is_dir()


def test_remove_empty_folders_never_removes_the_inbox(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    assert remove_empty_folders(inbox) == 0 and inbox.is_dir()
    assert remove_empty_folders(tmp_path / "missing") == 0


def test_folder_that_cannot_be_listed_is_still_an_item(tmp_path, monkeypatch):
    from o3_governance.parsing import inbox as inbox_module
    from o3_governance.parsing import open_container
    from o3_governance.parsing.archive import expanded_size

    touch(tmp_path / "locked" / "_chat.txt", CHAT)
    touch(tmp_path / "open" / "a.zip")
    real = os.scandir

    def scandir(path):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(inbox_module.os, "scandir", scandir)
    assert view(discover(tmp_path)) == [(ITEM_FOLDER, "locked", ()), (ITEM_FILE, "open/a.zip", ())]
    with pytest.raises(PermissionError):   # a reason of the system, not of the file
        open_container(tmp_path / "locked")
    assert expanded_size(tmp_path / "locked") == 0
