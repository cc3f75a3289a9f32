"""One identity matcher for requests, holds and redaction: names in every order, initials, particles,
a surname alone only when no other known person has it, directory aliases; contact cards read safely."""
from __future__ import annotations

import duckdb
import pytest

from o3_governance.identity import matching as identity
from o3_governance.identity import names, vcard
from o3_governance.identity.directory import DirectoryEntry, load_directory
from o3_governance.rights import finder, holds as holds_mod

WOUT = DirectoryEntry("Wout Van den Broeck", "+32478316254", "wout.vandenbroeck@example.be", aliases=("VdB",))


def _con(authors: list[tuple[str | None, str | None]] = ()) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE messages (message_id VARCHAR, author VARCHAR, author_phone VARCHAR, body VARCHAR, "
                "sent_at TIMESTAMP, chat_id VARCHAR, line_no INTEGER, author_id VARCHAR)")
    for i, (a, p) in enumerate(authors):
        con.execute("INSERT INTO messages VALUES (?, ?, ?, NULL, NULL, 'c', ?, NULL)", [str(i), a, p, i])
    return con


def _subject(others: list[DirectoryEntry] = (), authors=()) -> identity.Subject:
    subject, _ = finder.resolve_subject(_con(list(authors)), "+32478316254", "Wout Van den Broeck", None,
                                        directory=[WOUT, *others])
    return subject


def _found(subject: identity.Subject, text: str) -> list[str]:
    return [text[s:e] for s, e in identity.name_spans(text, subject.name_pattern())]


@pytest.mark.parametrize("written", ["Wout Van den Broeck", "Van den Broeck, Wout", "Van den Broeck Wout",
                                     "W. Van den Broeck", "W Van den Broeck", "Van den Broeck, W.",
                                     "WOUT VAN DEN BROECK", "Wout Vandenbroeck", "Wout_Van_den_Broeck", "VdB"])
def test_every_written_form_of_the_name_is_found(written):
    assert _found(_subject(), f"Vraag het aan {written} morgen") == [written]


def test_particles_split_the_surname():
    assert names.split_name("wout van den broeck") == names.NameParts(("wout",), ("van", "den", "broeck"))
    assert names.split_name("van den broeck, wout") == names.NameParts(("wout",), ("van", "den", "broeck"))
    assert names.split_name("van den broeck wout") == names.NameParts(("wout",), ("van", "den", "broeck"))
    assert names.split_name("marie le clercq") == names.NameParts(("marie",), ("le", "clercq"))
    assert names.split_name("jan peeters") == names.NameParts(("jan",), ("peeters",))
    assert names.split_name("vdb") is None
    assert names.name_key("peeters, jan") == names.name_key("Jan Peeters".lower())


def test_surname_alone_only_when_no_other_known_person_has_it():
    assert _found(_subject(), "Van den Broeck komt") == ["Van den Broeck"]
    brother = DirectoryEntry("Jef Van den Broeck", "+32470998877")
    assert _found(_subject([brother]), "Van den Broeck komt") == []
    assert _found(_subject(authors=[("Lies Van den Broeck", None)]), "Van den Broeck komt") == []


def test_initials_only_when_no_one_else_shares_initial_and_surname():
    namesake = DirectoryEntry("Wim Van den Broeck", "+32470998877")
    subject = _subject([namesake])
    assert _found(subject, "W. Van den Broeck belt") == []
    assert _found(subject, "Wout Van den Broeck belt") == ["Wout Van den Broeck"]
    assert _found(subject, "Wim Van den Broeck belt") == []


def test_first_name_alone_only_when_unique_and_not_inside_other_words():
    assert _found(_subject(), "IMG-Wout-0478.jpg en Woutje") == ["Wout"]
    assert _found(_subject(authors=[("Wout Peeters", None)]), "Wout komt") == []


def test_aliases_come_from_the_directory_entry_of_the_subjects_phone_only():
    other = DirectoryEntry("Veerle De Bock", "+32470998877", aliases=("VDBo",))
    subject = _subject([other])
    assert "vdb" in subject.canonical_names and "vdbo" not in subject.canonical_names


def test_whole_fields_compare_in_any_order_for_authors_chats_and_holds():
    subject = _subject()
    for field in ("Van den Broeck, Wout", "van den broeck wout", "W. Van den Broeck", "Wout Van den Broeck"):
        assert subject.is_named(field)
    assert not subject.is_named("Wout") and not subject.is_named("Piet Claes")
    hold = holds_mod.Hold(name="case", names=(identity.normalize_name("Van den Broeck, Wout"),))
    assert holds_mod.names_subject(hold, subject)


def test_authored_messages_are_found_under_a_reversed_author_name():
    con = _con([("Van den Broeck, Wout", None), ("Piet Claes", None)])
    subject, _ = finder.resolve_subject(con, "+32478316254", "Wout Van den Broeck", None, directory=[WOUT])
    ids, matched = finder.find_authored(con, subject)
    assert ids == ["0"] and matched == [("Van den Broeck, Wout", None)]


def test_directory_aliases_are_read_from_yaml_and_csv(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text("- name: Wout Van den Broeck\n  phone: 0478 31 62 54\n  aliases: [VdB, Woutje]\n", encoding="utf-8")
    assert load_directory(y)[0].aliases == ("VdB", "Woutje")
    c = tmp_path / "d.csv"
    c.write_text("name,phone,aliases\nWout Van den Broeck,0478 31 62 54,VdB; Woutje\n", encoding="utf-8")
    assert load_directory(c)[0].aliases == ("VdB", "Woutje")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- name: X\n  aliases: [{a: 1}]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="aliases"):
        load_directory(bad)


CARD_21 = (b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Van den Broeck;Wo=FBt;;;\r\n"
           b"item1.TEL;type=CELL:tel:+32 478 31 62 54\r\nEMAIL:Wout.VandenBroeck@\r\n Example.be\r\n"
           b"NOTE;ENCODING=QUOTED-PRINTABLE:Werf=\r\nleider\r\nPHOTO;ENCODING=BASE64:V291dCBWYW4gZGVuIEJyb2Vjaw==\r\n"
           b"END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Piet Claes\r\nEND:VCARD\r\n")


def test_vcard_reader_decodes_folding_quoted_printable_charsets_and_groups():
    first, second = vcard.read_vcards(CARD_21)
    assert first.names == ["Woût Van den Broeck"]
    assert first.phones == ["+32 478 31 62 54"]
    assert first.emails == ["wout.vandenbroeck@example.be"]
    assert first.texts == ["Werfleider"]            # the base64 photo is skipped
    assert second.names == ["Piet Claes"]


def test_vcard_reader_never_raises_on_garbage():
    assert vcard.read_vcards(b"\x00\xff\xfe garbage \r\n:::;;\r\nBEGIN:VCARD\r\nN;ENCODING=QUOTED-PRINTABLE;"
                             b"CHARSET=nope:=ZZ\r\n") != []
    assert vcard.read_vcards(b"") == []
    assert vcard.read_vcards(b"BEGIN:VCARD\r\nFN:" + b"A" * 100, max_bytes=20)[0].names == ["A" * 4]
