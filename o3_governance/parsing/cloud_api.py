"""WhatsApp Business Platform (Cloud API) webhook captures: ``.json`` (one payload or a list of
payloads) and ``.jsonl`` (one payload a line, streamed).

Shapes, from Meta's webhook reference (developers.facebook.com/documentation/business-messaging/whatsapp/
webhooks/reference/…: messages/reaction, messages/edit, messages/revoke, messages/system,
smb_message_echoes) and its business-scoped user ids page (…/whatsapp/business-scoped-user-ids):

- ``entry[].changes[].value`` holds ``metadata`` (``display_phone_number``, ``phone_number_id``),
  ``contacts[]`` (``profile.name``, ``wa_id``, since 2026 ``user_id``), ``messages[]`` (``from``, since
  2026 ``from_user_id``; ``from`` is left out when the user withholds the phone behind a username),
  ``statuses[]`` (delivery events, never messages), ``errors[]``; with the Business app in coexistence
  (field ``smb_message_echoes``) ``message_echoes[]`` carry the business's own messages (``from`` the
  business, ``to`` the user), their edits and revokes too.
- ``reaction: {message_id, emoji}``, without ``emoji`` when the reaction is removed;
  ``edit: {original_message_id, message: {type, text|image|…}}``; ``revoke: {original_message_id}``;
  ``system: {body, type: user_changed_number|user_changed_user_id, wa_id}``; media parts
  ``{id, mime_type, sha256, caption?, filename?}``.

Inbound messages become ParsedMessages; reactions, edits and revokes become ``MessageEvent``s on the
message they refer to; statuses, errors, ``request_welcome``, ``unsupported``, ``system`` and orders are
counted in ``counts``. A bad record (broken JSON line, a line that is not a payload, a bad timestamp, a
lone surrogate) is a ``RejectedRecord`` and the rest is read; a file with no payload at all is
NotAnExport, and so (bounded work) is a line or a message body over the configured limits. A webhook retried by Meta holds the same message id twice: it is kept once.
"""
from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import re
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from o3_governance.vocabulary import BRUSSELS
from o3_governance.parsing.model import (
    EVENT_EDIT, EVENT_REACTION, EVENT_REACTION_REMOVED, EVENT_REVOKE, MediaRef, MessageEvent, NotAnExport,
    ParsedExport, ParsedMessage, RejectedRecord,
)
from o3_governance.identity.phones import to_e164

DEFAULT_MAX_BODY_CHARS = 5_000_000   # the ingest passes the configured O3_MAX_BODY_CHARS
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
_MIME_EXT = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
             "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
             "application/pdf": ".pdf", "text/plain": ".txt", "video/3gpp": ".3gp", "image/png": ".png"}
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_SURROGATE = re.compile("[\ud800-\udfff]")

# counts keys (never message content)
COUNT_STATUSES = "statuses"
COUNT_ERRORS = "errors"
COUNT_OTHER = "other"                  # a type or webhook field this parser does not know, without text
COUNTED_TYPES = ("request_welcome", "unsupported", "system", "order")

REASON_MALFORMED = "malformed JSON"
REASON_NOT_UTF8 = "not UTF-8 text"
REASON_NOT_PAYLOAD = "not a webhook payload"
REASON_TIMESTAMP = "bad timestamp"
REASON_SURROGATE = "lone surrogate in text"
REASON_NO_TARGET = "no original message id"
_NOT_CAPTURE = "not a WhatsApp Cloud API webhook capture"


def too_long(max_body_chars: int) -> NotAnExport:
    """Bounded work: a body over the limit refuses the capture, as an over-long message refuses a text export."""
    return NotAnExport(f"a message is longer than {max_body_chars} characters")


def _is_payload(obj) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("entry"), list) and (
        obj.get("object") in (None, "whatsapp_business_account"))


def _line_bytes(max_body_chars: int) -> int:
    """The longest JSON line read: a body at the limit written with \\uXXXX escapes, plus its envelope."""
    return max_body_chars * 6 + (1 << 20)


# --- records -------------------------------------------------------------------------------------------

def _jsonl(path: Path, max_body_chars: int, rejected: list[RejectedRecord]) -> Iterator[tuple[int, dict]]:
    """(line number, payload) pairs, streamed; a bad line is rejected and skipped, never read whole."""
    limit = _line_bytes(max_body_chars)
    with open(path, "rb") as f:
        n = 0
        while line := f.readline(limit + 1):
            n += 1
            if len(line) > limit:
                # Bounded work, as for exported text: the file is refused (ingest quarantines it whole).
                raise NotAnExport(f"a line is longer than {limit} bytes")
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except UnicodeDecodeError:
                rejected.append(RejectedRecord(n, REASON_NOT_UTF8))
                continue
            except json.JSONDecodeError:
                rejected.append(RejectedRecord(n, REASON_MALFORMED))
                continue
            for item in obj if isinstance(obj, list) else (obj,):   # a list of payloads on one line too
                if _is_payload(item):
                    yield n, item
                else:
                    rejected.append(RejectedRecord(n, REASON_NOT_PAYLOAD))


