"""Exported chat text: header shapes, date order, lines, system lines, media, deleted, edited."""
from datetime import datetime
from pathlib import Path

import pytest

from o3_governance.parsing import NotAnExport, open_archive
from o3_governance.parsing.whatsapp_txt import chat_name_from_filename

FIXTURES = Path(__file__).parent.parent / "fixtures" / "parsing"
NBSP, NNBSP, LRM, LRE, PDF, BOM = "\u00a0", "\u202f", "\u200e", "\u202a", "\u202c", "\ufeff"


def parse(tmp_path, text, name="WhatsApp Chat with Werf Leuven.txt", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    with open_archive(path) as export:
        return export, list(export.messages)


def one(tmp_path, text, **kw):
    _, msgs = parse(tmp_path, text, **kw)
    assert len(msgs) == 1, msgs
    return msgs[0]


# --- header shapes -------------------------------------------------------------------------------

def test_android_day_first_with_comma(tmp_path):
    m = one(tmp_path, "23/03/2022, 13:31 - Ann Peeters: Goeiemorgen\n")
    assert (m.sent_local, m.author, m.message_type, m.body) == (
        datetime(2022, 3, 23, 13, 31), "Ann Peeters", "text", "Goeiemorgen")


def test_android_us_12_hour_with_narrow_nbsp_before_pm(tmp_path):
    m = one(tmp_path, f"1/29/18, 7:02{NNBSP}PM - Ann: hi\n")
    assert m.sent_local == datetime(2018, 1, 29, 19, 2)


def test_android_dutch_dashes_without_comma(tmp_path):
    m = one(tmp_path, "18-03-2022 15:10 - Ann: hallo\n")
    assert m.sent_local == datetime(2022, 3, 18, 15, 10)


def test_android_french_a_between_date_and_time(tmp_path):
    m = one(tmp_path, "23/03/2022 à 13:31 - Chloé: bonjour\n")
    assert (m.sent_local, m.author) == (datetime(2022, 3, 23, 13, 31), "Chloé")


def test_ios_uk_brackets_with_seconds(tmp_path):
    export, msgs = parse(tmp_path, "[31/12/2022 11:40:26] Ann: gelukkig nieuwjaar\r\n")
    assert msgs[0].sent_local == datetime(2022, 12, 31, 11, 40, 26)
    assert export.source_format == "ios"


def test_ios_us_comma_month_first(tmp_path):
    m = one(tmp_path, "[3/18/22, 14:56:01] Ann: hello\r\n")
    assert m.sent_local == datetime(2022, 3, 18, 14, 56, 1)


def test_ios_dutch_dashes(tmp_path):
    m = one(tmp_path, "[27-11-18 18:43:20] Ann: hoi\r\n")
    assert m.sent_local == datetime(2018, 11, 27, 18, 43, 20)


def test_ios_french_on_us_region_no_comma(tmp_path):
    m = one(tmp_path, "[3/18/22 14:56:00] Ann: bonjour\r\n")
    assert m.sent_local == datetime(2022, 3, 18, 14, 56)


def test_ios_without_seconds(tmp_path):
    m = one(tmp_path, "[01/20/19 11:25] Ann: hi\n")
    assert m.sent_local == datetime(2019, 1, 20, 11, 25)


def test_spanish_style_p_m_with_nbsp(tmp_path):
    m = one(tmp_path, f"01/30/2019, 08:49 p.{NBSP}m. - Ann: hola\n")
    assert m.sent_local == datetime(2019, 1, 30, 20, 49)


def test_a_dot_m_dot_and_midnight_hour(tmp_path):
    _, msgs = parse(tmp_path, "1/29/18, 9:05 a.m. - Ann: one\n1/29/18, 12:10 a.m. - Ann: two\n"
                              "1/29/18, 12:10 p.m. - Ann: three\n1/29/18, 0:24 PM - Ann: four\n")
    assert [m.sent_local.time().isoformat() for m in msgs] == ["09:05:00", "00:10:00", "12:10:00", "12:24:00"]


def test_year_first_dates(tmp_path):
    _, msgs = parse(tmp_path, "2019-01-30 20:49 - Ann: a\n2019/01/31, 08:00 - Ann: b\n")
    assert [m.sent_local for m in msgs] == [datetime(2019, 1, 30, 20, 49), datetime(2019, 1, 31, 8, 0)]


def test_dotted_dates(tmp_path):
    m = one(tmp_path, "16.03.2022, 15:10 - Ann: hallo\n")
    assert m.sent_local == datetime(2022, 3, 16, 15, 10)


# --- day / month order ---------------------------------------------------------------------------

def test_order_day_first_when_first_value_exceeds_12(tmp_path):
    export, msgs = parse(tmp_path, "05/03/2022, 10:00 - Ann: a\n25/03/2022, 10:00 - Ann: b\n")
    assert msgs[0].sent_local.date().isoformat() == "2022-03-05" and export.scan.order == "dmy"


def test_order_month_first_when_second_value_exceeds_12(tmp_path):
    export, msgs = parse(tmp_path, "05/03/2022, 10:00 - Ann: a\n05/25/2022, 10:00 - Ann: b\n")
    assert msgs[0].sent_local.date().isoformat() == "2022-05-03" and export.scan.order == "mdy"


def test_order_decided_late_in_a_long_file(tmp_path):
    ambiguous = "".join(f"0{1 + i % 9}/0{1 + (i // 9) % 9}/2022, 10:00 - Ann: {i}\n" for i in range(3000))
    export, msgs = parse(tmp_path, ambiguous + "03/20/2022, 10:00 - Ann: late\n")
    assert export.scan.order == "mdy" and msgs[-1].sent_local == datetime(2022, 3, 20, 10, 0)


def test_order_from_dates_going_backwards(tmp_path):
    # Day-first reads 6 Mar, 8 May, 9 Apr (goes back); month-first reads 3 Jun, 5 Aug, 4 Sep.
    text = "06/03/2017, 00:45 - Ann: a\n08/05/2017, 01:48 - Ann: b\n09/04/2017, 01:50 - Ann: c\n"
    export, msgs = parse(tmp_path, text)
    assert export.scan.order == "mdy" and export.scan.order_decided_by == "backwards"
    assert msgs[2].sent_local == datetime(2017, 9, 4, 1, 50)


def test_order_defaults_to_day_first(tmp_path):
    export, msgs = parse(tmp_path, "12/9/20, 23:55 - Ann: a\n12/9/20, 23:56 - Bob: b\n")
    assert export.scan.order == "dmy" and msgs[0].sent_local == datetime(2020, 9, 12, 23, 55)


def test_impossible_date_line_mid_file_is_reported_not_merged(tmp_path):
    # Issue 11: a header-shaped line whose date cannot exist is reported with its line, never silently
    # glued to the previous message (which stays as it was written).
    export, msgs = parse(tmp_path, "28/02/2022, 10:00 - Ann: factuur\n31/02/2022, 10:00 - Bob: staat er op\n"
                                   "nog een regel\n01/03/2022, 09:00 - Ann: ok\n")
    assert [(m.line_no, m.body) for m in msgs] == [(1, "factuur"), (4, "ok")]
    assert [(r.line_no, r.reason) for r in export.rejected] == [(2, "date does not exist")]


# --- lines, invisible marks, line endings -----------------------------------------------------------

def test_multiline_message_keeps_empty_lines(tmp_path):
    _, msgs = parse(tmp_path, "12/03/2024, 09:00 - Ann: eerste\n\nderde regel\n12/03/2024, 09:01 - Bob: ok\n\n")
    assert msgs[0].body == "eerste\n\nderde regel" and msgs[1].body == "ok"


def test_bom_at_start_and_mid_file(tmp_path):
    _, msgs = parse(tmp_path, f"{BOM}12/03/2024, 09:00 - Ann: a\n{BOM}12/03/2024, 09:01 - Bob: b\n")
    assert [(m.author, m.body) for m in msgs] == [("Ann", "a"), ("Bob", "b")]


def test_lrm_at_line_start_does_not_glue_messages(tmp_path):
    _, msgs = parse(tmp_path, f"[3/27/22, 21:41:35] Ann: hi\r\n{LRM}[3/27/22, 21:41:55] Bob: {LRM}hallo\r\n")
    assert [(m.author, m.body) for m in msgs] == [("Ann", "hi"), ("Bob", "hallo")]


def test_phone_author_wrapped_in_embedding_marks(tmp_path):
    m = one(tmp_path, f"[3/18/22, 14:56:01] {LRE}+32{NBSP}471{NBSP}55{NBSP}66{NBSP}77{PDF}: hallo\r\n")
    assert (m.author, m.author_phone) == ("+32 471 55 66 77", "+32471556677")


def test_local_phone_author_uses_belgian_region(tmp_path):
    m = one(tmp_path, "12/03/2024, 09:00 - 0471 55 66 77: hallo\n")
    assert m.author_phone == "+32471556677"


def test_name_author_has_no_phone(tmp_path):
    assert one(tmp_path, "12/03/2024, 09:00 - Ann 2: hallo\n").author_phone is None


def test_ios_crlf_ends_messages_and_bare_lf_stays_inside(tmp_path):
    text = "[16/03/2022, 15:20:25] Ann: Hi \n\n[16/03/2022, 15:21:00] quoted\r\n[16/03/2022, 15:25:38] Bob: ok\r\n"
    _, msgs = parse(tmp_path, text)
    assert [m.author for m in msgs] == ["Ann", "Bob"]
    assert msgs[0].body == "Hi \n\n[16/03/2022, 15:21:00] quoted"


def test_lf_file_splits_on_every_header(tmp_path):
    _, msgs = parse(tmp_path, "[16/03/2022, 15:20:25] Ann: Hi\n[16/03/2022, 15:21:00] Bob: Yo\n")
    assert [m.author for m in msgs] == ["Ann", "Bob"]


def test_android_crlf_continuation_lines(tmp_path):
    _, msgs = parse(tmp_path, "12/9/20, 23:55 - Bob: hello\r\nsecond\r\n12/9/20, 23:56 - Eve: hi\r\n")
    assert [m.body for m in msgs] == ["hello\nsecond", "hi"]


def test_utf16_with_bom_is_read(tmp_path):
    m = one(tmp_path, "12/03/2024, 09:00 - Chloé: Ça va\n", encoding="utf-16")
    assert (m.author, m.body) == ("Chloé", "Ça va")


def test_line_numbers_point_at_the_header(tmp_path):
    _, msgs = parse(tmp_path, "12/03/2024, 09:00 - Ann: a\nb\nc\n12/03/2024, 09:01 - Bob: d\n")
    assert [m.line_no for m in msgs] == [1, 4]


def test_authors_with_hyphen_emoji_and_tilde(tmp_path):
    _, msgs = parse(tmp_path, "12/03/2024, 09:00 - Jean-Luc Dupont: a\n12/03/2024, 09:01 - 🤓: b\n"
                              f"12/03/2024, 09:02 - ~{NNBSP}Ann: c\n")
    assert [m.author for m in msgs] == ["Jean-Luc Dupont", "🤓", "~ Ann"]


def test_author_with_empty_body(tmp_path):
    m = one(tmp_path, "[1/29/18, 11:59:03 PM] Carol:\n")
    assert (m.author, m.body, m.message_type) == ("Carol", "", "text")


def test_body_with_colons_keeps_them(tmp_path):
    m = one(tmp_path, "12/03/2024, 09:00 - Ann: Agenda: 10:00 - start\n")
    assert (m.author, m.body) == ("Ann", "Agenda: 10:00 - start")


# --- system lines --------------------------------------------------------------------------------

@pytest.mark.parametrize("text,lang", [
    ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read "
     "or listen to them. Tap to learn more.", "en"),
    ("Berichten en oproepen worden end-to-end versleuteld. Niemand buiten deze chat kan ze lezen of "
     "beluisteren, zelfs WhatsApp niet. Tik voor meer informatie.", "nl"),
    ("Les messages et les appels sont chiffrés de bout en bout. Aucun tiers, pas même WhatsApp, ne peut les "
     "lire ou les écouter. Appuyez pour en savoir plus.", "fr"),
])
def test_android_e2e_notice_is_system_without_author(tmp_path, text, lang):
    export, msgs = parse(tmp_path, f"12/03/2024, 09:00 - {text}\n12/03/2024, 09:01 - Ann: x\n")
    assert (msgs[0].message_type, msgs[0].author, msgs[0].body) == ("system", None, text)
    assert export.export_language == lang


