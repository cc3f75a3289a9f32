"""The demo and benchmark generators: deterministic, in the real export formats, with valid planted data."""
from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from datetime import date, datetime

import phonenumbers
import pytest
from stdnum import iban, luhn
from stdnum.be import bis, nn
from stdnum.be import iban as be_iban

from o3_governance.demo import (CHATS, DEMO_PEOPLE, PLANTED, build_demo, demo_manifest, generate_bench_export,
                                generate_bench_messages, staff_directory, write_demo_inbox)
from o3_governance.demo.planted import SPECIAL_TYPES
from o3_governance.parsing import open_archive

LRM, NNBSP, NBSP, LRE, PDF = "\u200e", "\u202f", "\u00a0", "\u202a", "\u202c"
HEADERS = {
    "en24": re.compile(r"^\d{2}/\d{2}/\d{4}, \d{2}:\d{2} - "),
    "en12": re.compile(r"^\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\u202f[AP]M - "),
    "nl": re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2} - "),
    "fr": re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} - "),
    "ios": re.compile(r"^\u200e?\[\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}\] "),
}


@pytest.fixture(scope="module")
def demo():
    """file name → (bytes, expected)."""
    return {name: (data, expected) for name, data, expected in build_demo(7)}


def _chat_text(name: str, data: bytes) -> str:
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            txt = [n for n in z.namelist() if n.endswith(".txt") and not n.startswith("__MACOSX/")]
            return z.read(txt[0]).decode("utf-8")
    return data.decode("utf-8")


def _members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.namelist()


def _headers(text: str, dialect: str) -> list[str]:
    text = text.lstrip("\ufeff")
    lines = text.split("\r\n") if dialect == "ios" else text.split("\n")
    return [line for line in lines if HEADERS[dialect].match(line)]


# --- determinism --------------------------------------------------------------------------------

def test_same_seed_gives_the_same_bytes(tmp_path):
    fresh_a = build_demo.__wrapped__(7)   # bypass the cache: two real generations
    fresh_b = build_demo.__wrapped__(7)
    assert [(n, d) for n, d, _ in fresh_a] == [(n, d) for n, d, _ in fresh_b]
    written = write_demo_inbox(tmp_path / "inbox", seed=7)
    assert [p.read_bytes() for p in written] == [d for _, d, _ in fresh_a]


def test_another_seed_gives_other_chats_with_the_same_planted_sentences():
    a, b = build_demo.__wrapped__(7), build_demo.__wrapped__(8)
    assert all(da != db for (_, da, _), (_, db, _) in zip(a, b))
    for (name, _, ea), (_, _, eb) in zip(a, b):
        assert ea.planted_count == eb.planted_count, name
        if ea.source_format != "cloud_api":   # chat sizes are fixed by their spec; the capture's is drawn
            assert ea.message_count == eb.message_count, name


def test_write_demo_inbox_writes_the_five_archives(tmp_path):
    paths = write_demo_inbox(tmp_path / "new" / "inbox")
    names = [p.name for p in paths]
    assert names == [
        "WhatsApp Chat with Team Installaties.txt", "WhatsApp Chat with LumenPro Supply.txt",
        "WhatsApp-chat met Werf Leuven.zip", "WhatsApp Chat - Client Bruxelles.zip",
        "whatsapp-cloud-api-capture-2026.jsonl"]
    assert all(p.is_file() and p.stat().st_size > 1000 for p in paths)


def test_message_volume_stays_small_enough_for_make_run(demo):
    total = sum(e.message_count for _, e in demo.values())
    assert 3000 <= total <= 6000


# --- formats --------------------------------------------------------------------------------------

def test_android_english_24h_file(demo):
    data, exp = demo["WhatsApp Chat with Team Installaties.txt"]
    text = data.decode("utf-8")
    assert "\r" not in text and not text.startswith("\ufeff")
    assert text.startswith("06/05/2024, 08:47 - Messages and calls are end-to-end encrypted.")
    assert len(_headers(text, "en24")) == exp.message_count
    assert "<Media omitted>" in text and "This message was deleted" in text
    assert "<This message was edited>" in text


