"""Phone numbers in any usual spelling → E.164: one rule for parsing, holds and data-subject requests."""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "BE"
_MARKS = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # direction marks iOS puts around numbers


@lru_cache(maxsize=65536)
def normalize_phone(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 for any usual spelling (``0471 23 45 67``, ``0032…``, ``+32 (0)471…``), else None."""
    if not text:
        return None
    cleaned = _MARKS.sub("", text.strip().replace("(0)", ""))
    digits = re.sub(r"\D", "", cleaned)
    if cleaned.lstrip().startswith("00") and not cleaned.lstrip().startswith("+"):
        cleaned = "+" + digits[2:]
    if len(digits) < 6:
        return None
    try:
        number = phonenumbers.parse(cleaned, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_valid_e164(e164: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(e164))


# Digits with the separators WhatsApp and people put between groups; at least 6 digits overall.
_PHONE_SHAPE = re.compile(r"\+?[\d \u00a0\u202f().\-]{6,24}")


def to_e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of ``text`` when it is (only) a phone number (an author, a wa_id) — not a name
    that holds digits."""
    if not text:
        return None
    text = text.strip()
    if not _PHONE_SHAPE.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return None
    return normalize_phone(text, region)
