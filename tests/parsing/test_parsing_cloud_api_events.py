"""Cloud API, issue 11: every inbound type becomes the right thing (message, event or count), authors by
wa_id or business-scoped user id, and bad records salvaged. Payload shapes follow Meta's webhook
reference (messages/reaction, edit, revoke, system; smb_message_echoes; business-scoped user ids).
Names and numbers are fictional."""
import base64
import hashlib
import json
from datetime import datetime

import pytest

from o3_governance.parsing import (
    EVENT_EDIT, EVENT_REACTION, EVENT_REACTION_REMOVED, EVENT_REVOKE, NotAnExport, open_archive, open_container,
)
from o3_governance.parsing.cloud_api import sha256_hex

WINTER = "1710230400"   # 2024-03-12 08:00 UTC = 09:00 in Brussels
USER = "32470000001"
BSUID = "BE.1234567890123456"
META = {"display_phone_number": "32 2 555 01 00", "phone_number_id": "1000001"}
JANE = [{"profile": {"name": "Jana Voorbeeld"}, "wa_id": USER, "user_id": BSUID}]
DIGEST = hashlib.sha256(b"foto van de meterkast").digest()


def payload(messages=(), contacts=JANE, statuses=(), errors=(), echoes=(), field="messages"):
    value = {"messaging_product": "whatsapp", "metadata": META}
    for key, items in (("contacts", contacts), ("messages", messages), ("statuses", statuses),
                       ("errors", errors), ("message_echoes", echoes)):
        if items:
            value[key] = list(items)
    return {"object": "whatsapp_business_account", "entry": [{"id": "2000002", "changes": [
        {"value": value, "field": field}]}]}


def msg(kind, part=None, mid="wamid.1", ts=WINTER, sender=USER, **extra):
    m = {"from": sender, "id": mid, "timestamp": ts, "type": kind}
    if sender is None:
        del m["from"]
    if part is not None:
        m[kind] = part
    m.update(extra)
    return m


def capture(tmp_path, *payloads, name="capture.jsonl", raw_lines=()):
    path = tmp_path / name
    lines = [json.dumps(p) for p in payloads] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read(path, **kw):
    with open_archive(path, **kw) as export:
        msgs = list(export.messages)
        return msgs, export


def one(tmp_path, message, contacts=JANE):
    msgs, export = read(capture(tmp_path, payload([message], contacts)))
    assert len(msgs) == 1 and not export.events and not export.rejected
    return msgs[0]


# --- messages -------------------------------------------------------------------------------------------

def test_text_carries_ids_and_chat_key(tmp_path):
    m = one(tmp_path, msg("text", {"body": "Wanneer komt de technieker?"}, mid="wamid.T1"))
    assert (m.author, m.author_id, m.author_phone, m.source_id, m.chat_key, m.chat_name, m.message_type, m.body) == (
        "Jana Voorbeeld", USER, "+32470000001", "wamid.T1", "1000001:" + USER, "Jana Voorbeeld", "text",
        "Wanneer komt de technieker?")
    assert m.sent_local == datetime(2024, 3, 12, 9, 0)


@pytest.mark.parametrize("kind,part,attachment", [
    ("image", {"id": "111", "mime_type": "image/jpeg", "caption": "Meterkast"}, "111.jpg"),
    ("video", {"id": "222", "mime_type": "video/mp4"}, "222.mp4"),
    ("audio", {"id": "333", "mime_type": "audio/ogg; codecs=opus", "voice": True}, "333.ogg"),
    ("document", {"id": "444", "mime_type": "application/pdf", "filename": "Offerte.PDF", "caption": "offerte"},
     "444.pdf"),
    ("sticker", {"id": "555", "mime_type": "image/webp", "animated": False}, "555.webp"),
])
def test_media_types_carry_id_mime_sha256_and_kind(tmp_path, kind, part, attachment):
    part = dict(part, sha256=base64.b64encode(DIGEST).decode())
    m = one(tmp_path, msg(kind, part))
    assert (m.message_type, m.attachment, m.body, m.media_id, m.media_mime, m.media_sha256, m.media_kind) == (
        "media", attachment, part.get("caption", ""), part["id"], part["mime_type"], DIGEST.hex(), kind)


def test_sha256_normalised_to_lower_hex():
    assert sha256_hex(DIGEST.hex().upper()) == DIGEST.hex()
    assert sha256_hex(base64.b64encode(DIGEST).decode()) == DIGEST.hex()
    assert sha256_hex(base64.urlsafe_b64encode(DIGEST).decode().rstrip("=")) == DIGEST.hex()
    assert sha256_hex("x") is None and sha256_hex(None) is None and sha256_hex(42) is None