def test_android_english_12h_file_is_month_first_with_narrow_nbsp(demo):
    data, exp = demo["WhatsApp Chat with LumenPro Supply.txt"]
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")            # a BOM, as some exports have
    heads = _headers(text, "en12")
    assert len(heads) == exp.message_count
    assert all(NNBSP + "AM - " in h or NNBSP + "PM - " in h for h in heads)
    # month first: the second field goes above 12, the first never does
    firsts = [int(h.split("/")[0]) for h in heads]
    seconds = [int(h.split("/")[1]) for h in heads]
    assert max(firsts) <= 12 < max(seconds)
    assert {h.split(NNBSP)[1][:2] for h in heads} == {"AM", "PM"}
    assert all(1 <= int(h.split(", ")[1].split(":")[0]) <= 12 for h in heads)


def test_android_dutch_zip_with_media(demo):
    data, exp = demo["WhatsApp-chat met Werf Leuven.zip"]
    members = _members(data)
    assert members[0] == "WhatsApp-chat met Werf Leuven.txt"
    text = _chat_text("x.zip", data)
    assert len(_headers(text, "nl")) == exp.message_count
    assert text.splitlines()[0].endswith("Niemand buiten deze chat kan ze lezen of beluisteren, zelfs WhatsApp "
                                         "niet. Tik voor meer informatie.")
    for marker in ("<Media weggelaten>", "Dit bericht is verwijderd", "<Dit bericht is bewerkt>"):
        assert marker in text
    attached = re.findall(r"\u200e(.+?) \(bestand bijgevoegd\)", text)
    assert any(re.fullmatch(r"IMG-\d{8}-WA\d{4}\.jpg", a) for a in attached)
    assert sorted(attached) == sorted(members[1:]) and len(attached) == exp.media_files > 50
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        photo = next(n for n in members if n.endswith(".jpg"))
        blob = z.read(photo)
    assert blob[:3] == b"\xff\xd8\xff" and blob[-2:] == b"\xff\xd9" and 1000 < len(blob) < 6000


def test_ios_french_zip(demo):
    data, exp = demo["WhatsApp Chat - Client Bruxelles.zip"]
    members = _members(data)
    assert members[0] == "_chat.txt"
    assert "__MACOSX/._chat.txt" in members and any(m.startswith("__MACOSX/._0000") for m in members)
    raw = _chat_text("x.zip", data)
    assert raw.endswith("\r\n")
    records = raw.split("\r\n")[:-1]
    assert len(records) == exp.message_count       # CRLF ends each message ...
    assert all(HEADERS["ios"].match(r) for r in records)
    assert any("\n" in r for r in records)         # ... bare LF inside multi-line ones
    assert "Ce message a été supprimé." in raw and f"{LRM}<Ce message a été modifié>" in raw
    assert f": {LRM}image absente" in raw
    assert f"{LRE}+32{NBSP}493{NBSP}03{NBSP}74{NBSP}86{PDF}: " in raw
    assert records[0].startswith("[03/06/2024 08:47:12] Client Bruxelles: " + LRM + "Les messages")
    attached = re.findall(r"<pièce jointe : (\d{8}-PHOTO-[\d-]+\.jpg|\d{8}-(?:VIDEO|AUDIO)-[\d-]+\.\w+)>", raw)
    media = [m for m in members if not m.startswith("__MACOSX/") and m != "_chat.txt"]
    assert sorted(attached) == sorted(media) and len(media) == exp.media_files > 30
    assert exp.chat_name == "Client Bruxelles"     # the default policy's legal hold names this chat


def test_cloud_capture_has_messages_and_statuses(demo):
    data, exp = demo["whatsapp-cloud-api-capture-2026.jsonl"]
    messages, statuses, contacts = [], [], set()
    for line in data.decode("utf-8").splitlines():
        payload = json.loads(line)
        assert payload["object"] == "whatsapp_business_account"
        value = payload["entry"][0]["changes"][0]["value"]
        messages += value.get("messages", [])
        statuses += value.get("statuses", [])
        contacts |= {c["wa_id"] for c in value.get("contacts", [])}
    assert len(messages) == exp.message_count and len(statuses) == exp.statuses > 0
    assert 2 <= len(contacts) <= 3
    assert {m["type"] for m in messages} == {"text", "image"}
    assert all(m["timestamp"].isdigit() and m["from"] in contacts for m in messages)
    assert all("text" not in s and s["status"] in {"sent", "delivered", "read", "failed"} for s in statuses)
    assert {s["status"] for s in statuses} >= {"sent", "delivered", "read"}
    image = next(m for m in messages if m["type"] == "image")["image"]
    assert image["mime_type"] == "image/jpeg" and image["id"]


