"""How reports write what they may show of chats and of texts the code wrote: a chat by a label made
from its id (chat names can be people's names), a one-line reason with quoted parts, long numbers
and e-mail addresses masked."""
from __future__ import annotations

import re


def chat_label(chat_id: str | None) -> str:
    """A non-personal label: chat names can be people's names, so the report never shows them."""
    return f"chat {chat_id[:8]}…" if chat_id else "chat (unknown)"


_MASKS = [
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[e-mail]"),
    (re.compile(r"\+?\d[\d .\-/]{5,}\d"), "[number]"),
    # quoted text, unless it is a single key-like word (a YAML key, a format name)
    (re.compile(r"[\"'“‘«](?![A-Za-z_][\w.\-]{0,30}[\"'”’»])[^\"'”’»]{0,200}[\"'”’»]"), "[…]"),
]


def safe_reason(reason: str | None) -> str:
    """Quarantine reasons are one-line texts written by the code, but a parser may quote a bit of the
    file; quoted parts, long numbers and e-mail addresses are masked so the report cannot leak them."""
    if not reason:
        return ""
    text = reason.splitlines()[0] if reason.strip() else ""
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return text[:200]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:[+-]\d{2}:?\d{2}|Z)?)?")
_HEX_OR_UUID = re.compile(r"[0-9a-fA-F]{8,64}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9_.:+\-/]{1,64}")


def mask_free_text(value):
    """A value that should be an id, a date or a status may still hold free text: only dates, hex ids
    and short tokens without a phone-length run of digits pass; anything else is withheld."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    s = str(value)
    if s == "" or _ISO_DATE.fullmatch(s) or _HEX_OR_UUID.fullmatch(s):
        return s
    if _TOKEN.fullmatch(s) and "@" not in s and not re.search(r"\d{9,}", re.sub(r"[\s./\-]", "", s)):
        return s
    return "[withheld]"
