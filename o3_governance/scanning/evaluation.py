"""Recall and precision of the scanner on the labelled evaluation set (``eval/labelled_*.yaml``).

Identifiers and names are scored per span: a finding counts when it overlaps a labelled span of the
same type. Special categories are scored per message: the set of categories found against the set
labelled. LOCATION is not labelled and not scored. The language of each message is detected from its
text with the chat's language as the prior, as in a real scan.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from o3_governance.scanning.language import LanguageDetector
from o3_governance.scanning.engine import build_scanner
from o3_governance.scanning.worker import detect_and_analyze
from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES

EVAL_DIR = Path(__file__).resolve().parent / "eval"
SPAN_TYPES = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "BE_NATIONAL_NUMBER", "CREDIT_CARD", "PERSON")


@dataclass(frozen=True)
class Example:
    id: str
    language: str
    chat_language: str
    text: str
    spans: tuple[tuple[str, int, int], ...]
    special: frozenset[str]


def load_examples(eval_dir: Path = EVAL_DIR, pattern: str = "labelled_*.yaml") -> list[Example]:
    """``labelled_*``: the development set the term files were written against; ``holdout*_*``: sets
    written later, whose first-look scores are noted at the top of each file (the term files were
    extended after each first look, so later scores on them are no longer out-of-sample)."""
    out = []
    for path in sorted(eval_dir.glob(pattern)):
        lang = path.stem.split("_", 1)[1]
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            text, spans, pos = row["text"], [], {}
            for etype, value in row.get("pii") or []:
                value = str(value)
                at = text.find(value, pos.get(value, 0))
                if at < 0:
                    raise ValueError(f"{path.name} {row['id']}: labelled span not in the text")
                pos[value] = at + len(value)
                spans.append((etype, at, at + len(value)))
            special = frozenset(row.get("special") or ())
            if not special <= set(SPECIAL_CATEGORY_TYPES):
                raise ValueError(f"{path.name} {row['id']}: unknown special category")
            out.append(Example(row["id"], row.get("lang", lang), row.get("chat", lang), text, tuple(spans), special))
    return out


def known_people(eval_dir: Path = EVAL_DIR) -> list[str]:
    lines = (eval_dir / "known_people.txt").read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@dataclass
class Score:
    tp: int = 0      # labelled items found
    fn: int = 0      # labelled items missed
    correct: int = 0  # findings that match a label
    wrong: int = 0    # findings that match none

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def precision(self) -> float:
        return self.correct / (self.correct + self.wrong) if self.correct + self.wrong else 1.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


@dataclass
class EvalReport:
    examples: int
    spans: dict[tuple[str, str], Score] = field(default_factory=dict)      # (language, type)
    special: dict[str, Score] = field(default_factory=dict)                # language → per-message
    special_by_category: dict[str, Score] = field(default_factory=dict)
    language_accuracy: float = 0.0
    errors: list[tuple[str, str, str]] = field(default_factory=list)       # (example id, kind, type)

    def table(self) -> str:
        rows = ["language type                  support recall precision"]
        for (lang, etype), s in sorted(self.spans.items()):
            rows.append(f"{lang:8} {etype:21} {s.support:7} {s.recall:6.3f} {s.precision:9.3f}")
        for lang, s in sorted(self.special.items()):
            rows.append(f"{lang:8} {'SPECIAL (per message)':21} {s.support:7} {s.recall:6.3f} {s.precision:9.3f}")
        for cat, s in sorted(self.special_by_category.items()):
            rows.append(f"{'all':8} {cat:21} {s.support:7} {s.recall:6.3f} {s.precision:9.3f}")
        rows.append(f"language detection accuracy: {self.language_accuracy:.3f} on {self.examples} messages")
        return "\n".join(rows)


def evaluate(scanner=None, eval_dir: Path = EVAL_DIR, pattern: str = "labelled_*.yaml") -> EvalReport:
    """Scan every labelled message with the fast path and score it. ``scanner`` defaults to an engine
    built with the evaluation set's known people."""
    examples = load_examples(eval_dir, pattern)
    scanner = scanner or build_scanner(known_people(eval_dir))
    results = detect_and_analyze(scanner, LanguageDetector(), [(e.text, e.chat_language) for e in examples])
    report = EvalReport(examples=len(examples))
    right_language = 0
    for ex, (detected, findings) in zip(examples, results):
        right_language += detected == ex.language
        for etype in SPAN_TYPES:
            s = report.spans.setdefault((ex.language, etype), Score())
            gold = [(a, b) for t, a, b in ex.spans if t == etype]
            pred = [(f.start, f.end) for f in findings if f.entity_type == etype]
            for a, b in gold:
                if any(p < b and a < q for p, q in pred):
                    s.tp += 1
                else:
                    s.fn += 1
                    report.errors.append((ex.id, "missed", etype))
            for p, q in pred:
                if any(p < b and a < q for a, b in gold):
                    s.correct += 1
                else:
                    s.wrong += 1
                    report.errors.append((ex.id, "false", etype))
        found = {f.entity_type for f in findings} & set(SPECIAL_CATEGORY_TYPES)
        s = report.special.setdefault(ex.language, Score())
        for cat in ex.special:
            c = report.special_by_category.setdefault(cat, Score())
            if cat in found:
                s.tp += 1; c.tp += 1
            else:
                s.fn += 1; c.fn += 1
                report.errors.append((ex.id, "missed", cat))
        for cat in found:
            c = report.special_by_category.setdefault(cat, Score())
            if cat in ex.special:
                s.correct += 1; c.correct += 1
            else:
                s.wrong += 1; c.wrong += 1
                report.errors.append((ex.id, "false", cat))
    report.language_accuracy = right_language / len(examples) if examples else 1.0
    return report