@pytest.mark.parametrize("line,lang", [
    ('Ann created group "Werf"', "en"), ("Ann added Bob", "en"), ("Bob left", "en"),
    ("Ann changed this group's icon", "en"), ("Your security code with Bob changed. Tap to learn more.", "en"),
    ('Ann heeft groep "Werf" aangemaakt', "nl"), ("Ann heeft Bob toegevoegd", "nl"), ("Bob is vertrokken", "nl"),
    ("Ann heeft de groepsafbeelding gewijzigd", "nl"),
    ('Ann a créé le groupe "Chantier"', "fr"), ("Ann a ajouté Bob", "fr"), ("Bob est parti", "fr"),
    ("Ann a modifié le sujet de « A » à « B »", "fr"),
])
def test_android_group_events_are_system(tmp_path, line, lang):
    export, msgs = parse(tmp_path, f"12/03/2024, 09:00 - {line}\n")
    assert (msgs[0].message_type, msgs[0].author) == ("system", None)
    assert export.export_language == lang


def test_android_system_line_with_colon_in_subject(tmp_path):
    m = one(tmp_path, '12/03/2024, 09:00 - Ann changed the subject from "Werf: fase 1" to "Werf: fase 2"\n')
    assert (m.message_type, m.author) == ("system", None)


def test_french_system_line_with_colon_inside_guillemets(tmp_path):
    m = one(tmp_path, "12/03/2024, 09:00 - Ann a modifié le sujet de « Chantier : phase 1 » à « B »\n")
    assert (m.message_type, m.author) == ("system", None)


