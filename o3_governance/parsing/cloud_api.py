"""WhatsApp Business Platform (Cloud API) webhook captures: ``.json`` (one payload or a list of
payloads) and ``.jsonl`` (one payload a line). Inbound ``messages[]`` become ParsedMessages;
``statuses[]`` (sent/delivered/read/failed) carry no message and are skipped. A webhook retried by
Meta holds the same message id twice: it is kept once."""
from __future__ import annotations

import json
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from o3_governance.vocabulary import BRUSSELS
from o3_governance.parsing.model import NotAnExport, ParsedExport, ParsedMessage
from o3_governance.identity.phones import to_e164

DEFAULT_MAX_BODY_CHARS = 5_000_000   # the ingest passes the configured O3_MAX_BODY_CHARS
MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")
_MIME_EXT = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4",
             "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
             "application/pdf": ".pdf", "text/plain": ".txt", "video/3gpp": ".3gp", "image/png": ".png"}


def _is_payload(obj) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("entry"), list) and (
        obj.get("object") in (None, "whatsapp_business_account"))


def _line_bytes(max_body_chars: int) -> int:
    """The longest JSON line read: a body at the limit written with \\uXXXX escapes, plus its envelope."""
    return max_body_chars * 6 + (1 << 20)


def _load_payloads(path: Path, max_body_chars: int = DEFAULT_MAX_BODY_CHARS) -> Iterator[tuple[int, dict]]:
    """(record number, payload) pairs; JSON Lines are streamed line by line, no line read beyond a bound."""
    try:
        if path.suffix.lower() == ".jsonl":
            yield from _jsonl(path, max_body_chars)
            return
        with open(path, "rb") as f:
            try:
                doc = json.load(f)
            except json.JSONDecodeError as exc:
                if exc.msg == "Extra data":   # JSON Lines under another extension
                    yield from _jsonl(path, max_body_chars)
                    return
                raise
    except json.JSONDecodeError:
        raise NotAnExport("malformed JSON") from None
    except UnicodeError:
        raise NotAnExport("file is not UTF-8 text") from None
    items = doc if isinstance(doc, list) else [doc]
    if not items:
        raise NotAnExport("not a WhatsApp Cloud API webhook capture")
    for n, item in enumerate(items, 1):
        if not _is_payload(item):
            raise NotAnExport("not a WhatsApp Cloud API webhook capture")
        yield n, item


def _jsonl(path: Path, max_body_chars: int = DEFAULT_MAX_BODY_CHARS) -> Iterator[tuple[int, dict]]:
    limit = _line_bytes(max_body_chars)
    with open(path, "rb") as f:
        for n, line in enumerate(iter(lambda: f.readline(limit + 1), b""), 1):
            if len(line) > limit:
                raise NotAnExport(f"a line is longer than {limit} bytes")
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                raise NotAnExport("malformed JSON") from None
            except UnicodeError:
                raise NotAnExport("file is not UTF-8 text") from None
            if not _is_payload(obj):
                raise NotAnExport("not a WhatsApp Cloud API webhook capture")
            yield n, obj


def _values(payload: dict) -> Iterable[dict]:
    for entry in payload.get("entry") or ():
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or ():
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield change["value"]


def local_time(epoch) -> datetime:
    """Epoch seconds → naive Europe/Brussels wall time (what an export from a Belgian phone shows)."""
    return datetime.fromtimestamp(int(epoch), tz=BRUSSELS).replace(tzinfo=None)


def _extension(kind: str, part: dict) -> str:
    if kind == "document" and isinstance(part.get("filename"), str):
        suffix = Path(part["filename"]).suffix.lower()
        if 1 < len(suffix) <= 10:
            return suffix
    mime = str(part.get("mime_type") or "").split(";")[0].strip().lower()
    if not mime:
        return ""
    return _MIME_EXT.get(mime) or mimetypes.guess_extension(mime) or ""