def test_location_is_text_the_scanner_sees(tmp_path):
    m = one(tmp_path, msg("location", {"latitude": 50.88, "longitude": 4.70, "name": "Werf",
                                       "address": "Voorbeeldstraat 1, Leuven"}))
    assert (m.message_type, m.media_kind) == ("text", "location")
    assert m.body == "Werf\nVoorbeeldstraat 1, Leuven\nhttps://maps.google.com/?q=50.88,4.7"


def test_contacts_one_line_per_card(tmp_path):
    cards = [{"name": {"formatted_name": "Piet Fictief"}, "phones": [{"phone": "+32 470 00 00 02"}],
              "emails": [{"email": "piet@example.invalid"}]},
             {"name": {"first_name": "Lies", "last_name": "Verzonnen"}, "phones": [{"wa_id": "32470000003"}]}]
    m = one(tmp_path, msg("contacts", None, contacts=cards))
    assert (m.message_type, m.media_kind) == ("text", "contact")
    assert m.body == "Piet Fictief +32 470 00 00 02 piet@example.invalid\nLies Verzonnen 32470000003"


@pytest.mark.parametrize("part,body", [
    ({"type": "button_reply", "button_reply": {"id": "b1", "title": "Ja, morgen"}}, "Ja, morgen"),
    ({"type": "list_reply", "list_reply": {"id": "l1", "title": "Dinsdag", "description": "voormiddag"}}, "Dinsdag"),
    ({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"adres": "x"}'}},
     'Sent\n{"adres": "x"}'),
])
def test_interactive_replies_are_their_text(tmp_path, part, body):
    m = one(tmp_path, msg("interactive", part))
    assert (m.message_type, m.body) == ("text", body)


def test_button_is_its_text(tmp_path):
    assert one(tmp_path, msg("button", {"text": "Stop", "payload": "STOP"})).body == "Stop"


def test_order_text_is_kept_and_counted(tmp_path):
    msgs, export = read(capture(tmp_path, payload([
        msg("order", {"catalog_id": "c1", "text": "graag morgen", "product_items": []}, mid="w1"),
        msg("order", {"catalog_id": "c1", "product_items": []}, mid="w2")])))
    assert [m.body for m in msgs] == ["graag morgen"] and export.counts == {"order": 2}


# --- events: never messages ------------------------------------------------------------------------------

def test_reaction_is_an_event_on_its_message(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("reaction", {"message_id": "wamid.0", "emoji": "👍"},
                                                       mid="wamid.R1")])))
    assert msgs == []
    (e,) = export.events
    assert (e.kind, e.target_source_id, e.body, e.author_id, e.author_phone, e.source_id, e.line_no) == (
        EVENT_REACTION, "wamid.0", "👍", USER, "+32470000001", "wamid.R1", 1)


def test_removed_reaction(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("reaction", {"message_id": "wamid.0"})])))
    assert msgs == [] and [(e.kind, e.target_source_id, e.body) for e in export.events] == [
        (EVENT_REACTION_REMOVED, "wamid.0", "")]


def test_edit_carries_the_new_text(tmp_path):
    edit = {"original_message_id": "wamid.0", "message": {"context": {"id": "wamid.0"}, "type": "text",
                                                          "text": {"body": "nieuwe tekst"}}}
    caption = {"original_message_id": "wamid.9", "message": {"type": "image", "image": {"caption": "nieuw onderschrift"}}}
    msgs, export = read(capture(tmp_path, payload([msg("edit", edit, mid="w1"), msg("edit", caption, mid="w2")])))
    assert msgs == [] and [(e.kind, e.target_source_id, e.body) for e in export.events] == [
        (EVENT_EDIT, "wamid.0", "nieuwe tekst"), (EVENT_EDIT, "wamid.9", "nieuw onderschrift")]


def test_revoke(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("revoke", {"original_message_id": "wamid.0"})])))
    assert msgs == [] and [(e.kind, e.target_source_id, e.body) for e in export.events] == [
        (EVENT_REVOKE, "wamid.0", "")]


def test_event_without_target_is_rejected(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("revoke", {})])))
    assert msgs == [] and not export.events
    assert [(r.line_no, r.reason) for r in export.rejected] == [(1, "no original message id")]


