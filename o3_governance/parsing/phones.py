"""Phone numbers written as authors (or Cloud API wa_ids) → E.164."""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "BE"
# Digits with the separators WhatsApp and people put between groups; at least 6 digits overall.
_PHONE_SHAPE = re.compile(r"\+?[\d \u00a0\u202f().\-]{6,24}")


@lru_cache(maxsize=65536)
def to_e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of ``text`` when it is (only) a possible phone number, else None."""
    if not text:
        return None
    text = text.strip()
    if not _PHONE_SHAPE.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