def test_time_span_and_dst_nights(demo):
    firsts = [e.first_local for _, e in demo.values()]
    lasts = [e.last_local for _, e in demo.values()]
    assert min(firsts).date() <= date(2024, 5, 31) and date(2026, 11, 1) <= max(lasts).date() <= date(2026, 11, 30)
    team = demo["WhatsApp Chat with Team Installaties.txt"][0].decode()
    assert "\n30/03/2025, 02:30 - " in team          # an hour that does not exist in Brussels
    heads = [h[:17] for h in _headers(team, "en24") if h.startswith("27/10/2024, 02:")]
    assert heads == ["27/10/2024, 02:15", "27/10/2024, 02:40", "27/10/2024, 02:10", "27/10/2024, 02:35"]
    bxl = _chat_text("x.zip", demo["WhatsApp Chat - Client Bruxelles.zip"][0])
    repeated = re.findall(r"\[26/10/2025 (02:\d{2}:\d{2})\]", bxl)
    assert repeated == ["02:20:15", "02:48:03", "02:05:40", "02:31:10"]


# --- planted data ---------------------------------------------------------------------------------

def _archive_bodies(demo) -> dict[str, str]:
    out = {}
    for name, (data, _) in demo.items():
        if name.endswith(".jsonl"):
            bodies = []
            for line in data.decode().splitlines():
                for m in json.loads(line)["entry"][0]["changes"][0]["value"].get("messages", []):
                    bodies.append(m.get("text", {}).get("body", ""))
            out[name] = "\n".join(bodies)
        else:
            out[name] = _chat_text(name, data)
    return out


def test_every_planted_sentence_lands_exactly_once(demo):
    texts = _archive_bodies(demo)
    for s in PLANTED.sentences:
        hits = sum(t.count(s.text) for t in texts.values())
        assert hits == 1, s.text[:20]


def test_filler_holds_no_emails_or_long_numbers(demo):
    # personal data enters only through planted sentences: strip them and nothing identifying is left
    for name, text in _archive_bodies(demo).items():
        for s in PLANTED.sentences:
            text = text.replace(s.text, "")
        if name.endswith(".zip"):
            text = re.sub(r"\d{8}-(PHOTO|VIDEO|AUDIO)-[\d-]+", "", text)
            text = re.sub(r"(IMG|VID|PTT)-\d{8}-WA\d{4}", "", text)
        text = re.sub(r"\d{1,2}[/-]\d{1,2}[/-]\d{2,4},? \d{1,2}:\d{2}(:\d{2})?", "", text)
        text = text.replace(f"{LRE}+32{NBSP}493{NBSP}03{NBSP}74{NBSP}86{PDF}", "").replace("+32 493 03 74 86", "")
        assert "@" not in text, name
        assert not re.search(r"\d[\d .\-]{7,}\d", text), name


def test_national_numbers_are_valid_including_born_after_2000_and_bis():
    numbers = PLANTED.by_type("BE_NATIONAL_NUMBER")
    assert len(numbers) >= 5
    births = []
    for value in numbers:
        assert nn.is_valid(value) or bis.is_valid(value), value
        births.append((nn if nn.is_valid(value) else bis).get_birth_date(value))
    assert any(b.year >= 2000 for b in births)
    assert any(bis.is_valid(v) and not nn.is_valid(v) for v in numbers)


def test_ibans_are_valid_and_mostly_belgian():
    values = PLANTED.by_type("IBAN_CODE")
    assert all(iban.is_valid(v) for v in values)
    belgian = [v for v in values if v.startswith("BE")]
    assert len(belgian) >= 3 and all(be_iban.is_valid(v) for v in belgian)


def test_cards_pass_luhn():
    values = PLANTED.by_type("CREDIT_CARD")
    assert len(values) >= 4
    for v in values:
        digits = v.replace(" ", "")
        assert luhn.is_valid(digits) and 15 <= len(digits) <= 16


