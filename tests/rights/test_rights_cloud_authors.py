"""A data-subject request finds a Cloud API author by their wa_id even where the phone column is empty."""
from __future__ import annotations

from o3_governance.identity.matching import Subject
from o3_governance.rights.finder import find_authored
from o3_governance.storage import warehouse


def _insert(con, message_id, author, author_phone, author_id):
    con.execute("INSERT INTO messages (message_id, chat_id, chat_name, author, author_phone, author_id, "
                "message_type, body, line_no) VALUES (?, 'c', 'c', ?, ?, ?, 'text', 'x', 1)",
                [message_id, author, author_phone, author_id])


def test_authored_messages_are_found_by_phone_by_wa_id_and_never_by_another_persons_id(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        _insert(con, "m1", "Tess Testperson", "+32470000001", "32470000001")
        _insert(con, "m2", "Tess Testperson", None, "32470000001")    # number not given back as a phone
        _insert(con, "m3", "Tess Testperson", None, "BE.user.42")      # phone withheld: the name decides, as in exports
        _insert(con, "m5", "Someone Else", None, "BE.user.43")
        _insert(con, "m4", "Other Person", "+32470000002", "32470000002")
        ids, matched = find_authored(con, Subject(phone="+32470000001", name="Tess Testperson"))
    finally:
        con.close()
    assert sorted(ids) == ["m1", "m2", "m3"]