def test_business_echoes_edits_and_revokes(tmp_path):
    # Coexistence (smb_message_echoes): the business's own messages from the Business app.
    echo = {"from": "3225550100", "to": USER, "id": "wamid.E1", "timestamp": WINTER, "type": "text",
            "text": {"body": "We komen morgen"}}
    edit = {"from": "3225550100", "to": USER, "id": "wamid.E2", "timestamp": WINTER, "type": "edit",
            "edit": {"original_message_id": "wamid.E1", "message": {"type": "text", "text": {"body": "overmorgen"}}}}
    revoke = {"from": "3225550100", "to": USER, "id": "wamid.E3", "timestamp": WINTER, "type": "revoke",
              "revoke": {"original_message_id": "wamid.E1"}}
    msgs, export = read(capture(tmp_path, payload(contacts=JANE, echoes=[echo, edit, revoke],
                                                  field="smb_message_echoes")))
    (m,) = msgs
    assert (m.author, m.author_phone, m.author_id, m.chat_name, m.chat_key, m.body) == (
        "+3225550100", "+3225550100", None, "Jana Voorbeeld", "1000001:" + USER, "We komen morgen")
    assert [(e.kind, e.target_source_id, e.body, e.author_phone) for e in export.events] == [
        (EVENT_EDIT, "wamid.E1", "overmorgen", "+3225550100"), (EVENT_REVOKE, "wamid.E1", "", "+3225550100")]


def test_retried_events_and_messages_kept_once(tmp_path):
    p = payload([msg("text", {"body": "a"}, mid="w1"), msg("reaction", {"message_id": "w1", "emoji": "❤"}, mid="w2")])
    msgs, export = read(capture(tmp_path, p, p))
    assert len(msgs) == 1 and len(export.events) == 1


# --- counted, never messages -------------------------------------------------------------------------------

def test_request_welcome_is_counted(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("request_welcome", None)])))
    assert msgs == [] and export.counts == {"request_welcome": 1}


def test_system_change_of_number_is_counted_and_a_system_line(tmp_path):
    system = {"body": "User Jana Voorbeeld changed from 32470000001 to 32470000002", "wa_id": "32470000002",
              "type": "user_changed_number"}
    msgs, export = read(capture(tmp_path, payload([msg("system", system)], contacts=None)))
    (m,) = msgs
    assert (m.message_type, m.author, m.author_id, m.body) == ("system", None, None, system["body"])
    assert export.counts == {"system": 1}


def test_system_without_text_is_only_counted(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("system", {"type": "user_changed_user_id"})], contacts=None)))
    assert msgs == [] and export.counts == {"system": 1}


def test_unsupported_and_its_errors_are_counted(tmp_path):
    m = msg("unsupported", None, errors=[{"code": 131051, "title": "Message type unknown"}])
    msgs, export = read(capture(tmp_path, payload([m])))
    assert msgs == [] and export.counts == {"unsupported": 1, "errors": 1}


def test_standalone_errors_are_counted(tmp_path):
    msgs, export = read(capture(tmp_path, payload(contacts=None, errors=[{"code": 131000}, {"code": 131026}])))
    assert msgs == [] and export.counts == {"errors": 2}


def test_statuses_only_capture_is_valid_with_counts(tmp_path):
    statuses = [{"id": "wamid.O1", "status": s, "timestamp": WINTER, "recipient_id": USER}
                for s in ("sent", "delivered", "read")]
    msgs, export = read(capture(tmp_path, payload(contacts=None, statuses=statuses),
                                payload(contacts=None, statuses=[{"id": "wamid.O2", "status": "failed",
                                                                  "errors": [{"code": 131047}]}])))
    assert msgs == [] and export.counts == {"statuses": 4} and not export.rejected


def test_empty_text_is_never_a_message(tmp_path):
    msgs, export = read(capture(tmp_path, payload([msg("text", {"body": ""}), msg("hologram", {}, mid="w2")])))
    assert msgs == [] and export.counts == {"other": 2}


# --- authors: wa_id or business-scoped user id ----------------------------------------------------------------

def test_user_id_without_phone(tmp_path):
    contacts = [{"profile": {"name": "Jana Voorbeeld", "username": "@jana"}, "user_id": BSUID}]
    m = one(tmp_path, msg("text", {"body": "hallo"}, sender=None, from_user_id=BSUID), contacts=contacts)
    assert (m.author, m.author_id, m.author_phone, m.chat_key, m.chat_name) == (
        "Jana Voorbeeld", BSUID, None, "1000001:" + BSUID, "Jana Voorbeeld")