def test_phone_numbers_are_valid_in_all_planted_formats():
    values = PLANTED.by_type("PHONE_NUMBER")
    regions = set()
    for v in values:
        parsed = phonenumbers.parse(v.replace("0032 ", "+32 "), "BE")
        assert phonenumbers.is_valid_number(parsed), v
        regions.add(phonenumbers.region_code_for_number(parsed))
    assert regions >= {"BE", "NL", "FR", "DE", "LU"}
    assert any(v.startswith("04") for v in values) and any(v.startswith("+32 16") for v in values)
    for person in DEMO_PEOPLE:
        assert phonenumbers.is_valid_number(phonenumbers.parse(person.phone)), person.name
        assert re.fullmatch(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", person.email)


def test_special_categories_in_three_languages_and_decoys():
    by_lang = {lang: {k for s in PLANTED.sentences if s.language == lang for k, _ in s.entities if k in SPECIAL_TYPES}
               for lang in ("nl", "fr", "en")}
    core = {"HEALTH_DATA", "POLITICAL_OPINION", "RELIGIOUS_BELIEF", "TRADE_UNION_MEMBERSHIP", "SEXUAL_ORIENTATION",
            "ETHNIC_ORIGIN", "CRIMINAL_OFFENCE", "BIOMETRIC_DATA"}
    for lang, kinds in by_lang.items():
        assert kinds >= core, lang
    assert "GENETIC_DATA" in set().union(*by_lang.values())
    decoys = [s for s in PLANTED.sentences if s.decoy]
    assert {s.language for s in decoys} == {"nl", "fr", "en"}
    for s in decoys:
        assert not s.entities
        assert not any(x in s.text for x in PLANTED.identifiers + PLANTED.special)
    assert "Kerkstraat 12" in " ".join(PLANTED.decoys)


def test_planted_strings_cover_people_and_spans_are_exact():
    strings = set(PLANTED.strings())
    for person in DEMO_PEOPLE:
        shown = phonenumbers.format_number(phonenumbers.parse(person.phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        assert {person.name, person.phone, person.email, shown} <= strings   # iOS shows unsaved authors so
    assert set(PLANTED.identifiers) | set(PLANTED.special) <= strings
    for s in PLANTED.sentences:
        for kind, start, end in s.spans():
            assert (kind, s.text[start:end]) in s.entities


def test_subject_writes_in_several_chats_and_is_mentioned_in_others(demo):
    subject = PLANTED.subject
    written = [e.file_name for _, e in demo.values() if e.author_counts.get(subject.name)]
    assert len(written) >= 2
    national = phonenumbers.format_number(phonenumbers.parse(subject.phone), phonenumbers.PhoneNumberFormat.NATIONAL)
    marks = (subject.name, subject.first_name, subject.email, national,
             phonenumbers.format_number(phonenumbers.parse(subject.phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL))
    mentioned_by_others = {s.chat for s in PLANTED.sentences
                           if s.author is not subject and any(m in s.text for m in marks)}
    assert len(mentioned_by_others) >= 3
    assert staff_directory()[subject.name] == subject.phone


def test_staff_directory_maps_names_to_e164():
    directory = staff_directory()
    assert len(directory) >= 5
    assert all(re.fullmatch(r"\+\d{8,15}", p) for p in directory.values())


# --- benchmark generators -------------------------------------------------------------------------

@pytest.mark.parametrize("platform,language", [("android", "nl"), ("android", "fr"), ("android", "en"),
                                               ("ios", "fr"), ("ios", "nl")])
def test_bench_export_writes_n_messages_in_the_export_format(tmp_path, platform, language):
    path = tmp_path / "bench.txt"
    result = generate_bench_export(path, 20_000, seed=3, platform=platform, language=language, chunk=3_000)
    raw = path.read_bytes().decode("utf-8")
    assert result.messages == 20_000 == sum(result.type_counts.values())
    assert result.bytes == path.stat().st_size
    if platform == "ios":
        records = raw.split("\r\n")[:-1]
        assert len(records) == 20_000 and all(HEADERS["ios"].match(r) for r in records)
    else:
        assert "\r" not in raw
        assert len(_headers(raw, {"nl": "nl", "en": "en24", "fr": "fr"}[language])) == 20_000
    assert result.type_counts["media"] > 0 and result.type_counts["system"] > 0 and result.planted > 0
    assert sum(raw.count(s.text) for s in PLANTED.sentences if not s.decoy) >= result.planted


def test_bench_export_is_deterministic_and_independent_of_chunk_size(tmp_path):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    generate_bench_export(a, 5_000, seed=1, chunk=700)
    generate_bench_export(b, 5_000, seed=1, chunk=5_000)
    generate_bench_export(c, 5_000, seed=2)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_bench_export_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_bench_export(tmp_path / "x.txt", 10, platform="windows")
    with pytest.raises(ValueError):
        generate_bench_export(tmp_path / "x.txt", 10, language="de")
    with pytest.raises(ValueError):
        generate_bench_export(tmp_path / "x.txt", 0)


def test_bench_messages_are_deterministic_trilingual_and_carry_planted_data():
    first = list(generate_bench_messages(20_000, seed=5))
    assert first == list(generate_bench_messages(20_000, seed=5))
    assert first != list(generate_bench_messages(20_000, seed=6))
    langs = Counter(lang for _, lang in first)
    assert set(langs) == {"nl", "fr", "en"} and langs["nl"] > langs["fr"] > langs["en"]
    planted = {s.text for s in PLANTED.sentences if not s.decoy}
    hits = sum(body in planted for body, _ in first)
    assert 20 <= hits <= 200          # about 0.4 %


# --- against the parser ---------------------------------------------------------------------------

def _parse(path):
    with open_archive(path) as export:
        return export, list(export.messages), dict(export.media)


def test_every_demo_archive_parses_as_generated(tmp_path):
    manifest = {e.file_name: e for e in demo_manifest(7)}
    for path in write_demo_inbox(tmp_path, seed=7):
        exp = manifest[path.name]
        export, messages, media = _parse(path)
        assert export.source_format == exp.source_format, path.name
        assert len(messages) == exp.message_count, path.name
        got = Counter(m.message_type for m in messages)
        assert {k: got.get(k, 0) for k in exp.type_counts} == exp.type_counts, path.name
        assert sum(m.edited for m in messages) == exp.edited_count, path.name
        assert len(media) == exp.media_files, path.name
        authors = Counter(m.author for m in messages if m.message_type != "system")
        for name, count in exp.author_counts.items():
            if name in exp.phone_authors and exp.source_format != "cloud_api":
                shown = [a for a in authors if a and a.replace(" ", "") == exp.phone_authors[name]]
                assert len(shown) == 1 and authors[shown[0]] == count, path.name
            else:
                assert authors[name] == count, (path.name, name)
        phones = {m.author_phone for m in messages if m.author_phone}
        assert phones == set(exp.phone_authors.values()), path.name
        assert min(m.sent_local for m in messages) == exp.first_local, path.name
        assert max(m.sent_local for m in messages) == exp.last_local, path.name
        if exp.chat_name:
            assert export.chat_name == exp.chat_name
        bodies = [m.body for m in messages]
        for s in PLANTED.sentences:
            if CHATS_BY_FILE.get(path.name) == s.chat or (s.chat == "cloud" and exp.source_format == "cloud_api"):
                assert s.text in bodies, (path.name, s.text[:15])


CHATS_BY_FILE = {c.file_name: c.key for c in CHATS}


def test_dst_times_survive_the_parser(tmp_path):
    paths = {p.name: p for p in write_demo_inbox(tmp_path, seed=7)}
    _, messages, _ = _parse(paths["WhatsApp Chat with Team Installaties.txt"])
    times = [m.sent_local for m in messages]
    assert datetime(2025, 3, 30, 2, 30) in times
    night = [t for t in times if t.date() == date(2024, 10, 27) and t.hour == 2]
    assert [t.minute for t in night] == [15, 40, 10, 35]


def test_bench_export_parses_with_the_counts_generated(tmp_path):
    for platform, language, name in (("android", "nl", "WhatsApp-chat met Bench.txt"),
                                     ("ios", "fr", "_chat.txt")):
        path = tmp_path / name
        result = generate_bench_export(path, 10_000, seed=4, platform=platform, language=language)
        _, messages, _ = _parse(path)
        assert len(messages) == result.messages
        got = Counter(m.message_type for m in messages)
        assert {k: got.get(k, 0) for k in result.type_counts} == result.type_counts


def test_parsed_text_bodies_match_the_ground_truth(tmp_path):
    truth = {e.file_name: e.messages for e in demo_manifest(7)}
    for path in write_demo_inbox(tmp_path, seed=7):
        _, messages, _ = _parse(path)
        expected = truth[path.name]
        assert len(expected) == len(messages), path.name
        for want, got in zip(expected, messages):
            assert (want.message_type, want.sent_local) == (got.message_type, got.sent_local), path.name
            if want.message_type in ("text", "system"):
                assert got.body == want.body and got.edited == want.edited, path.name
            if want.attachment:
                assert got.attachment == want.attachment, path.name
