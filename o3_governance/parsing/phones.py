"""Phone numbers written as authors (or Cloud API wa_ids) → E.164."""
from __future__ import annotations

import re

from o3_governance.phones import DEFAULT_REGION, normalize_phone

# Digits with the separators WhatsApp and people put between groups; at least 6 digits overall.
_PHONE_SHAPE = re.compile(r"\+?[\d \u00a0\u202f().\-]{6,24}")


def to_e164(text: str | None, region: str = DEFAULT_REGION) -> str | None:
    """E.164 form of ``text`` when it is (only) a phone number — not a name that holds digits."""
    if not text:
        return None
    text = text.strip()
    if not _PHONE_SHAPE.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return None
    return normalize_phone(text, region)
