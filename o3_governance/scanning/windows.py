"""Bounded scanning of long texts: a body longer than the scan window is scanned in windows, and no
text longer than spaCy's limit ever reaches the NLP pipeline. Light: loads neither spaCy nor Presidio.

- ``head_tail(text, window)``: the head and the tail of a long body (the store's choice: most of what a
  person writes in an over-long message is at its start or its end; the middle of a 10 MB paste is
  usually a log or a dump). The message is then recorded as ``truncated_for_scan``.
- ``consecutive(text, size)``: the whole text in pieces (the engine's safety net for any caller).

Windows are cut at whitespace when there is some near the edge, so that an identifier is not split;
findings in a window are moved back by the window's start (``shift``)."""
from __future__ import annotations

from typing import Iterable

from o3_governance.scanning.categories import Finding

SPACY_MAX_CHARS = 1_000_000   # spaCy's default ``nlp.max_length`` (error E088 beyond it)
EDGE_SLACK = 200              # how far from a window's edge a whitespace is looked for


def _clamp(window: int) -> int:
    return max(1, min(int(window), SPACY_MAX_CHARS))


def _end_before(text: str, end: int) -> int:
    """An end at or before ``end`` that falls on whitespace, if there is some within the slack."""
    cut = text.rfind(" ", max(0, end - EDGE_SLACK), end)
    nl = text.rfind("\n", max(0, end - EDGE_SLACK), end)
    cut = max(cut, nl)
    return cut if cut > 0 else end


def _start_after(text: str, start: int) -> int:
    """A start at or after ``start`` just past a whitespace, if there is some within the slack."""
    hits = [i for i in (text.find(" ", start, start + EDGE_SLACK), text.find("\n", start, start + EDGE_SLACK))
            if i >= 0]
    return min(hits) + 1 if hits and min(hits) + 1 < len(text) else start


def head_tail(text: str, window: int) -> list[tuple[int, int]]:
    """(start, end) spans to scan: ``[(0, len)]`` when the text fits in ``window`` characters, else a
    head and a tail window, each at most ``window`` long (they overlap when the text is shorter than
    two windows)."""
    window = _clamp(window)
    n = len(text)
    if n <= window:
        return [(0, n)]
    return [(0, _end_before(text, window)), (_start_after(text, n - window), n)]


def consecutive(text: str, size: int = SPACY_MAX_CHARS) -> list[tuple[int, int]]:
    """(start, end) spans covering the whole text, each at most ``size`` long."""
    size = _clamp(size)
    spans, start, n = [], 0, len(text)
    while start < n:
        end = n if n - start <= size else _end_before(text, start + size)
        if end <= start:
            end = min(n, start + size)
        spans.append((start, end))
        start = end
    return spans or [(0, 0)]


def shift(parts: Iterable[tuple[int, Iterable[Finding]]]) -> list[Finding]:
    """Findings of several windows, moved to offsets in the full text, duplicates (overlap) once."""
    seen: dict[tuple[str, int, int], Finding] = {}
    for offset, findings in parts:
        for f in findings:
            moved = Finding(f.entity_type, f.start + offset, f.end + offset, f.score, f.recognizer)
            key = (moved.entity_type, moved.start, moved.end)
            if key not in seen or seen[key].score < moved.score:
                seen[key] = moved
    return sorted(seen.values(), key=lambda f: (f.start, f.end, f.entity_type))
