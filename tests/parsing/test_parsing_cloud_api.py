"""Cloud API webhook captures: every inbound message type, statuses skipped, a file with no payload refused."""
import json
from datetime import datetime
from pathlib import Path

import pytest

from o3_governance.parsing import NotAnExport, open_archive

FIXTURES = Path(__file__).parent.parent / "fixtures" / "parsing"
ANN = [{"profile": {"name": "Ann Peeters"}, "wa_id": "32471556677"}]
WINTER = "1710230400"   # 2024-03-12 08:00 UTC = 09:00 in Brussels
SUMMER = "1719216000"   # 2024-06-24 08:00 UTC = 10:00 in Brussels


def payload(messages=(), contacts=ANN, statuses=()):
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "3225550100"}}
    if contacts:
        value["contacts"] = contacts
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}]}


def msg(kind, part=None, mid="wamid.1", ts=WINTER, sender="32471556677", **extra):
    m = {"from": sender, "id": mid, "timestamp": ts, "type": kind}
    if part is not None:
        m[kind] = part
    m.update(extra)
    return m


def parse_one(tmp_path, message, contacts=ANN):
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(payload([message], contacts)), encoding="utf-8")
    with open_archive(path) as export:
        (m,) = list(export.messages)
        assert export.source_format == "cloud_api"
    return m


def test_text_message(tmp_path):
    m = parse_one(tmp_path, msg("text", {"body": "Wanneer komt de technieker?"}))
    assert (m.sent_local, m.author, m.author_phone, m.message_type, m.body, m.chat_name) == (
        datetime(2024, 3, 12, 9, 0), "Ann Peeters", "+32471556677", "text", "Wanneer komt de technieker?",
        "Ann Peeters")


def test_summer_time_epoch_to_brussels_wall_time(tmp_path):
    assert parse_one(tmp_path, msg("text", {"body": "x"}, ts=SUMMER)).sent_local == datetime(2024, 6, 24, 10, 0)


def test_sender_without_contact_name(tmp_path):
    m = parse_one(tmp_path, msg("text", {"body": "x"}), contacts=None)
    assert (m.author, m.chat_name, m.author_phone) == ("+32471556677", "+32471556677", "+32471556677")


@pytest.mark.parametrize("kind,part,attachment,body", [
    ("image", {"id": "M1", "mime_type": "image/jpeg", "caption": "Meterkast"}, "M1.jpg", "Meterkast"),
    ("video", {"id": "M2", "mime_type": "video/mp4"}, "M2.mp4", ""),
    ("audio", {"id": "M3", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "M3.ogg", ""),
    ("document", {"id": "M4", "mime_type": "application/pdf", "filename": "Offerte.PDF", "caption": "offerte"},
     "M4.pdf", "offerte"),
    ("sticker", {"id": "M5", "mime_type": "image/webp", "animated": False}, "M5.webp", ""),
])
def test_media_types(tmp_path, kind, part, attachment, body):
    m = parse_one(tmp_path, msg(kind, part))
    assert (m.message_type, m.attachment, m.body) == ("media", attachment, body)


def test_location(tmp_path):
    m = parse_one(tmp_path, msg("location", {"latitude": 50.88, "longitude": 4.70, "name": "Werf",
                                             "address": "Bondgenotenlaan 1, Leuven"}))
    assert m.message_type == "text"
    assert m.body == "Werf\nBondgenotenlaan 1, Leuven\nhttps://maps.google.com/?q=50.88,4.7"


def test_contacts(tmp_path):
    shared = [{"name": {"formatted_name": "Bram Claes"}, "phones": [{"phone": "+32 486 11 22 33"}],
               "emails": [{"email": "bram@example.be"}]}]
    m = parse_one(tmp_path, msg("contacts", None, contacts=shared))
    assert (m.message_type, m.body) == ("text", "Bram Claes +32 486 11 22 33 bram@example.be")


@pytest.mark.parametrize("part,body", [
    ({"type": "button_reply", "button_reply": {"id": "b1", "title": "Ja, morgen"}}, "Ja, morgen"),
    ({"type": "list_reply", "list_reply": {"id": "l1", "title": "Dinsdag", "description": "voormiddag"}}, "Dinsdag"),
])
def test_interactive_replies(tmp_path, part, body):
    m = parse_one(tmp_path, msg("interactive", part))
    assert (m.message_type, m.body) == ("text", body)


def test_button(tmp_path):
    m = parse_one(tmp_path, msg("button", {"text": "Stop", "payload": "STOP"}))
    assert (m.message_type, m.body) == ("text", "Stop")


def test_unknown_future_type_keeps_its_text(tmp_path):
    m = parse_one(tmp_path, msg("hologram", {"text": "hallo"}))
    assert (m.message_type, m.body) == ("text", "hallo")


def test_jsonl_fixture_skips_statuses_and_retries(tmp_path):
    with open_archive(FIXTURES / "webhook_capture.jsonl") as export:
        msgs = list(export.messages)
        assert export.chat_name == "WhatsApp Business 32 2 555 01 00"
    assert [(m.line_no, m.message_type, m.chat_name) for m in msgs] == [
        (1, "text", "Ann Peeters"), (3, "media", "Ann Peeters"), (5, "text", "+32486112233")]
    assert msgs[1].attachment == "MEDIA123.jpg" and msgs[1].sent_local == datetime(2024, 6, 24, 10, 0)


def test_list_of_payloads(tmp_path):
    path = tmp_path / "capture.json"
    path.write_text(json.dumps([payload([msg("text", {"body": "a"}, mid="w1")]),
                                payload(statuses=[{"id": "w0", "status": "read"}]),
                                payload([msg("text", {"body": "b"}, mid="w2")])]), encoding="utf-8")
    with open_archive(path) as export:
        assert [m.body for m in export.messages] == ["a", "b"]


def test_statuses_only_capture_has_no_messages(tmp_path):
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(payload(statuses=[{"id": "w0", "status": "failed"}])), encoding="utf-8")
    with open_archive(path) as export:
        assert list(export.messages) == []


def test_malformed_json(tmp_path):
    path = tmp_path / "capture.json"
    path.write_text('{"object": "whatsapp_business_account", "entry": [', encoding="utf-8")
    with pytest.raises(NotAnExport, match="malformed JSON"):
        with open_archive(path) as export:
            list(export.messages)


def test_json_that_is_not_a_webhook(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"name": "Ann Peeters", "phone": "+32471556677"}), encoding="utf-8")
    with pytest.raises(NotAnExport, match="not a WhatsApp Cloud API webhook capture") as exc:
        open_archive(path)
    assert "Ann" not in str(exc.value)