def test_user_id_only_without_name(tmp_path):
    m = one(tmp_path, msg("text", {"body": "hallo"}, sender=None, from_user_id=BSUID), contacts=None)
    assert (m.author, m.author_id, m.author_phone, m.chat_name) == (BSUID, BSUID, None, BSUID)


def test_user_id_from_contacts_when_phone_is_present(tmp_path):
    m = one(tmp_path, msg("text", {"body": "hallo"}))
    assert (m.author_id, m.author_phone) == (USER, "+32470000001")


# --- salvage --------------------------------------------------------------------------------------------------

def good(mid, body="ok"):
    return payload([msg("text", {"body": body}, mid=mid)])


def test_broken_json_line_is_salvaged(tmp_path):
    path = tmp_path / "capture.jsonl"
    path.write_text("\n".join([json.dumps(good("w1")), '{"object": "whatsapp_business_account", "entry": [',
                               json.dumps(good("w2", "b"))]) + "\n", encoding="utf-8")
    msgs, export = read(path)
    assert [(m.line_no, m.body) for m in msgs] == [(1, "ok"), (3, "b")]
    assert [(r.line_no, r.reason) for r in export.rejected] == [(2, "malformed JSON")]


def test_valid_json_that_is_not_a_payload_is_salvaged(tmp_path):
    msgs, export = read(capture(tmp_path, good("w1"), {"hello": "world"}, [1, 2]))
    assert len(msgs) == 1
    assert [(r.line_no, r.reason) for r in export.rejected] == [(2, "not a webhook payload"),
                                                               (3, "not a webhook payload"),
                                                               (3, "not a webhook payload")]


def test_bad_timestamp_is_salvaged(tmp_path):
    bad = [msg("text", {"body": "a"}, mid="w1", ts="gisteren"), msg("text", {"body": "b"}, mid="w2", ts=None),
           msg("text", {"body": "c"}, mid="w3", ts=True), msg("text", {"body": "d"}, mid="w4", ts="1" + "0" * 30)]
    msgs, export = read(capture(tmp_path, payload(bad), good("w5")))
    assert [m.body for m in msgs] == ["ok"]
    assert [(r.line_no, r.reason) for r in export.rejected] == [(1, "bad timestamp")] * 4


def test_lone_surrogate_is_salvaged(tmp_path):
    path = tmp_path / "capture.jsonl"
    line = json.dumps(good("w1", "x")).replace('"x"', '"kapot \\ud800 hier"')
    path.write_text(line + "\n" + json.dumps(good("w2")) + "\n", encoding="utf-8")
    msgs, export = read(path)
    assert [m.body for m in msgs] == ["ok"]
    assert [(r.line_no, r.reason) for r in export.rejected] == [(1, "lone surrogate in text")]


def test_undecodable_bytes_in_one_line_are_salvaged(tmp_path):
    path = tmp_path / "capture.jsonl"
    path.write_bytes(json.dumps(good("w1", "x")).replace('"x"', '"\xff"').encode("latin-1") + b"\n"
                     + json.dumps(good("w2")).encode() + b"\n")
    msgs, export = read(path)
    assert [m.body for m in msgs] == ["ok"] and [r.reason for r in export.rejected] == ["not UTF-8 text"]


def test_over_long_body_or_line_refuses_the_capture(tmp_path):
    # Bounded work is not salvage: as for exported text, the file is refused and ingest quarantines it whole.
    path = tmp_path / "capture.jsonl"
    path.write_text("\n".join([json.dumps(good("w1")), json.dumps(good("w2", "y" * 50))]) + "\n")
    with pytest.raises(NotAnExport, match="a message is longer than 10 characters"):
        read(path, max_body_chars=10)
    path.write_text("\n".join([json.dumps(good("w1")), json.dumps(good("w2", "x" * (1 << 21)))]) + "\n")
    with pytest.raises(NotAnExport, match="a line is longer than"):
        read(path, max_body_chars=10)


def test_file_where_no_line_is_a_payload(tmp_path):
    path = tmp_path / "capture.jsonl"
    path.write_text("{broken\n{also broken\n", encoding="utf-8")
    with pytest.raises(NotAnExport, match="malformed JSON"):
        open_archive(path)
    path.write_text('{"name": "Jana Voorbeeld"}\n{broken\n', encoding="utf-8")
    with pytest.raises(NotAnExport, match="not a WhatsApp Cloud API webhook capture") as exc:
        open_archive(path)
    assert "Jana" not in str(exc.value)


