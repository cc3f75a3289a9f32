"""Redaction: someone else's data in an access copy (``[redacted]``), the subject's mentions on erasure
(``[erased]``). The text itself is rewritten by the one rewriter, ``o3_governance.purge.rewrite``."""
from __future__ import annotations

import re

import duckdb

from o3_governance.purge import rewrite
from o3_governance.storage import warehouse
from o3_governance.identity import matching as identity
from o3_governance.rights.finder import merge
from o3_governance.scanning.categories import body_findings_sql
from o3_governance.identity.matching import Subject
from o3_governance.vocabulary import IDENTIFYING_TYPES, OTHERS_ONLY_TYPES

REDACTED = "[redacted]"
ERASED = "[erased]"


def replace_spans(text: str, spans: list[tuple[int, int]], replacement: str) -> str:
    """``text`` with every span replaced by ``replacement`` (spans that overlap or touch give one)."""
    return rewrite.replace_all(text, _clamped(text, spans), replacement).text


def _clamped(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(0, s), min(len(text), e)) for s, e in spans if e > s]


def _overlaps(span: tuple[int, int], protected: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in protected)


def findings_by_message(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[tuple[str, int, int]]]:
    if not ids or not warehouse.table_exists(con, "findings"):
        return {}
    out: dict[str, list[tuple[str, int, int]]] = {}
    for mid, entity, s, e in con.execute(
            'SELECT message_id, entity_type, start, "end" FROM findings '
            f'WHERE {body_findings_sql(con)} AND message_id IN (SELECT unnest(?::VARCHAR[]))',
            [ids]).fetchall():
        out.setdefault(mid, []).append((entity, s, e))
    return out


def others_spans(body: str, *, subject: Subject, own_spans: list[tuple[int, int]], by_subject: bool,
                 findings: list[tuple[str, int, int]], other_name_res: list[re.Pattern[str]]) -> list[tuple[int, int]]:
    """Spans in ``body`` holding someone else's personal data (Art. 15(4)): scanner findings that are
    not the subject's, other participants' names, and phone numbers and emails that are not theirs."""
    spans: list[tuple[int, int]] = []
    for entity, s, e in findings:
        if e > len(body) or s >= e or _overlaps((s, e), own_spans):
            continue
        # Identifying types are redacted wherever they appear; the others only in messages others wrote.
        if entity in IDENTIFYING_TYPES or (entity in OTHERS_ONLY_TYPES and not by_subject):
            spans.append((s, e))
    if other_name_res:
        folded, index = identity.mapped_text(body)
        for rx in other_name_res:
            for m in rx.finditer(folded):
                span = (index[m.start()], index[m.end() - 1] + 1)
                if not _overlaps(span, own_spans):
                    spans.append(span)
    for s, e, e164 in identity.phone_spans(body):
        if e164 != subject.phone and not _overlaps((s, e), own_spans):
            spans.append((s, e))
    for s, e in identity.other_emails(body):
        if (not subject.email or body[s:e].lower() != subject.email) and not _overlaps((s, e), own_spans):
            spans.append((s, e))
    return merge(spans)


def shift_findings(findings: list[dict], spans: list[tuple[int, int]], replacement: str) -> list[dict]:
    """Findings of a body after ``replace_spans``: those inside a replaced span go (they were the
    replaced text), the others move by the change in length before them. Keeps, for example, a
    health finding on a message whose mention of the subject was erased, so retention still sees it."""
    return rewrite.carry_findings(findings, spans, replacement)