def test_author_with_quoted_nickname_is_an_author(tmp_path):
    m = one(tmp_path, '12/03/2024, 09:00 - Jan "de baas": I added the photo\n')
    assert (m.message_type, m.author, m.body) == ("text", 'Jan "de baas"', "I added the photo")


def test_ios_system_line_has_no_author(tmp_path):
    text = (f"[12/03/2024, 09:00:00] Werf Leuven: {LRM}Messages and calls are end-to-end encrypted. No one outside "
            f"of this chat, not even WhatsApp, can read or listen to them.\r\n"
            f"[12/03/2024, 09:00:05] Werf Leuven: {LRM}Ann added Bob\r\n"
            f"[12/03/2024, 09:01:00] Ann: {LRM}Ann changed the subject to “Werf: fase 2”\r\n"
            f"[12/03/2024, 09:02:00] Ann: hallo\r\n")
    _, msgs = parse(tmp_path, text, name="_chat.txt")
    assert [(m.message_type, m.author) for m in msgs] == [
        ("system", None), ("system", None), ("system", None), ("text", "Ann")]
    assert msgs[2].body == "Ann changed the subject to “Werf: fase 2”"


def test_ios_system_line_without_author(tmp_path):
    m = one(tmp_path, f"[1/11/23, 16:11:21] {LRM}You created group “Group Chat”\r\n")
    assert (m.message_type, m.author, m.body) == ("system", None, "You created group “Group Chat”")