def test_json_array_on_one_line_and_pretty_printed_payload(tmp_path):
    one_line = tmp_path / "a.json"
    one_line.write_text(json.dumps([good("w1"), {"x": 1}, good("w2", "b")]), encoding="utf-8")
    msgs, export = read(one_line)
    assert [m.body for m in msgs] == ["ok", "b"] and [(r.line_no, r.reason) for r in export.rejected] == [
        (2, "not a webhook payload")]
    pretty = tmp_path / "b.json"
    pretty.write_text(json.dumps(good("w1"), indent=2), encoding="utf-8")
    assert [m.body for m in read(pretty)[0]] == ["ok"]


def test_broken_pretty_printed_json_is_refused(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(good("w1"), indent=2)[:-3], encoding="utf-8")
    with pytest.raises(NotAnExport, match="malformed JSON"):
        open_archive(path)


# --- media saved beside a capture --------------------------------------------------------------------------------

def test_media_beside_a_capture_linked_by_media_id(tmp_path):
    folder = tmp_path / "cloud"
    (folder / "media").mkdir(parents=True)
    (folder / "111.jpeg").write_bytes(b"beside")           # named by media id, another extension
    (folder / "media" / "222.mp4").write_bytes(b"in media/")
    messages = [msg("image", {"id": "111", "mime_type": "image/jpeg"}, mid="w1"),
                msg("video", {"id": "222", "mime_type": "video/mp4"}, mid="w2"),
                msg("audio", {"id": "333", "mime_type": "audio/ogg"}, mid="w3")]   # never arrived
    capture(folder, payload(messages), name="webhooks.jsonl")
    with open_container(folder) as container:
        (chat,) = container.chats
        msgs = list(chat.messages)
        assert [m.attachment for m in msgs] == ["111.jpg", "222.mp4", "333.ogg"]
        with chat.media["111.jpg"].open() as f:
            assert f.read() == b"beside"
        with chat.media["222.mp4"].open() as f:
            assert f.read() == b"in media/"
        assert "333.ogg" not in chat.media and chat.member_name == "webhooks.jsonl"


def test_fixture_with_every_kind_of_record():
    from pathlib import Path
    path = Path(__file__).parent.parent / "fixtures" / "parsing" / "webhook_all_types.jsonl"
    msgs, export = read(path)
    assert [(m.line_no, m.message_type, m.media_kind, m.author_id) for m in msgs] == [
        (1, "text", None, USER), (2, "media", "image", USER), (3, "text", "location", USER),
        (4, "text", "contact", USER), (5, "text", None, USER), (11, "system", None, None),
        (14, "text", None, "BE.1000000000000002")]
    assert [(e.line_no, e.kind, e.target_source_id) for e in export.events] == [
        (6, EVENT_REACTION, "wamid.F1"), (7, EVENT_REACTION_REMOVED, "wamid.F1"), (8, EVENT_EDIT, "wamid.F1"),
        (9, EVENT_REVOKE, "wamid.F3")]
    assert export.counts == {"request_welcome": 1, "system": 1, "unsupported": 1, "errors": 2, "statuses": 1}
    assert [(r.line_no, r.reason) for r in export.rejected] == [(16, "malformed JSON")]
    assert msgs[1].media_sha256 == hashlib.sha256(b"fictieve foto").hexdigest()


def test_lone_surrogate_in_an_author_or_event_is_salvaged(tmp_path):
    path = tmp_path / "capture.jsonl"
    named = json.dumps(good("w1")).replace('"Jana Voorbeeld"', '"Jana \\udc80"')
    reaction = json.dumps(payload([msg("reaction", {"message_id": "w0", "emoji": "x"}, mid="w2")])).replace(
        '"emoji": "x"', '"emoji": "\\ud83d"')
    path.write_text("\n".join([named, reaction, json.dumps(good("w3"))]) + "\n", encoding="utf-8")
    msgs, export = read(path)
    assert [m.source_id for m in msgs] == ["w3"] and not export.events
    assert [(r.line_no, r.reason) for r in export.rejected] == [(1, "lone surrogate in text"),
                                                               (2, "lone surrogate in text")]


def test_jsonl_capture_streams(tmp_path):
    import tracemalloc

    path = tmp_path / "capture.jsonl"
    body = "de installatie in Leuven start om tien uur morgen " * 3
    with open(path, "w", encoding="utf-8") as f:
        for i in range(20_000):
            f.write(json.dumps(good(f"wamid.{i:08d}", body)) + "\n")   # ~10 MB
    tracemalloc.start()
    try:
        with open_archive(path) as export:
            count = sum(1 for _ in export.messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 6 * 1024 * 1024, peak   # only the message ids seen (retry dedup) grow with the capture
