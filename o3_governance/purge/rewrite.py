"""The one text rewriter: replace spans of a message's text, and carry its findings over to the new text.

Two callers, two verbs (see the glossary in docs/DEVELOPING.md):

- *anonymise* (a retention action): every finding becomes a placeholder naming its type
  (``<PHONE_NUMBER>``); the placeholders are the new text's findings (``Rewrite.placed``);
- *redact* (someone else's data in a copy) and the subject's mentions on *erasure*: spans become
  ``[redacted]`` / ``[erased]``; findings outside them move with the text (``Rewrite.carry``).

Spans outside the text (offsets from an older body) are ignored: text is never cut at a wrong place.
Overlapping spans become one replacement, that of the longest span (then the higher score);
spans that touch are joined when they give the same replacement text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    replacement: str
    entity_type: str | None = None
    score: float = 1.0


@dataclass(frozen=True)
class Placed:
    """One replacement as it stands in the new text, and the span of the old text it replaced."""
    start: int
    end: int
    entity_type: str | None
    old_start: int
    old_end: int


@dataclass(frozen=True)
class Rewrite:
    text: str
    placed: tuple[Placed, ...]

    def carry(self, findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Findings (dicts with ``start``/``end`` in the old text) after the rewrite: those touching a
        replaced span go (they were the replaced text), the others move by the change in length
        before them. Keeps, for example, a health finding on a message whose mention of the subject
        was erased, so that retention still sees it."""
        out = []
        for row in findings:
            s, e = row["start"], row["end"]
            if any(s < p.old_end and p.old_start < e for p in self.placed):
                continue
            delta = sum((p.end - p.start) - (p.old_end - p.old_start) for p in self.placed if p.old_end <= s)
            out.append(dict(row, start=s + delta, end=e + delta))
        return out


def rewrite(text: str, spans: Iterable[Span]) -> Rewrite:
    """``text`` with every span replaced (see the module's rules for overlaps)."""
    valid = sorted((s for s in spans if 0 <= s.start < s.end <= len(text)), key=lambda s: (s.start, -s.end))
    groups: list[list] = []  # [start, end, winner]
    for span in valid:
        if groups:
            group = groups[-1]
            overlaps = span.start < group[1]
            touches = span.start == group[1] and span.replacement == group[2].replacement
            if overlaps or touches:
                group[1] = max(group[1], span.end)
                if _rank(span) > _rank(group[2]):
                    group[2] = span
                continue
        groups.append([span.start, span.end, span])
    parts: list[str] = []
    placed: list[Placed] = []
    pos = length = 0
    for start, end, winner in groups:
        parts.append(text[pos:start])
        length += start - pos
        parts.append(winner.replacement)
        placed.append(Placed(length, length + len(winner.replacement), winner.entity_type, start, end))
        length += len(winner.replacement)
        pos = end
    parts.append(text[pos:])
    return Rewrite("".join(parts), tuple(placed))


def _rank(span: Span) -> tuple[int, float]:
    return span.end - span.start, span.score


def replace_all(text: str, spans: Iterable[tuple[int, int]], replacement: str) -> Rewrite:
    """Every (start, end) span replaced by the same text (redaction, erasure)."""
    return rewrite(text, [Span(s, e, replacement) for s, e in spans])


def carry_findings(findings: Iterable[Mapping[str, Any]], spans: Iterable[tuple[int, int]],
                   replacement: str) -> list[dict[str, Any]]:
    """``replace_all(text, spans, replacement).carry(findings)`` for a caller that has no text at hand
    (the spans and findings are offsets into the same body)."""
    findings, spans = list(findings), [(s, e) for s, e in spans if e > s]
    length = max([e for _, e in spans] + [int(r["end"]) for r in findings] + [0])
    return replace_all(" " * length, spans, replacement).carry(findings)
