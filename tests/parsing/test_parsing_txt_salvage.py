"""Exported chat text, issue 11: mixed and CR-only line endings, impossible dates reported with their
line, undecodable bytes salvaged per message (a file mostly not text is still refused)."""
from datetime import datetime

import pytest

from o3_governance.parsing import NotAnExport, open_archive


def parse(tmp_path, data, name="WhatsApp Chat with Werf Leuven.txt"):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    with open_archive(path) as export:
        msgs = list(export.messages)
        return msgs, [(r.line_no, r.reason) for r in export.rejected]


# --- line endings -----------------------------------------------------------------------------------

def test_mixed_crlf_and_lf_message_ends_do_not_merge(tmp_path):
    text = ("[12/03/2024, 09:00:00] Ann Peeters: eerste\nmet een tweede regel\r\n"
            "[12/03/2024, 09:01:00] Bram Claes: tweede\n"           # this message ends in a bare LF
            "[12/03/2024, 09:02:00] Ann Peeters: derde\r\n"
            "[12/03/2024, 09:03:00] Bram Claes: vierde\n"
            "[12/03/2024, 09:04:00] Ann Peeters: vijfde\r\n")
    msgs, rejected = parse(tmp_path, text)
    assert [(m.line_no, m.author, m.body) for m in msgs] == [
        (1, "Ann Peeters", "eerste\nmet een tweede regel"), (3, "Bram Claes", "tweede"),
        (4, "Ann Peeters", "derde"), (5, "Bram Claes", "vierde"), (6, "Ann Peeters", "vijfde")]
    assert rejected == []


def test_mixed_file_mostly_lf_with_some_crlf(tmp_path):
    text = ("12/03/2024, 09:00 - Ann Peeters: a\r\n12/03/2024, 09:01 - Bram Claes: b\n"
            "12/03/2024, 09:02 - Ann Peeters: c\nvervolg\n12/03/2024, 09:03 - Bram Claes: d\n")
    msgs, _ = parse(tmp_path, text)
    assert [m.body for m in msgs] == ["a", "b", "c\nvervolg", "d"]


def test_ios_pasted_earlier_message_stays_inside(tmp_path):
    # A pasted message has an author but is earlier than the message it sits in: text, not a message.
    text = ("[12/03/2024, 09:00:00] Ann Peeters: kijk\r\n"
            "[12/03/2024, 10:00:00] Bram Claes: zie hieronder\n[12/03/2024, 09:00:00] Ann Peeters: kijk\r\n"
            "[12/03/2024, 10:05:00] Ann Peeters: ok\r\n")
    msgs, _ = parse(tmp_path, text)
    assert [m.body for m in msgs] == ["kijk", "zie hieronder\n[12/03/2024, 09:00:00] Ann Peeters: kijk", "ok"]


def test_cr_only_file_parses_into_its_messages(tmp_path):
    text = "12/03/2024, 09:00 - Ann Peeters: a\rtweede regel\r12/03/2024, 09:01 - Bram Claes: b\r"
    msgs, rejected = parse(tmp_path, text)
    assert [(m.line_no, m.author, m.body) for m in msgs] == [(1, "Ann Peeters", "a\ntweede regel"),
                                                             (3, "Bram Claes", "b")]
    assert rejected == []


def test_long_cr_only_file_is_not_one_line(tmp_path):
    text = "".join(f"12/03/2024, 09:{i % 60:02d} - Ann Peeters: bericht {i}\r" for i in range(3000))
    msgs, _ = parse(tmp_path, text)
    assert len(msgs) == 3000 and msgs[-1].body == "bericht 2999"


# --- impossible dates ---------------------------------------------------------------------------------

def test_first_line_with_impossible_date_is_reported(tmp_path):
    text = "31/02/2024, 09:00 - Ann Peeters: eerste\nvervolg\n01/03/2024, 09:01 - Bram Claes: tweede\n"
    msgs, rejected = parse(tmp_path, text)
    assert [(m.line_no, m.body) for m in msgs] == [(3, "tweede")]
    assert rejected == [(1, "date does not exist")]


