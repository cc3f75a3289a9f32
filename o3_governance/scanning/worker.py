"""One process's engine and the worker processes' entry points: (text, chat language) → (detected
language, findings). Importing this module loads spaCy and Presidio; ``pool`` reaches it only inside
the worker processes, so the process that starts them never has to."""
from __future__ import annotations

from typing import Iterable, Sequence

from o3_governance.scanning.categories import Finding
from o3_governance.scanning.engine import Scanner, build_scanner
from o3_governance.scanning.language import LanguageDetector
from o3_governance.scanning.scan import analyze_batch


def detect_and_analyze(scanner: Scanner, langid: LanguageDetector,
                       items: Sequence[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    """(text, chat language) → (detected language, findings) for each item."""
    langs = [langid.detect(text, prior) for text, prior in items]
    findings = analyze_batch(scanner, [t for t, _ in items], langs)
    return list(zip(langs, findings))


_LOCAL: dict = {}


def local_scanner(known_people: Iterable[str]) -> tuple[Scanner, LanguageDetector]:
    """One engine per process and known-people list, built on first use."""
    key = tuple(sorted({p.strip() for p in known_people if p and p.strip()}))
    if _LOCAL.get("key") != key:
        _LOCAL.update(key=key, scanner=build_scanner(key), langid=_LOCAL.get("langid") or LanguageDetector())
    return _LOCAL["scanner"], _LOCAL["langid"]


def scan_here(known_people: Iterable[str],
              items: Sequence[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    """The items scanned in this process (its engine built once)."""
    scanner, langid = local_scanner(known_people)
    return detect_and_analyze(scanner, langid, items)


# --- in a worker process: the engine built once by the pool's initializer -----------------------------

_WORKER: dict = {}


def init(known_people: tuple[str, ...]) -> None:
    _WORKER["scanner"] = build_scanner(known_people)
    _WORKER["langid"] = LanguageDetector()


def run(items: list[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    return detect_and_analyze(_WORKER["scanner"], _WORKER["langid"], items)