def test_user_text_starting_with_lrm_stays_text(tmp_path):
    m = one(tmp_path, f"[1/29/18, 11:49:03 PM] Alice: {LRM}No idea, lets try it out!\n")
    assert (m.message_type, m.body) == ("text", "No idea, lets try it out!")


def test_ios_security_code_line_is_system(tmp_path):
    text = (f"[3/18/22, 14:56:01] Elon: {LRM}Messages and calls are end-to-end encrypted. No one outside of this "
            f"chat, not even WhatsApp, can read or listen to them.\r\n"
            f"[4/28/22, 20:17:30] Elon: {LRM}{LRM}Your security code with Elon changed. {LRM}Tap to learn more.\r\n")
    _, msgs = parse(tmp_path, text)
    assert [m.message_type for m in msgs] == ["system", "system"]


def test_old_ios_e2e_notice_without_mark_is_system(tmp_path):
    text = ("[1/29/18, 12:24:03 PM] Werf: Messages to this group are now secured with end-to-end encryption. "
            "Tap for more info.\n[1/29/18, 12:25:00 PM] Werf: I added the photos\n")
    export, msgs = parse(tmp_path, text, name="_chat.txt")
    assert [m.message_type for m in msgs] == ["system", "text"] and export.chat_name == "Werf"


# --- media ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("placeholder,lang", [
    ("<Media omitted>", "en"), ("<Media weggelaten>", "nl"), ("<Médias omis>", "fr"), ("<Fichier omis>", "fr"),
])
def test_android_media_omitted(tmp_path, placeholder, lang):
    export, msgs = parse(tmp_path, f"12/03/2024, 09:00 - Ann: {placeholder}\n")
    assert (msgs[0].message_type, msgs[0].attachment, msgs[0].body) == ("media", None, placeholder)
    assert export.export_language == lang


