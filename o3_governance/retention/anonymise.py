"""Anonymise: the retention action that keeps a message but not what identifies anyone in it.

Every finding span becomes a placeholder naming its type (``<PHONE_NUMBER>``...), and for a special
category the whole sentence around it (``<HEALTH_DATA>``...): special-category text is more than the
keyword. The text is rewritten by the one rewriter (``o3_governance.purge.rewrite``); the new findings
point at the placeholders, so statistics still count them. The author becomes a role."""
from __future__ import annotations

import re
from typing import Any, Sequence

from o3_governance.identity.directory import DirectoryEntry
from o3_governance.identity.matching import normalize_name
from o3_governance.purge.rewrite import Span, rewrite

ROLE_STAFF = "<STAFF_MEMBER>"  # placeholder style: never mistaken for a real name
ROLE_EXTERNAL = "<EXTERNAL_CONTACT>"
ROLE_UNKNOWN = "<PARTICIPANT>"
_SENTENCE_END = re.compile(r"[.!?\n]")


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence(s) around [start, end): special-category text is more than the keyword."""
    s = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        s = m.end()
    while s < start and text[s].isspace():
        s += 1
    m = _SENTENCE_END.search(text, end)
    e = m.end() if m else len(text)
    if m and text[m.start()] == "\n":
        e = m.start()
    return s, max(e, end)


def anonymise_text(body: str | None, findings: Sequence[tuple[str, int, int, float]],
                   special: frozenset[str]) -> tuple[str | None, list[dict[str, Any]]]:
    """Placeholders for every finding span (special categories: their whole sentence).

    Returns the new text and findings rows pointing at the placeholders."""
    if not body:
        return body, []
    spans = []
    for entity_type, start, end, score in findings:
        if start is None or end is None or not (0 <= start < end <= len(body)):
            continue  # offsets from an older body: never cut text at a wrong place
        if entity_type in special:
            start, end = sentence_span(body, start, end)
        spans.append(Span(start, end, f"<{entity_type}>", entity_type, float(score if score is not None else 1.0)))
    if not spans:
        return body, []
    out = rewrite(body, spans)
    rows = [{"entity_type": p.entity_type, "start": p.start, "end": p.end, "score": 1.0, "recognizer": "anonymised"}
            for p in out.placed]
    return out.text, rows


class Roles:
    """Author → role, from the staff/contact directory's entries when there are any."""

    def __init__(self, directory: Sequence[DirectoryEntry]) -> None:
        self.configured = bool(directory)
        # The directory's `role` column decides: an external contact listed there stays external.
        self.staff_names = {normalize_name(e.name) for e in directory if e.is_staff}
        self.staff_phones = {e.phone for e in directory if e.phone and e.is_staff}

    def role(self, author: str | None, phone: str | None) -> str | None:
        if author is None and phone is None:
            return None  # system lines have no author to replace
        if not self.configured:
            return ROLE_UNKNOWN
        if (phone and phone in self.staff_phones) or (author and normalize_name(author) in self.staff_names):
            return ROLE_STAFF
        return ROLE_EXTERNAL
