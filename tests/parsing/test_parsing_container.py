"""open_container: every chat of a zip or a folder, each named from what is its own; media shared."""
import json
import os
import zipfile

import pytest

from o3_governance.parsing import NotAnExport, open_archive, open_container
from o3_governance.parsing.archive import expanded_size

CHAT_A = ("12/03/2024, 09:01 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"
          "12/03/2024, 09:02 - Bram Claes: Ok\n")
CHAT_B = "13/03/2024, 10:00 - Chloé Dubois: Bonjour\n"
IOS_A = ("[12/03/2024, 09:00:00] Werf Leuven: \u200eBerichten en oproepen worden end-to-end versleuteld.\r\n"
         "[12/03/2024, 09:01:00] Ann Peeters: \u200e<bijgevoegd: 00000012-PHOTO-2024-03-12-09-01-00.jpg>\r\n")
IOS_B = ("[14/03/2024, 08:00:00] Werf Gent: \u200eBerichten en oproepen worden end-to-end versleuteld.\r\n"
         "[14/03/2024, 08:01:00] Bram Claes: Goedemorgen\r\n")
PHOTO = b"\xff\xd8\xff\xe0" + b"meterkast" * 50


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def read_all(container):
    return [(c.chat_name, c.member_name, [m.body for m in c.messages]) for c in container.chats]


def test_zip_with_two_chat_txt_in_folders_gives_both(tmp_path):
    path = make_zip(tmp_path / "exports.zip", {
        "WhatsApp Chat - Werf Leuven/_chat.txt": IOS_A,
        "WhatsApp Chat - Werf Leuven/00000012-PHOTO-2024-03-12-09-01-00.jpg": PHOTO,
        "WhatsApp Chat - Werf Gent/_chat.txt": IOS_B})
    with open_container(path) as container:
        chats = read_all(container)
        assert [(name, member, len(bodies)) for name, member, bodies in chats] == [
            ("Werf Gent", "WhatsApp Chat - Werf Gent/_chat.txt", 2),
            ("Werf Leuven", "WhatsApp Chat - Werf Leuven/_chat.txt", 2)]
        assert set(container.chats[0].media) == {"00000012-PHOTO-2024-03-12-09-01-00.jpg"}
        assert container.chats[0].media is container.chats[1].media


def test_two_chat_txt_in_generic_folders_named_by_first_line(tmp_path):
    path = make_zip(tmp_path / "backup.zip", {"a/_chat.txt": IOS_A, "b/_chat.txt": IOS_B})
    with open_container(path) as container:
        assert [c.chat_name for c in container.chats] == ["Werf Leuven", "Werf Gent"]


def test_zip_with_two_whatsapp_chat_with_texts(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat with Ann Peeters.zip", {
        "WhatsApp Chat with Ann Peeters.txt": CHAT_A, "WhatsApp Chat with Chloé Dubois.txt": CHAT_B,
        "IMG-20240312-WA0001.jpg": PHOTO})
    with open_container(path) as container:
        assert read_all(container) == [
            ("Ann Peeters", "WhatsApp Chat with Ann Peeters.txt", [CHAT_A.split(": ", 1)[1].split("\n")[0], "Ok"]),
            ("Chloé Dubois", "WhatsApp Chat with Chloé Dubois.txt", ["Bonjour"])]
        assert set(container.chats[1].media) == {"IMG-20240312-WA0001.jpg"}