@pytest.mark.parametrize("placeholder,lang", [
    ("image omitted", "en"), ("video omitted", "en"), ("audio omitted", "en"), ("sticker omitted", "en"),
    ("GIF omitted", "en"), ("Contact card omitted", "en"), ("afbeelding weggelaten", "nl"),
    ("video weggelaten", "nl"), ("image absente", "fr"), ("vidéo absente", "fr"), ("audio omis", "fr"),
    ("sticker omis", "fr"), ("Fiche contact manquante", "fr"),
])
def test_ios_media_omitted(tmp_path, placeholder, lang):
    export, msgs = parse(tmp_path, f"{LRM}[3/27/22, 21:41:55] Ann: {LRM}{placeholder}\r\n")
    assert (msgs[0].message_type, msgs[0].attachment, msgs[0].body) == ("media", None, placeholder)
    assert export.export_language == lang


def test_ios_document_omitted_after_its_name(tmp_path):
    m = one(tmp_path, f"[3/27/22, 21:50:25] Ann: Offerte.pdf • {LRM}2 pages {LRM}document omitted\r\n")
    assert (m.message_type, m.attachment, m.body) == ("media", None, "Offerte.pdf • 2 pages document omitted")


def test_sentence_ending_like_a_placeholder_without_mark_is_text(tmp_path):
    assert one(tmp_path, "[3/27/22, 21:50:25] Ann: sorry, the image omitted\r\n").message_type == "text"


@pytest.mark.parametrize("marker,lang", [("file attached", "en"), ("bestand bijgevoegd", "nl"), ("fichier joint", "fr")])
def test_android_attached_file(tmp_path, marker, lang):
    export, msgs = parse(tmp_path, f"12/03/2024, 09:00 - Ann: {LRM}IMG-20240312-WA0001.jpg ({marker})\n")
    assert (msgs[0].message_type, msgs[0].attachment) == ("media", "IMG-20240312-WA0001.jpg")
    assert export.export_language == lang


@pytest.mark.parametrize("shape,lang", [
    ("<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>", "en"),
    ("<bijgevoegd: 00000035-PHOTO-2022-03-27-21-41-55.jpg>", "nl"),
    ("< pièce jointe : 00000035-PHOTO-2022-03-27-21-41-55.jpg >", "fr"),
])
def test_ios_attached_file(tmp_path, shape, lang):
    export, msgs = parse(tmp_path, f"{LRM}[3/27/22, 21:41:55] Ann: {LRM}{shape}\r\n")
    assert (msgs[0].message_type, msgs[0].attachment) == ("media", "00000035-PHOTO-2022-03-27-21-41-55.jpg")
    assert export.export_language == lang


def test_ios_attached_after_caption_text(tmp_path):
    m = one(tmp_path, f"[3/27/22, 21:50:09] Ann: Some file.txt {LRM}<attached: 00000046-Some file.txt>\r\n")
    assert (m.attachment, m.body) == ("00000046-Some file.txt", "Some file.txt <attached: 00000046-Some file.txt>")


def test_caption_on_next_line_stays_in_body(tmp_path):
    _, msgs = parse(tmp_path, "18-03-2022 15:10 - Ann: <Media weggelaten>\nMeterkast\n"
                              "18-03-2022 15:11 - Ann: IMG-1.jpg (bestand bijgevoegd)\nKabels\n")
    assert [(m.message_type, m.attachment, m.body) for m in msgs] == [
        ("media", None, "<Media weggelaten>\nMeterkast"), ("media", "IMG-1.jpg", "IMG-1.jpg (bestand bijgevoegd)\nKabels")]


# --- deleted and edited --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "This message was deleted", "This message was deleted.", "You deleted this message",
    "You deleted this message.", "Dit bericht is verwijderd", "U hebt dit bericht verwijderd",
    "Ce message a été supprimé", "Ce message a été supprimé.", "Vous avez supprimé ce message",
])
def test_deleted_messages(tmp_path, text):
    m = one(tmp_path, f"[3/27/22, 21:54:45] Ann: {LRM}{text}\r\n")
    assert (m.message_type, m.author, m.body) == ("deleted", "Ann", text)


def test_deleted_words_inside_a_sentence_are_text(tmp_path):
    assert one(tmp_path, "12/03/2024, 09:00 - Ann: This message was deleted by mistake\n").message_type == "text"