def _body_of(kind: str, msg: dict) -> tuple[str, str, str | None]:
    """(message_type, body, attachment) of one inbound message."""
    part = msg.get(kind) if isinstance(msg.get(kind), dict) else {}
    if kind == "text":
        return "text", str(part.get("body") or ""), None
    if kind in MEDIA_TYPES:
        media_id = str(part.get("id") or msg.get("id") or "media")
        return "media", str(part.get("caption") or ""), media_id + _extension(kind, part)
    if kind == "location":
        lines = [str(part[k]) for k in ("name", "address") if part.get(k)]
        if "latitude" in part and "longitude" in part:
            lines.append(f"https://maps.google.com/?q={part['latitude']},{part['longitude']}")
        return "text", "\n".join(lines), None
    if kind == "contacts":
        lines = []
        for c in msg.get("contacts") or ():
            if not isinstance(c, dict):
                continue
            name = (c.get("name") or {}).get("formatted_name") if isinstance(c.get("name"), dict) else None
            phones = [p.get("phone") for p in c.get("phones") or () if isinstance(p, dict) and p.get("phone")]
            emails = [e.get("email") for e in c.get("emails") or () if isinstance(e, dict) and e.get("email")]
            lines.append(" ".join(str(x) for x in [name, *phones, *emails] if x))
        return "text", "\n".join(lines), None
    if kind == "interactive":
        reply = part.get("button_reply") or part.get("list_reply") or part.get("nfm_reply") or {}
        return "text", str(reply.get("title") or reply.get("body") or ""), None
    if kind == "button":
        return "text", str(part.get("text") or part.get("payload") or ""), None
    if kind == "reaction":
        return "text", str(part.get("emoji") or ""), None
    if kind in ("system", "unsupported", "unknown"):
        return "system", str(part.get("body") or ""), None
    # A type this parser does not know: keep whatever text it carries.
    text = part.get("body") or part.get("text") or part.get("caption") or ""
    return "text", text if isinstance(text, str) else "", None


def _messages(payloads: Iterator[tuple[int, dict]], max_body_chars: int = DEFAULT_MAX_BODY_CHARS
              ) -> Iterator[ParsedMessage]:
    seen: set[str] = set()
    for n, payload in payloads:
        for value in _values(payload):
            names = {}
            for c in value.get("contacts") or ():
                if isinstance(c, dict) and c.get("wa_id"):
                    names[str(c["wa_id"])] = ((c.get("profile") or {}).get("name") or None)
            for msg in value.get("messages") or ():
                if not isinstance(msg, dict):
                    continue
                mid = msg.get("id")
                if mid:
                    if mid in seen:
                        continue
                    seen.add(mid)
                sender = str(msg.get("from") or "")
                phone = to_e164("+" + sender.lstrip("+")) if sender else None
                name = names.get(sender)
                try:
                    sent = local_time(msg["timestamp"])
                except (KeyError, TypeError, ValueError, OverflowError, OSError):
                    raise NotAnExport("webhook message without a valid timestamp") from None
                kind = str(msg.get("type") or "unknown")
                message_type, body, attachment = _body_of(kind, msg)
                if len(body) > max_body_chars:
                    raise NotAnExport(f"a message is longer than {max_body_chars} characters")
                who = name or phone or (("+" + sender) if sender else None)
                yield ParsedMessage(sent, who, message_type, body, attachment, False, phone, n, who)


def parse_capture(path: Path, max_body_chars: int = DEFAULT_MAX_BODY_CHARS) -> ParsedExport:
    """A ParsedExport over a capture; a message body longer than ``max_body_chars`` refuses the file."""
    path = Path(path)
    first = next(_load_payloads(path, max_body_chars), None)   # validates the head of the file now, not mid-ingest
    if first is None:
        raise NotAnExport("not a WhatsApp Cloud API webhook capture")
    business = None
    for value in _values(first[1]):
        business = (value.get("metadata") or {}).get("display_phone_number")
        if business:
            break
    chat_name = f"WhatsApp Business {business}" if business else "WhatsApp Business"
    return ParsedExport(chat_name=chat_name, source_format="cloud_api", export_language=None,
                        messages=_messages(_load_payloads(path, max_body_chars), max_body_chars))
