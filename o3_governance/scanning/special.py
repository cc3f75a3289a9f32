"""Special categories of personal data (GDPR Art. 9) and criminal offences (Art. 10), found with term
lists a DPO can read and extend: ``special_categories/<language>/<category>.yaml``.

File format (one language, one category)::

    category: HEALTH_DATA          # one of SPECIAL_CATEGORY_TYPES
    language: nl
    rules:
      - terms: [diabetes, chemo*, "ziek gemeld"]  # words or phrases; "*" ends a word with any ending
        score: 0.85                               # optional, default 0.85
      - terms: [ziek]
        requires_nearby: [ben, is, thuis]         # counts only with one of these within `window` words
        unless_nearby: [grapje]                   # ... and none of these
        window: 4                                 # optional, default 5
        score: 0.7
    exclude: ["ziek van", "ziek en zat"]          # a term inside one of these phrases never counts

Comparison ignores case and accents; words are split on anything that is not a letter or digit
(hyphens and ``&`` stay inside a word: ``burn-out``, ``n-va``, ``cd&v``). A term matches whole words
only, so ``kerk`` does not match ``Kerkstraat``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

from o3_governance.scanning.fingerprint import TERMS_DIR, term_files
from o3_governance.scanning.recognizers import fold
from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES



_WORD = re.compile(r"\w+(?:[-&]\w+)*")


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class TermFileError(ValueError):
    """A term file that cannot be used; the message names the file and the problem."""


def tokenize(text: str) -> list[tuple[str, int, int]]:
    folded = fold(text)
    if len(folded) != len(text):  # characters that decompose to several: fold token by token
        return [(fold(m.group()), m.start(), m.end()) for m in _WORD.finditer(text)]
    return [(m.group(), m.start(), m.end()) for m in _WORD.finditer(folded)]


@dataclass(frozen=True)
class _Term:
    words: tuple[str, ...]      # each may end with "*"
    rule: int


@dataclass(frozen=True)
class Rule:
    category: str
    score: float
    requires: tuple[tuple[str, ...], ...]
    unless: tuple[tuple[str, ...], ...]
    window: int


def _word_matches(pattern: str, token: str) -> bool:
    return token.startswith(pattern[:-1]) if pattern.endswith("*") else token == pattern


class _Matcher:
    """Whole-word phrase matching, indexed by the first word (exact or prefix), so each token costs a
    dictionary look-up or two rather than a scan of every term."""

    def __init__(self, phrases: list[_Term]):
        self.exact: dict[str, list[_Term]] = {}
        self.prefix: dict[str, list[_Term]] = {}
        for t in phrases:
            head = t.words[0]
            if head.endswith("*"):
                self.prefix.setdefault(head[:-1], []).append(t)
            else:
                self.exact.setdefault(head, []).append(t)
        self.prefix_lengths = sorted({len(p) for p in self.prefix})

    def candidates(self, token: str) -> list[_Term]:
        found = list(self.exact.get(token, ()))
        for n in self.prefix_lengths:
            if n > len(token):
                break
            found.extend(self.prefix.get(token[:n], ()))
        return found

    def find(self, tokens: list[tuple[str, int, int]]) -> list[tuple[int, int, _Term]]:
        """(first token index, last token index + 1, term) for every match."""
        out = []
        for i, (tok, _, _) in enumerate(tokens):
            for term in self.candidates(tok):
                n = len(term.words)
                if i + n <= len(tokens) and all(_word_matches(w, tokens[i + k][0]) for k, w in enumerate(term.words[1:], 1)):
                    out.append((i, i + n, term))
        return out


def _phrase(term: str, where: str) -> tuple[str, ...]:
    if not isinstance(term, str) or not term.strip():
        raise TermFileError(f"{where}: every term must be a non-empty string")
    words = tuple(tok for tok, _, _ in tokenize(term.replace("*", "STARMARK")))
    words = tuple(w.replace("starmark", "*") for w in words)
    if not words or any(w == "*" or "*" in w[:-1] for w in words):
        raise TermFileError(f"{where}: '*' may only end a word")
    return words


class CategoryTerms:
    """Every term file of one language, compiled."""

    def __init__(self, language: str, files: list[Path]):
        self.language = language
        self.rules: list[Rule] = []
        terms: list[_Term] = []
        excludes: list[_Term] = []
        self.categories: set[str] = set()
        for path in files:
            where = f"{path.parent.name}/{path.name}"
            try:
                doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = f" line {mark.line + 1}" if mark else ""
                raise TermFileError(f"{where}{line}: not valid YAML") from None
            if not isinstance(doc, dict):
                raise TermFileError(f"{where}: expected a mapping with category, language, rules")
            category = doc.get("category")
            if category not in SPECIAL_CATEGORY_TYPES:
                raise TermFileError(f"{where}: unknown category {category!r}")
            if doc.get("language") != language:
                raise TermFileError(f"{where}: language must be {language!r}")
            rules = doc.get("rules")
            if not isinstance(rules, list) or not rules:
                raise TermFileError(f"{where}: 'rules' must be a non-empty list")
            self.categories.add(category)
            for k, rule in enumerate(rules, 1):
                rwhere = f"{where} rule {k}"
                if not isinstance(rule, dict) or not isinstance(rule.get("terms"), list) or not rule["terms"]:
                    raise TermFileError(f"{rwhere}: needs a non-empty 'terms' list")
                unknown = set(rule) - {"terms", "score", "requires_nearby", "unless_nearby", "window", "note"}
                if unknown:
                    raise TermFileError(f"{rwhere}: unknown key(s) {sorted(unknown)}")
                score = rule.get("score", 0.85 if "requires_nearby" not in rule else 0.7)
                window = rule.get("window", 5)
                if not isinstance(score, (int, float)) or not 0 < score <= 1:
                    raise TermFileError(f"{rwhere}: score must be a number in (0, 1]")
                if not isinstance(window, int) or window < 1:
                    raise TermFileError(f"{rwhere}: window must be a positive whole number")
                idx = len(self.rules)
                self.rules.append(Rule(
                    category=category, score=float(score), window=window,
                    requires=tuple(_phrase(t, rwhere) for t in rule.get("requires_nearby") or ()),
                    unless=tuple(_phrase(t, rwhere) for t in rule.get("unless_nearby") or ())))
                terms.extend(_Term(_phrase(t, rwhere), idx) for t in rule["terms"])
            for t in doc.get("exclude") or ():
                excludes.append(_Term(_phrase(t, f"{where} exclude"), -1))
        self._terms = _Matcher(terms)
        self._excludes = _Matcher(excludes)

    @staticmethod
    def _near(tokens, lo: int, hi: int, window: int, phrases) -> bool:
        a, b = max(0, lo - window), min(len(tokens), hi + window)
        for i in range(a, b):
            if lo <= i < hi:
                continue
            for words in phrases:
                n = len(words)
                if i + n <= b and all(_word_matches(w, tokens[i + k][0]) for k, w in enumerate(words)) \
                        and not (i < hi and i + n > lo):
                    return True
        return False

    def find(self, text: str) -> list[tuple[str, int, int, float]]:
        """(category, start, end, score) for each term occurrence that counts."""
        tokens = tokenize(text)
        if not tokens:
            return []
        hits = self._terms.find(tokens)
        if not hits:
            return []
        excluded = [(a, b) for a, b, _ in self._excludes.find(tokens)]
        out = []
        for a, b, term in hits:
            rule = self.rules[term.rule]
            if any(x < b and a < y for x, y in excluded):
                continue
            if rule.requires and not self._near(tokens, a, b, rule.window, rule.requires):
                continue
            if rule.unless and self._near(tokens, a, b, rule.window, rule.unless):
                continue
            out.append((rule.category, tokens[a][1], tokens[b - 1][2], rule.score))
        return out


def load_terms(language: str, root: Path = TERMS_DIR) -> CategoryTerms:
    return CategoryTerms(language, term_files(language, root))


class SpecialCategoryRecognizer(LocalRecognizer):
    """All nine Art. 9 / Art. 10 categories of one language, from its term files."""

    def __init__(self, language: str, root: Path = TERMS_DIR):
        self.terms = load_terms(language, root)
        super().__init__(supported_entities=sorted(SPECIAL_CATEGORY_TYPES), supported_language=language,
                         name=f"special_categories_{language}")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        wanted = set(entities) if entities else set(SPECIAL_CATEGORY_TYPES)
        return [RecognizerResult(entity_type=cat, start=s, end=e, score=score,
                                 analysis_explanation=AnalysisExplanation(recognizer=self.name, original_score=score),
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for cat, s, e, score in self.terms.find(text) if cat in wanted]