@pytest.mark.parametrize("marker", ["<This message was edited>", "<Dit bericht is bewerkt>", "<Ce message a été modifié>"])
def test_edited_marker_is_removed(tmp_path, marker):
    m = one(tmp_path, f"12/03/2024, 09:00 - Ann: Kabel ligt er {LRM}{marker}\n")
    assert (m.body, m.edited, m.message_type) == ("Kabel ligt er", True, "text")


def test_edited_marker_after_multiline_body(tmp_path):
    m = one(tmp_path, "12/03/2024, 09:00 - Ann: eerste\ntweede <This message was edited>\n")
    assert (m.body, m.edited) == ("eerste\ntweede", True)


def test_unedited_message_is_not_flagged(tmp_path):
    assert one(tmp_path, "12/03/2024, 09:00 - Ann: <b>vet</b>\n").edited is False


# --- whole-file properties -----------------------------------------------------------------------

def test_dutch_android_fixture(tmp_path):
    with open_archive(FIXTURES / "WhatsApp-chat met Werf Leuven.txt") as export:
        msgs = list(export.messages)
        assert (export.chat_name, export.source_format, export.export_language) == ("Werf Leuven", "android", "nl")
    assert [m.message_type for m in msgs] == [
        "system", "system", "system", "text", "text", "media", "media", "text", "deleted", "text", "system"]
    assert msgs[4].author_phone == "+32471556677" and msgs[4].author == "+32 471 55 66 77"
    assert msgs[6].attachment == "IMG-20240312-WA0001.jpg"
    assert msgs[7].body == "Foto's volgen morgen\n\nmet de meetwaarden"
    assert msgs[9].edited and msgs[9].body == "Kabel ligt er"
    assert all(m.author is None for m in msgs if m.message_type == "system")


def test_no_language_evidence_gives_none(tmp_path):
    export, _ = parse(tmp_path, "12/03/2024, 09:00 - Ann: hallo\n")
    assert export.export_language is None


def test_source_format_android(tmp_path):
    export, _ = parse(tmp_path, "12/03/2024, 09:00 - Ann: hallo\n")
    assert export.source_format == "android"


@pytest.mark.parametrize("file_name,expected", [
    ("WhatsApp Chat with Werf Leuven.txt", "Werf Leuven"),
    ("WhatsApp Chat - Werf Leuven.zip", "Werf Leuven"),
    ("WhatsApp-chat met Werf Leuven.txt", "Werf Leuven"),
    ("Discussion WhatsApp avec Chantier Namur.txt", "Chantier Namur"),
    ("WhatsApp Chat with Werf Leuven (1).txt", "Werf Leuven"),
    ("WhatsApp Chat - Werf Leuven (2).zip", "Werf Leuven"),
    ("WhatsApp Chat - Team (EN+Media).txt", "Team (EN+Media)"),
    ("_chat.txt", None),
    ("export.zip", None),
])
def test_chat_name_from_filename(file_name, expected):
    assert chat_name_from_filename(file_name) == expected


def test_chat_name_of_bare_chat_txt_from_ios_first_line(tmp_path):
    export, _ = parse(tmp_path, f"[12/03/2024, 09:00:00] Werf Leuven: {LRM}Messages and calls are end-to-end "
                                f"encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them.\r\n"
                                f"[12/03/2024, 09:01:00] Ann: hallo\r\n", name="_chat.txt")
    assert export.chat_name == "Werf Leuven"


def test_not_an_export_text(tmp_path):
    with pytest.raises(NotAnExport, match="not a WhatsApp export"):
        parse(tmp_path, "Boodschappenlijst\nmelk\nbrood\n" * 30, name="notities.txt")


def test_header_after_a_little_junk_is_accepted(tmp_path):
    _, msgs = parse(tmp_path, "junk\n\n12/03/2024, 09:00 - Ann: hallo\n")
    assert len(msgs) == 1


def test_parser_streams_with_flat_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "WhatsApp Chat with Groot.txt"
    line = "12/03/2024, 09:00 - Ann Peeters: de installatie in Leuven start om tien uur morgen\n"
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(10):
            f.write(line * 10_000)     # 100k lines, ~8.5 MB
    tracemalloc.start()
    try:
        with open_archive(path) as export:
            count = sum(1 for _ in export.messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < 2 * 1024 * 1024, peak    # the file is ~8.5 MB; a list of its lines would be ~15 MB
