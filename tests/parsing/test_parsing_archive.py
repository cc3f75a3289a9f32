"""open_archive: detection by content, zips (media, unsafe entries, bombs) and every kind of bad input."""
import io
import json
import stat
import zipfile
from datetime import datetime

import pytest

from o3_governance.parsing import NotAnExport, open_archive
from o3_governance.parsing import archive

CHAT = ("12/03/2024, 09:01 - Ann Peeters: IMG-20240312-WA0001.jpg (bestand bijgevoegd)\n"
        "12/03/2024, 09:02 - Bram Claes: Ok\n")
IOS_CHAT = ("[12/03/2024, 09:00:00] Werf Leuven: \u200eBerichten en oproepen worden end-to-end versleuteld.\r\n"
            "[12/03/2024, 09:01:00] Ann Peeters: \u200e<bijgevoegd: 00000012-PHOTO-2024-03-12-09-01-00.jpg>\r\n")
PHOTO = b"\xff\xd8\xff\xe0" + b"meterkast" * 50


def make_zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            if isinstance(name, zipfile.ZipInfo):
                zf.writestr(name, data)
            else:
                zf.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def reason_of(path):
    with pytest.raises(NotAnExport) as exc:
        with open_archive(path) as export:
            list(export.messages)
    reason = str(exc.value)
    assert reason and "\n" not in reason
    return reason


# --- detection -------------------------------------------------------------------------------------

def test_txt_export(tmp_path):
    path = tmp_path / "WhatsApp Chat with Werf Leuven.txt"
    path.write_text(CHAT, encoding="utf-8")
    with open_archive(path) as export:
        assert (export.chat_name, export.source_format) == ("Werf Leuven", "android")
        assert len(list(export.messages)) == 2


def test_zip_detected_by_content_not_extension(tmp_path):
    path = make_zip(tmp_path / "upload-7f3a.bin", {"WhatsApp Chat with Werf Leuven.txt": CHAT})
    with open_archive(path) as export:
        assert len(list(export.messages)) == 2 and export.chat_name == "Werf Leuven"


def test_text_with_zip_extension_is_refused(tmp_path):
    path = tmp_path / "WhatsApp Chat - Werf Leuven.zip"
    path.write_text(CHAT, encoding="utf-8")
    assert "zip" in reason_of(path)


def test_ios_text_starting_with_bracket_is_not_taken_for_json(tmp_path):
    path = tmp_path / "export"
    path.write_text(IOS_CHAT, encoding="utf-8")
    with open_archive(path) as export:
        assert export.source_format == "ios"


def test_json_detected_by_content(tmp_path):
    path = tmp_path / "capture.txt"
    path.write_text(json.dumps({"object": "whatsapp_business_account", "entry": []}), encoding="utf-8")
    with open_archive(path) as export:
        assert export.source_format == "cloud_api"


# --- zips ------------------------------------------------------------------------------------------

def test_ios_zip_with_media_read_lazily(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat - Werf Leuven.zip", {
        "_chat.txt": IOS_CHAT, "00000012-PHOTO-2024-03-12-09-01-00.jpg": PHOTO,
        "__MACOSX/._00000012-PHOTO-2024-03-12-09-01-00.jpg": b"junk", "._chat.txt": b"junk"})
    with open_archive(path) as export:
        msgs = list(export.messages)
        assert (export.chat_name, export.source_format, export.export_language) == ("Werf Leuven", "ios", "nl")
        assert msgs[1].attachment == "00000012-PHOTO-2024-03-12-09-01-00.jpg"
        assert set(export.media) == {"00000012-PHOTO-2024-03-12-09-01-00.jpg"}
        ref = export.media[msgs[1].attachment]
        assert ref.size == len(PHOTO)
        with ref.open() as f:
            assert f.read() == PHOTO
    assert not any(p.name != path.name for p in tmp_path.iterdir())   # nothing extracted


def test_media_keyed_by_base_name_in_subfolder(tmp_path):
    path = make_zip(tmp_path / "export.zip", {"WhatsApp Chat - Werf/_chat.txt": IOS_CHAT,
                                               "WhatsApp Chat - Werf/media/a.jpg": PHOTO})
    with open_archive(path) as export:
        assert set(export.media) == {"a.jpg"}


def test_chat_member_with_export_name_inside_generic_zip(tmp_path):
    path = make_zip(tmp_path / "export (1).zip", {"WhatsApp-chat met Werf Leuven.txt": CHAT, "IMG-1.jpg": PHOTO})
    with open_archive(path) as export:
        assert export.chat_name == "Werf Leuven"


def test_chat_name_of_generic_zip_from_ios_first_line(tmp_path):
    path = make_zip(tmp_path / "export.zip", {"_chat.txt": IOS_CHAT})
    with open_archive(path) as export:
        assert export.chat_name == "Werf Leuven"


def test_zip_with_crlf_android_text(tmp_path):
    path = make_zip(tmp_path / "4A.zip", {"_chat.txt": CHAT.replace("\n", "\r\n")})
    with open_archive(path) as export:
        assert [m.body for m in export.messages][1] == "Ok"


def test_close_closes_the_zip(tmp_path):
    path = make_zip(tmp_path / "x.zip", {"_chat.txt": CHAT, "IMG-20240312-WA0001.jpg": PHOTO})
    export = open_archive(path)
    export.close()
    with pytest.raises(ValueError):
        export.media["IMG-20240312-WA0001.jpg"].open()


# --- bad input --------------------------------------------------------------------------------------

