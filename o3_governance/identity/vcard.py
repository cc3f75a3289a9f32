"""A small, safe reader of contact cards (``.vcf``, vCard 2.1 / 3.0 / 4.0): who a card is about.

Only what identifies a person is read: ``FN``, ``N`` (family;given;additional;prefix;suffix),
``TEL``, ``EMAIL``, and the other text values (``ORG``, ``NOTE``, ``ADR`` …) as plain texts.
Folded lines (a line starting with a space or tab continues the previous one), quoted-printable
values (vCard 2.1, with ``=`` soft line breaks) and their ``CHARSET`` are decoded; binary values
(``PHOTO``, ``LOGO``, ``SOUND``, ``KEY``, base64) are skipped. The reader never raises on a bad card:
it reads what it can, and reads at most ``max_bytes``.
"""
from __future__ import annotations

import codecs
import quopri
import re
from dataclasses import dataclass, field

MAX_CARD_BYTES = 2_000_000
_BINARY = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", "\\": "\\"}


@dataclass
class Card:
    names: list[str] = field(default_factory=list)    # FN, and N as "given additional family"
    phones: list[str] = field(default_factory=list)   # TEL values as written
    emails: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)    # every other text value

    def all_texts(self) -> list[str]:
        return self.names + self.phones + self.emails + self.texts


def _unfold(text: str) -> list[str]:
    """Logical lines: folded continuations joined, quoted-printable soft breaks joined."""
    lines: list[str] = []
    for raw in re.split(r"\r\n|\r|\n", text):
        if lines and raw[:1] in (" ", "\t"):
            lines[-1] += raw[1:]
        elif lines and lines[-1].endswith("=") and "QUOTED-PRINTABLE" in lines[-1].split(":", 1)[0].upper():
            lines[-1] = lines[-1][:-1] + raw          # a soft line break inside a quoted-printable value
        else:
            lines.append(raw)
    return lines


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value)


def _split_unescaped(value: str, sep: str) -> list[str]:
    return [_unescape(p) for p in re.split(r"(?<!\\)" + re.escape(sep), value)]


def _decode(value: str, params: dict[str, str]) -> str | None:
    encoding = params.get("ENCODING", "").upper()
    if encoding in ("B", "BASE64"):
        return None
    if encoding == "QUOTED-PRINTABLE":
        charset = params.get("CHARSET", "utf-8")
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        return quopri.decodestring(value.encode("ascii", "replace")).decode(charset, "replace")
    return value


def _params(raw: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in raw:
        key, eq, value = p.partition("=")
        if eq:
            out[key.strip().upper()] = value.strip().strip('"')
        elif key.strip().upper() in ("QUOTED-PRINTABLE", "BASE64", "B"):   # vCard 2.1 bare parameters
            out["ENCODING"] = key.strip().upper()
    return out


def read_vcards(data: bytes, *, max_bytes: int = MAX_CARD_BYTES) -> list[Card]:
    """Every card in ``data`` (a file may hold several)."""
    text = data[:max_bytes].decode("utf-8-sig", "replace")
    cards: list[Card] = []
    card: Card | None = None
    for line in _unfold(text):
        head, colon, value = line.partition(":")
        if not colon:
            continue
        name, *raw_params = head.split(";")
        prop = name.rsplit(".", 1)[-1].strip().upper()   # "item1.TEL" → TEL
        if prop == "BEGIN" and value.strip().upper() == "VCARD":
            card = Card()
            cards.append(card)
            continue
        if prop == "END":
            card = None
            continue
        if card is None or prop in _BINARY:
            continue
        decoded = _decode(value, _params(raw_params))
        if decoded is None:
            continue
        if prop == "FN":
            card.names.append(_unescape(decoded).strip())
        elif prop == "N":
            family, given, additional = (_split_unescaped(decoded, ";") + ["", "", ""])[:3]
            full = " ".join(p.strip() for p in (given, additional, family) if p.strip())
            if full:
                card.names.append(full)
        elif prop == "TEL":
            card.phones.append(re.sub(r"^tel:", "", _unescape(decoded).strip(), flags=re.IGNORECASE))
        elif prop == "EMAIL":
            card.emails.append(_unescape(decoded).strip().lower())
        elif prop not in ("VERSION", "PRODID", "REV", "UID"):
            card.texts.append(" ".join(_split_unescaped(decoded, ";")).strip())
    return cards