def _first_line_is_json(path: Path, max_body_chars: int) -> bool:
    with open(path, "rb") as f:
        line = f.readline(_line_bytes(max_body_chars) + 1)
    try:
        json.loads(line)
        return True
    except ValueError:
        return False


def _starts_with_array(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4096)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["


def _records(path: Path, max_body_chars: int, rejected: list[RejectedRecord]) -> Iterator[tuple[int, dict]]:
    """Payloads of a capture. JSON Lines (whatever the extension) are streamed; a JSON document (a list
    of payloads, or one pretty-printed payload) is read whole — it is bounded by the archive size limit.
    A document that does not parse is read as JSON Lines, salvaging what it can."""
    if path.suffix.lower() == ".jsonl" or (not _starts_with_array(path) and _first_line_is_json(path, max_body_chars)):
        yield from _jsonl(path, max_body_chars, rejected)
        return
    try:
        with open(path, "rb") as f:
            doc = json.load(f)
    except ValueError:   # JSONDecodeError, UnicodeDecodeError
        yield from _jsonl(path, max_body_chars, rejected)
        return
    for n, item in enumerate(doc if isinstance(doc, list) else [doc], 1):
        if _is_payload(item):
            yield n, item
        else:
            rejected.append(RejectedRecord(n, REASON_NOT_PAYLOAD))


def _values(payload: dict) -> Iterable[tuple[str, dict]]:
    for entry in payload.get("entry") or ():
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or ():
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield str(change.get("field") or "messages"), change["value"]


# --- fields --------------------------------------------------------------------------------------------

def local_time(epoch) -> datetime:
    """Epoch seconds → naive Europe/Brussels wall time (what an export from a Belgian phone shows)."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, str)):
        raise ValueError("timestamp is not epoch seconds")
    return datetime.fromtimestamp(int(epoch), tz=BRUSSELS).replace(tzinfo=None)


def sha256_hex(value) -> str | None:
    """The webhook's media sha256 as lower-case hex: given as hex, or base64 of the 32 bytes."""
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()
    if _HEX64.fullmatch(value):
        return value.lower()
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            continue
        if len(raw) == 32:
            return raw.hex()
    return None


def _extension(kind: str, part: dict) -> str:
    if kind == "document" and isinstance(part.get("filename"), str):
        suffix = Path(part["filename"]).suffix.lower()
        if 1 < len(suffix) <= 10:
            return suffix
    mime = str(part.get("mime_type") or "").split(";")[0].strip().lower()
    if not mime:
        return ""
    return _MIME_EXT.get(mime) or mimetypes.guess_extension(mime) or ""


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _location_body(part: dict) -> str:
    lines = [str(part[k]) for k in ("name", "address") if part.get(k)]
    if "latitude" in part and "longitude" in part:
        lines.append(f"https://maps.google.com/?q={part['latitude']},{part['longitude']}")
    return "\n".join(lines)


def _contacts_body(cards) -> str:
    """One line a shared contact card: its name, phones and e-mail addresses."""
    lines = []
    for card in _list(cards):
        if not isinstance(card, dict):
            continue
        name = _dict(card.get("name"))
        formatted = name.get("formatted_name") or " ".join(
            str(name[k]) for k in ("first_name", "last_name") if name.get(k))
        phones = [p.get("phone") or p.get("wa_id") for p in _list(card.get("phones")) if isinstance(p, dict)]
        emails = [e.get("email") for e in _list(card.get("emails")) if isinstance(e, dict)]
        line = " ".join(str(x) for x in [formatted, *phones, *emails] if x)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _interactive_body(part: dict) -> str:
    for key in ("button_reply", "list_reply", "nfm_reply"):
        reply = _dict(part.get(key))
        if reply:
            text = _text(reply.get("title")) or _text(reply.get("body"))
            # A flow's answers (nfm_reply.response_json) are what the user typed: the scanner must see them.
            extra = _text(reply.get("response_json")) if key == "nfm_reply" else ""
            return "\n".join(t for t in (text, extra) if t)
    return ""


def _content(kind: str, msg: dict) -> tuple[str, str, dict] | None:
    """(message_type, body, media fields) of one message's content, or None when it has none."""
    part = _dict(msg.get(kind))
    if kind == "text":
        return "text", _text(part.get("body")), {}
    if kind in MEDIA_TYPES:
        media_id = part.get("id")
        media_id = str(media_id) if isinstance(media_id, (str, int)) and str(media_id) else None
        name = (media_id or str(msg.get("id") or "media")) + _extension(kind, part)
        return "media", _text(part.get("caption")), {
            "attachment": name, "media_id": media_id, "media_mime": _text(part.get("mime_type")) or None,
            "media_sha256": sha256_hex(part.get("sha256")), "media_kind": kind}
    if kind == "location":
        return "text", _location_body(part), {"media_kind": "location"}
    if kind == "contacts":
        return "text", _contacts_body(msg.get("contacts")), {"media_kind": "contact"}
    if kind == "interactive":
        return "text", _interactive_body(part), {}
    if kind == "button":
        return "text", _text(part.get("text")) or _text(part.get("payload")), {}
    if kind == "order":
        return "text", _text(part.get("text")), {}
    if kind == "system":
        return "system", _text(part.get("body")), {}
    # A type this parser does not know: keep whatever text it carries.
    return "text", _text(part.get("body")) or _text(part.get("text")) or _text(part.get("caption")), {}


# --- the messages --------------------------------------------------------------------------------------

class _Reader:
    """Turns payloads into messages, filling the export's rejected, events and counts as it goes."""

    def __init__(self, export: ParsedExport, max_body_chars: int, media_by_id: dict[str, MediaRef] | None):
        self.export = export
        self.max_body_chars = max_body_chars
        self.media_by_id = media_by_id if media_by_id is not None else {}
        self.seen: set[str] = set()

    def count(self, key: str, n: int = 1) -> None:
        if n:
            self.export.counts[key] = self.export.counts.get(key, 0) + n

    def reject(self, n: int, reason: str) -> None:
        self.export.rejected.append(RejectedRecord(n, reason))

    def messages(self, records: Iterator[tuple[int, dict]]) -> Iterator[ParsedMessage]:
        for n, payload in records:
            for field, value in _values(payload):
                yield from self.value(n, field, value)

    def value(self, n: int, field: str, value: dict) -> Iterator[ParsedMessage]:
        meta = _dict(value.get("metadata"))
        business = str(meta.get("phone_number_id") or meta.get("display_phone_number") or "")
        business_phone = str(meta.get("display_phone_number") or "")
        people: dict[str, tuple[str | None, str | None, str | None]] = {}   # wa_id / user_id → (name, wa, uid)
        for c in _list(value.get("contacts")):
            if not isinstance(c, dict):
                continue
            wa, uid = c.get("wa_id"), c.get("user_id")
            person = (_text(_dict(c.get("profile")).get("name")) or None, str(wa) if wa else None,
                      str(uid) if uid else None)
            for key in (wa, uid):
                if key:
                    people[str(key)] = person
        statuses, errors = _list(value.get("statuses")), _list(value.get("errors"))
        inbound, echoes = _list(value.get("messages")), _list(value.get("message_echoes"))
        self.count(COUNT_STATUSES, len(statuses))
        self.count(COUNT_ERRORS, len(errors))
        if not (statuses or errors or inbound or echoes):
            self.count(COUNT_OTHER)   # another webhook field (account updates, templates, …)
        for msg in inbound:
            if isinstance(msg, dict):
                yield from self.message(n, msg, business, people, None)
        for msg in echoes:
            if isinstance(msg, dict):
                yield from self.message(n, msg, business, people, business_phone)

    def message(self, n: int, msg: dict, business: str, people: dict, echo_from: str | None
                ) -> Iterator[ParsedMessage]:
        mid = msg.get("id")
        mid = str(mid) if mid else None
        if mid is not None and mid in self.seen:
            return   # a webhook retried by Meta
        self.count(COUNT_ERRORS, len(_list(msg.get("errors"))))
        if echo_from is None:   # from a user: "from" (phone) and/or "from_user_id" (BSUID)
            sender, uid = str(msg.get("from") or ""), msg.get("from_user_id")
        else:                   # the business's own message (coexistence): the chat is the recipient's
            sender, uid = str(msg.get("to") or ""), msg.get("to_user_id")
        uid = str(uid) if uid else None
        if sender and not sender.lstrip("+").isdigit():
            uid, sender = uid or sender, ""   # a user id where a phone was expected
        person = people.get(sender) or people.get(uid or "") or (
            next(iter(people.values())) if not sender and len(set(people.values())) == 1 else (None, None, None))
        name, wa_id, uid = person[0], sender.lstrip("+") or person[1], uid or person[2]
        phone = to_e164("+" + wa_id) if wa_id else None
        who = name or phone or ("+" + wa_id if wa_id else None) or uid
        chat_key = f"{business}:{wa_id or uid}" if (wa_id or uid) else None
        if echo_from is None:
            author, author_id, author_phone = who, wa_id or uid, phone
        else:
            author_phone = to_e164("+" + echo_from.lstrip("+")) if echo_from else None
            author, author_id = author_phone or echo_from or None, None
        try:
            sent = local_time(msg.get("timestamp"))
        except (TypeError, ValueError, OverflowError, OSError):
            self.reject(n, REASON_TIMESTAMP)
            return
        if mid is not None:
            self.seen.add(mid)
        kind = str(msg.get("type") or "unknown")

        if kind in (EVENT_EDIT, EVENT_REVOKE, "reaction"):
            part = _dict(msg.get(kind))
            target = part.get("message_id") if kind == "reaction" else part.get("original_message_id")
            if not target:
                self.reject(n, REASON_NO_TARGET)
                return
            body = ""
            if kind == "reaction":
                body = _text(part.get("emoji"))
                kind = EVENT_REACTION if body else EVENT_REACTION_REMOVED
            elif kind == EVENT_EDIT:
                new = _dict(part.get("message"))
                content = _content(str(new.get("type") or "text"), new) if new else None
                body = content[1] if content else _text(_dict(part.get("text")).get("body"))
            if _SURROGATE.search("".join(filter(None, (body, str(target), author_id, mid)))):
                self.reject(n, REASON_SURROGATE)
                return
            if len(body) > self.max_body_chars:
                raise too_long(self.max_body_chars)
            self.export.events.append(MessageEvent(kind, str(target), sent, n, author_id, author_phone, body, mid))
            return

        if kind in COUNTED_TYPES:
            self.count(kind)
            if kind in ("request_welcome", "unsupported"):
                return
        content = _content(kind, msg)
        message_type, body, media = content
        if not body and "attachment" not in media:
            if kind not in COUNTED_TYPES:
                self.count(COUNT_OTHER)   # nothing to keep: never an empty message
            return
        if _SURROGATE.search("".join(filter(None, (body, who, author, author_id, chat_key, mid,
                                                     media.get("attachment"), media.get("media_mime"))))):
            self.reject(n, REASON_SURROGATE)
            return
        if len(body) > self.max_body_chars:
            raise too_long(self.max_body_chars)
        if message_type == "system":
            author = author_id = author_phone = None   # WhatsApp wrote it; whoever it is about is in the body
        attachment = media.get("attachment")
        if attachment and attachment not in self.export.media:
            ref = self.media_by_id.get(media.get("media_id") or "")
            if ref is not None:
                self.export.media[attachment] = ref   # the file saved beside the capture, named by media id
        yield ParsedMessage(sent, author, message_type, body, attachment, False, author_phone, n, who,
                            author_id=author_id, source_id=mid, chat_key=chat_key,
                            media_id=media.get("media_id"), media_mime=media.get("media_mime"),
                            media_sha256=media.get("media_sha256"), media_kind=media.get("media_kind"))


def parse_capture(path: Path, max_body_chars: int = DEFAULT_MAX_BODY_CHARS, *, media: dict | None = None,
                  media_by_id: dict[str, MediaRef] | None = None, member_name: str | None = None
                  ) -> ParsedExport:
    """A ParsedExport over a capture. ``media_by_id`` maps media ids to files saved beside the capture:
    a media message's attachment name is added to ``media`` when its id has a file. Raises NotAnExport
    when no record of the file is a webhook payload."""
    path = Path(path)
    probe: list[RejectedRecord] = []
    first = next(_records(path, max_body_chars, probe), None)   # validates the file now, not mid-ingest
    if first is None:
        unreadable = probe and all(r.reason in (REASON_MALFORMED, REASON_NOT_UTF8) for r in probe)
        raise NotAnExport(REASON_MALFORMED if unreadable else _NOT_CAPTURE)
    business = None
    for _, value in _values(first[1]):
        business = _dict(value.get("metadata")).get("display_phone_number")
        if business:
            break
    chat_name = f"WhatsApp Business {business}" if business else "WhatsApp Business"
    export = ParsedExport(chat_name=chat_name, source_format="cloud_api", export_language=None,
                          messages=iter(()), media=media if media is not None else {}, member_name=member_name)
    reader = _Reader(export, max_body_chars, media_by_id)
    export.messages = reader.messages(_records(path, max_body_chars, export.rejected))
    return export