def test_ios_mid_file_impossible_date_after_crlf_is_reported(tmp_path):
    text = ("[28/02/2024, 09:00:00] Ann Peeters: a\r\n[31/02/2024, 09:01:00] Bram Claes: b\r\n"
            "[01/03/2024, 09:02:00] Ann Peeters: c\r\n")
    msgs, rejected = parse(tmp_path, text)
    assert [m.body for m in msgs] == ["a", "c"] and rejected == [(2, "date does not exist")]


def test_date_impossible_under_the_files_order(tmp_path):
    # The file is month-first (3/25); 25/3 cannot exist under that order.
    text = "3/25/24, 09:00 - Ann Peeters: a\n25/3/24, 09:01 - Bram Claes: b\n3/26/24, 09:02 - Ann Peeters: c\n"
    msgs, rejected = parse(tmp_path, text)
    assert [m.sent_local for m in msgs] == [datetime(2024, 3, 25, 9, 0), datetime(2024, 3, 26, 9, 2)]
    assert rejected == [(2, "date does not exist")]


def test_impossible_time_is_reported(tmp_path):
    msgs, rejected = parse(tmp_path, "12/03/2024, 09:00 - Ann Peeters: a\n12/03/2024, 25:61 - Bram Claes: b\n")
    assert [m.body for m in msgs] == ["a"] and rejected == [(2, "time does not exist")]


def test_text_before_the_first_header_is_reported(tmp_path):
    msgs, rejected = parse(tmp_path, "kopregel\nnog een\n\n12/03/2024, 09:00 - Ann Peeters: hallo\n")
    assert [m.body for m in msgs] == ["hallo"] and rejected == [(1, "text before the first message header")]


# --- undecodable bytes --------------------------------------------------------------------------------

GOOD = b"12/03/2024, 09:00 - Ann Peeters: goed\n"


def test_bad_byte_in_one_line_rejects_that_message_only(tmp_path):
    data = GOOD * 3 + b"12/03/2024, 09:01 - Bram Claes: begin\nkapot \xff\xfe hier\n" + GOOD * 2
    msgs, rejected = parse(tmp_path, data)
    assert [m.line_no for m in msgs] == [1, 2, 3, 6, 7]
    assert rejected == [(4, "bytes that are not UTF-8 text")]


def test_lone_surrogate_in_utf8_is_rejected(tmp_path):
    data = GOOD + b"12/03/2024, 09:01 - Bram Claes: \xed\xa0\x80\n" + GOOD
    msgs, rejected = parse(tmp_path, data)
    assert len(msgs) == 2 and rejected == [(2, "bytes that are not UTF-8 text")]
    assert all("\udfff" not in m.body for m in msgs)


def test_lone_surrogate_in_utf16_is_rejected(tmp_path):
    good = "12/03/2024, 09:00 - Chloé Dubois: ça va\n".encode("utf-16-le")
    bad = "12/03/2024, 09:01 - Bram Claes: ".encode("utf-16-le") + b"\x00\xd8" + "x\n".encode("utf-16-le")
    msgs, rejected = parse(tmp_path, b"\xff\xfe" + good + bad + good)
    assert [m.body for m in msgs] == ["ça va", "ça va"] and rejected == [(2, "bytes that are not UTF-16 text")]


def test_file_mostly_not_text_is_refused(tmp_path):
    data = GOOD + b"12/03/2024, 09:01 - Bram Claes: \xff\xfe\n" * 5
    with pytest.raises(NotAnExport, match="not UTF-8 or UTF-16 text"):
        parse(tmp_path, data)


def test_binary_file_is_refused_as_not_text(tmp_path):
    with pytest.raises(NotAnExport, match="not UTF-8 or UTF-16 text"):
        parse(tmp_path, bytes(range(128, 256)) * 400 + b"\n" * 2 + bytes(range(128, 256)) * 400)


def test_long_file_whose_tail_is_not_text_is_refused(tmp_path):
    # The first pass stops early on a long file: the tail is still counted.
    data = b"25/03/2024, 09:00 - Ann Peeters: goed\n" * 2100 + b"\x80\x81\x82 kapot\n" * 5000
    with pytest.raises(NotAnExport, match="not UTF-8 or UTF-16 text"):
        parse(tmp_path, data)
