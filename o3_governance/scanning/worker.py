"""One process's engine and the worker processes' entry points: (text, chat language) → (detected
language, findings). Importing this module loads spaCy and Presidio; ``pool`` reaches it only inside
the worker processes, so the process that starts them never has to."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

from o3_governance.scanning.categories import Finding
from o3_governance.scanning.engine import TERMS_DIR, Scanner, build_scanner
from o3_governance.scanning.fingerprint import config_hash
from o3_governance.scanning.language import LanguageDetector
from o3_governance.scanning.scan import analyze_batch


def detect_and_analyze(scanner: Scanner, langid: LanguageDetector,
                       items: Sequence[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    """(text, chat language) → (detected language, findings) for each item."""
    langs = [langid.detect(text, prior) for text, prior in items]
    findings = analyze_batch(scanner, [t for t, _ in items], langs)
    return list(zip(langs, findings))


_LOCAL: dict = {}


def local_scanner(known_people: Iterable[str], terms_dir: Path = TERMS_DIR) -> tuple[Scanner, LanguageDetector]:
    """One engine per process, known-people list and term folder, built on first use."""
    people = tuple(sorted({p.strip() for p in known_people if p and p.strip()}))
    key = (people, Path(terms_dir), config_hash(people, terms_dir))   # an edited term file: a new engine
    if _LOCAL.get("key") != key:
        _LOCAL.update(key=key, scanner=build_scanner(people, terms_dir),
                      langid=_LOCAL.get("langid") or LanguageDetector())
    return _LOCAL["scanner"], _LOCAL["langid"]


def scan_here(known_people: Iterable[str], items: Sequence[tuple[str, str | None]],
              terms_dir: Path = TERMS_DIR) -> list[tuple[str, list[Finding]]]:
    """The items scanned in this process (its engine built once)."""
    scanner, langid = local_scanner(known_people, terms_dir)
    return detect_and_analyze(scanner, langid, items)


# --- in a worker process: the engine built once by the pool's initializer -----------------------------

_WORKER: dict = {}


def init(known_people: tuple[str, ...], terms_dir: Path = TERMS_DIR) -> None:
    _WORKER["scanner"] = build_scanner(known_people, terms_dir)
    _WORKER["langid"] = LanguageDetector()


def run(items: list[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    return detect_and_analyze(_WORKER["scanner"], _WORKER["langid"], items)
