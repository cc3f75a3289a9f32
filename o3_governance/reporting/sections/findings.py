"""Findings of the scanner per entity type, language and month (restricted messages left out)."""
from __future__ import annotations

from o3_governance import vocabulary
from o3_governance.reporting.sections.base import Section, not_available
from o3_governance.scanning import queries as scanning

NOT_SCANNED = "no findings table yet (the scanner has not run)"


def section(con) -> Section:
    if not scanning.has_findings(con):
        return not_available(NOT_SCANNED)
    summary = [{"entity_type": e, "language": lang, "month": month, "findings": n, "messages": nm,
                "special_category": e in vocabulary.SPECIAL_CATEGORY_TYPES}
               for e, lang, month, n, nm in scanning.findings_summary(con)]
    per_type: dict[str, int] = {}
    per_type_lang: dict[str, dict[str, int]] = {}
    per_month_type: dict[str, dict[str, int]] = {}
    languages: set[str] = set()
    for r in summary:
        e, lang, month, n = r["entity_type"], r["language"], r["month"], r["findings"]
        per_type[e] = per_type.get(e, 0) + n
        per_type_lang.setdefault(e, {})[lang] = per_type_lang.get(e, {}).get(lang, 0) + n
        per_month_type.setdefault(month, {})[e] = per_month_type.get(month, {}).get(e, 0) + n
        languages.add(lang)
    return Section(data={"total": sum(per_type.values()), "summary": summary,
                         "per_type": sorted(per_type.items(), key=lambda kv: -kv[1]),
                         "per_type_lang": per_type_lang, "languages": sorted(languages),
                         "per_month_type": dict(sorted(per_month_type.items())),
                         "messages_with_findings": scanning.messages_with_findings(con)})