def test_generic_member_falls_back_to_container_name(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat with Werf Leuven.zip", {"chat.txt": CHAT_A})
    with open_container(path) as container:
        assert [c.chat_name for c in container.chats] == ["Werf Leuven"]


def test_text_document_in_a_zip_stays_media(tmp_path):
    path = make_zip(tmp_path / "x.zip", {"WhatsApp Chat with Ann Peeters.txt": CHAT_A,
                                         "boodschappen.txt": "melk\nbrood\n" * 40})
    with open_container(path) as container:
        assert [c.member_name for c in container.chats] == ["WhatsApp Chat with Ann Peeters.txt"]
        assert set(container.chats[0].media) == {"boodschappen.txt"}


def test_broken_export_named_chat_refuses_the_container(tmp_path):
    path = make_zip(tmp_path / "x.zip", {"WhatsApp Chat with Ann Peeters.txt": CHAT_A,
                                         "b/_chat.txt": "lijst\nmelk\n" * 40})
    with pytest.raises(NotAnExport, match="not a WhatsApp export"):
        open_container(path)


def test_open_archive_still_gives_the_first_chat(tmp_path):
    path = make_zip(tmp_path / "exports.zip", {"x/WhatsApp Chat with Ann Peeters.txt": CHAT_A, "_chat.txt": IOS_B,
                                               "IMG-1.jpg": PHOTO})
    with open_archive(path) as export:
        assert export.chat_name == "Werf Gent" and len(list(export.messages)) == 2
    with pytest.raises(ValueError):   # closing the one chat closed the zip
        export.media["IMG-1.jpg"].open()


def test_text_file_is_a_container_of_one_chat(tmp_path):
    path = tmp_path / "WhatsApp-chat met Werf Leuven.txt"
    path.write_text(CHAT_A, encoding="utf-8")
    with open_container(path) as container:
        assert [(c.chat_name, c.member_name) for c in container.chats] == [("Werf Leuven", None)]


def test_folder_is_one_archive_with_its_media(tmp_path):
    folder = tmp_path / "WhatsApp Chat - Werf Leuven"
    folder.mkdir()
    (folder / "_chat.txt").write_text(IOS_A, encoding="utf-8")
    (folder / "00000012-PHOTO-2024-03-12-09-01-00.jpg").write_bytes(PHOTO)
    (folder / "media").mkdir()
    (folder / "media" / "extra.jpg").write_bytes(b"x")
    (folder / ".DS_Store").write_bytes(b"junk")
    with open_container(folder) as container:
        (chat,) = container.chats
        msgs = list(chat.messages)
        assert (chat.chat_name, chat.member_name, len(msgs)) == ("Werf Leuven", "_chat.txt", 2)
        assert set(chat.media) == {"00000012-PHOTO-2024-03-12-09-01-00.jpg", "extra.jpg"}
        with chat.media[msgs[1].attachment].open() as f:
            assert f.read() == PHOTO
    assert expanded_size(folder) == len(IOS_A.encode()) + len(PHOTO) + 1


def test_folder_with_two_chats(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "WhatsApp Chat with Ann Peeters.txt").write_text(CHAT_A, encoding="utf-8")
    (folder / "WhatsApp Chat with Chloé Dubois.txt").write_text(CHAT_B, encoding="utf-8")
    (folder / "IMG-20240312-WA0001.jpg").write_bytes(PHOTO)
    with open_container(folder) as container:
        assert [(c.chat_name, len(list(c.messages))) for c in container.chats] == [("Ann Peeters", 2),
                                                                                  ("Chloé Dubois", 1)]
        assert all(set(c.media) == {"IMG-20240312-WA0001.jpg"} for c in container.chats)


def test_folder_with_chat_and_capture(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "WhatsApp Chat with Ann Peeters.txt").write_text(CHAT_A, encoding="utf-8")
    value = {"metadata": {"display_phone_number": "32 2 555 01 00", "phone_number_id": "1000001"},
             "messages": [{"from": "32470000000", "id": "wamid.1", "timestamp": "1710230400", "type": "text",
                           "text": {"body": "hallo"}}]}
    (folder / "webhooks.jsonl").write_text(json.dumps(
        {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value, "field": "messages"}]}]}))
    (folder / "IMG-20240312-WA0001.jpg").write_bytes(PHOTO)
    with open_container(folder) as container:
        assert sorted(c.source_format for c in container.chats) == ["android", "cloud_api"]
        cap = next(c for c in container.chats if c.source_format == "cloud_api")
        assert cap.member_name == "webhooks.jsonl" and [m.body for m in cap.messages] == ["hallo"]


def test_folder_without_chat_text(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(PHOTO)
    with pytest.raises(NotAnExport, match="folder holds no WhatsApp chat text"):
        open_container(folder)


def test_folder_too_large(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "_chat.txt").write_text(IOS_A, encoding="utf-8")
    (folder / "a.jpg").write_bytes(PHOTO)
    with pytest.raises(NotAnExport, match="too large"):
        open_container(folder, max_archive_bytes=100)


def test_symlink_is_refused_not_followed(tmp_path):
    target = tmp_path / "WhatsApp Chat with Ann Peeters.txt"
    target.write_text(CHAT_A, encoding="utf-8")
    os.symlink(target, tmp_path / "link.txt")
    with pytest.raises(NotAnExport, match="symbolic link") as exc:
        open_container(tmp_path / "link.txt")
    assert "Ann" not in str(exc.value)
    assert expanded_size(tmp_path / "link.txt") == 0


def test_broken_jsonl_capture_in_a_folder_refuses_it(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "WhatsApp Chat with Ann Peeters.txt").write_text(CHAT_A, encoding="utf-8")
    (folder / "webhooks.jsonl").write_text("{broken\n", encoding="utf-8")
    (folder / "IMG-20240312-WA0001.jpg").write_bytes(PHOTO)
    with pytest.raises(NotAnExport, match="malformed JSON"):
        open_container(folder)


def test_json_document_beside_an_export_is_media(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "WhatsApp Chat with Ann Peeters.txt").write_text(CHAT_A, encoding="utf-8")
    (folder / "instellingen.json").write_text('{"thema": "donker"}', encoding="utf-8")
    with open_container(folder) as container:
        assert [c.source_format for c in container.chats] == ["android"]
        assert set(container.chats[0].media) == {"instellingen.json"}