def test_empty_file(tmp_path):
    path = tmp_path / "WhatsApp Chat with Leeg.txt"
    path.write_bytes(b"")
    assert "empty" in reason_of(path)


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "WhatsApp Chat with Bytes.txt"
    path.write_bytes(b"12/03/2024, 09:00 - Ann: \xff\xfe\xfa\n")
    assert "UTF" in reason_of(path)


def test_undecodable_bytes_late_in_a_long_file_reject_that_message_only(tmp_path):
    path = tmp_path / "WhatsApp Chat with Bytes.txt"
    path.write_bytes(b"25/03/2024, 09:00 - Ann: ok\n" * 5000 + b"25/03/2024, 09:00 - Ann: \xc3\x28\n")
    with open_archive(path) as export:
        assert sum(1 for _ in export.messages) == 5000
        assert [(r.line_no, r.reason) for r in export.rejected] == [(5001, "bytes that are not UTF-8 text")]


def test_broken_utf16(tmp_path):
    path = tmp_path / "WhatsApp Chat with Bytes.txt"
    path.write_bytes(b"\xff\xfe\x00\xd8" + bytes(range(128, 256)) * 20)
    assert reason_of(path)


def test_plain_text_that_is_not_an_export(tmp_path):
    path = tmp_path / "notities.txt"
    path.write_text("Boodschappenlijst\nmelk\nbrood\n" * 20, encoding="utf-8")
    assert "not a WhatsApp export" in reason_of(path)


def test_truncated_zip(tmp_path):
    whole = make_zip(tmp_path / "whole.zip", {"_chat.txt": CHAT * 50})
    path = tmp_path / "WhatsApp Chat with Kapot.zip"
    path.write_bytes(whole.read_bytes()[:60])
    assert "zip is truncated or corrupt" == reason_of(path)


def test_crc_error_in_chat_text(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat with Ann Peeters.zip", {"_chat.txt": CHAT}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(b"Bram Claes")
    data[at] = ord("X")
    path.write_bytes(bytes(data))
    reason = reason_of(path)
    assert "corrupt" in reason and "Ann" not in reason and "_chat" not in reason


def test_crc_error_in_media_member(tmp_path):
    path = make_zip(tmp_path / "x.zip", {"_chat.txt": CHAT, "IMG-20240312-WA0001.jpg": PHOTO}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(b"meterkast")] = ord("X")
    path.write_bytes(bytes(data))
    with open_archive(path) as export:
        assert len(list(export.messages)) == 2
        with pytest.raises(NotAnExport, match="corrupt"):
            with export.media["IMG-20240312-WA0001.jpg"].open() as f:
                f.read()


@pytest.mark.parametrize("bad_name", [
    "/etc/passwd", "\\windows\\evil.txt", "../../evil.jpg", "media/../../evil.jpg", "C:/evil.jpg",
    "media\\..\\..\\evil.jpg",
])
def test_unsafe_entry_paths_refuse_the_zip(tmp_path, bad_name):
    path = make_zip(tmp_path / "WhatsApp Chat - Werf.zip", {"_chat.txt": CHAT, bad_name: PHOTO})
    assert "unsafe" in reason_of(path)


def test_symlink_entry_refuses_the_zip(tmp_path):
    link = zipfile.ZipInfo("IMG-1.jpg")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = make_zip(tmp_path / "WhatsApp Chat - Werf.zip", {"_chat.txt": CHAT, link: b"/etc/passwd"})
    assert "unsafe" in reason_of(path)


def test_decompression_bomb_by_ratio(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat - Werf.zip", {"_chat.txt": CHAT, "VID-1.mp4": b"\0" * (4 * 1024**2)})
    assert "bomb" in reason_of(path)


def test_decompression_bomb_by_total_size():
    infos = []
    for i in range(3):
        info = zipfile.ZipInfo(f"VID-{i}.mp4")
        info.file_size, info.compress_size = 1024**3, 1024**3 // 2
        infos.append(info)
    with pytest.raises(NotAnExport, match="too large"):
        archive.check_zip_entries(infos)


def test_too_many_entries(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("_chat.txt", CHAT)
        for i in range(archive.MAX_ENTRIES):
            zf.writestr(f"m/{i}.jpg", b"")
    path = tmp_path / "WhatsApp Chat - Werf.zip"
    path.write_bytes(buf.getvalue())
    assert "too many entries" in reason_of(path)


def test_zip_without_chat_text(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat - Werf.zip", {"IMG-1.jpg": PHOTO, "__MACOSX/._chat.txt": b"x"})
    assert "no WhatsApp chat text" in reason_of(path)


def test_zip_whose_text_is_not_an_export(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat - Werf.zip", {"_chat.txt": "lijst\nmelk\n" * 40})
    assert "not a WhatsApp export" in reason_of(path)


def test_reasons_do_not_name_people(tmp_path):
    path = make_zip(tmp_path / "WhatsApp Chat with Ann Peeters.zip",
                    {"_chat.txt": CHAT, "../Ann Peeters.jpg": PHOTO})
    reason = reason_of(path)
    assert "Ann" not in reason and "Peeters" not in reason


def test_directory_is_not_an_export(tmp_path):
    (tmp_path / "d.txt").mkdir()
    with pytest.raises(NotAnExport):
        open_archive(tmp_path / "d.txt")


def test_sent_times_are_naive(tmp_path):
    path = tmp_path / "WhatsApp Chat with Werf Leuven.txt"
    path.write_text(CHAT, encoding="utf-8")
    with open_archive(path) as export:
        first = next(export.messages)
    assert first.sent_local == datetime(2024, 3, 12, 9, 1) and first.sent_local.tzinfo is None
