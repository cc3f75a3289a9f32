"""Scanning texts fast: identical texts once, spaCy in batches per language, only the recognizers a
text can possibly trigger; one process's engine and the worker processes' entry points are in
``worker``, the pool that starts them in ``pool``.

Results are what ``AnalyzerEngine.analyze()`` returns for the same text and language, followed by
the same clean-up (``resolve``); ``analyze_one`` is that plain path and the tests hold the two equal.
"""
from __future__ import annotations

import re
from typing import Sequence

from presidio_analyzer import RecognizerResult

from o3_governance.scanning import windows
from o3_governance.scanning.categories import Finding
from o3_governance.scanning.engine import Scanner, stop_words
from o3_governance.scanning.recognizers import (curated_first_names, first_names, fold, is_inflected_word,
                                                load_word_list, not_people)
from o3_governance.vocabulary import LANGUAGES, SPECIAL_CATEGORY_TYPES

ALWAYS = ("PERSON", "LOCATION") + tuple(sorted(SPECIAL_CATEGORY_TYPES))
BATCH = 512


_IBAN_HINT = re.compile(r"[A-Za-z]{2}[ \u00a0\u202f-]{0,3}\d{2}")  # as IbanRecognizer.CANDIDATE opens


def needed_entities(text: str, language: str) -> list[str]:
    """Entities whose recognizers can fire on this text at all: a phone number needs seven digits,
    an e-mail an ``@``, and so on. Skipping the others is exact, not a heuristic."""
    digits = sum(map(str.isdigit, text))
    wanted = list(ALWAYS)
    if digits >= 7:
        wanted.append("PHONE_NUMBER")
    if digits >= 10 and _IBAN_HINT.search(text):
        wanted.append("IBAN_CODE")
    if digits >= 11:
        wanted.append("BE_NATIONAL_NUMBER")
    if digits >= 13:
        wanted.append("CREDIT_CARD")
    if "@" in text:
        wanted.append("EMAIL_ADDRESS")
    return wanted


_COMMON: set[str] | None = None


def _common() -> set[str]:
    global _COMMON
    if _COMMON is None:
        words = {fold(w) for w in load_word_list("not_names.txt")}
        for lang in LANGUAGES:
            words |= {fold(w) for w in stop_words(lang)}
        _COMMON = words
    return _COMMON


_PLACE_PREFIX = re.compile(r"^(?:Saint|Sainte|Sint|St|Ste)[-. ]", re.IGNORECASE)
_TITLE_BEFORE = re.compile(r"(?:\b(?:M|Mme|Mlle|Dr|Me|Mr|Mrs|Ms)\.?|monsieur|madame|docteur|ma[iî]tre|meneer|mevrouw)\s*$",
                           re.IGNORECASE)


_TOKEN = re.compile(r"\S+")
_PARTICLES = {"van", "de", "den", "der", "ter", "le", "la", "du", "des", "von", "vanden", "vander"}


def _may_hold_names(text: str) -> bool:
    """Whether the NER model could add anything that ``resolve`` keeps. Every kept NER span holds a
    capital letter after ordinary words are trimmed from its ends, so a text with no capital, or with
    its only capitals in an opening ordinary word (``Merci``, ``Je``, ``Ok``), is only tokenized:
    the outcome is the same, without the neural network."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    space = next((k for k, ch in enumerate(stripped) if ch.isspace()), len(stripped))
    first_end = offset + space
    if not any(ch.isupper() for ch in text[first_end:]):
        head = text[offset:first_end].strip(",.;:!?")
        if not any(ch.isupper() for ch in head):
            return False
        word = fold(head)
        if head.isalpha() and word in _common() and word not in _PARTICLES:
            return False
    return True


def _trim_ner(text: str, r: RecognizerResult) -> tuple[int, int] | None:
    """The small French model calls many capitalised words names or places (``Communication``,
    ``Réunion``, ``TVA``) and glues greetings and titles to names (``Bonjour Marc``). Ordinary words
    at either end are cut off; a lone word left over counts as a name only when it is a known first
    name or follows a title; acronyms and saints' places never count. None: not a name or place."""
    toks = [(m.start() + r.start, m.end() + r.start, m.group().strip(",.;:!?"))
            for m in _TOKEN.finditer(text[r.start:r.end])]
    while toks and fold(toks[0][2]) in _common() and not (fold(toks[0][2]) in _PARTICLES and len(toks) > 1):
        toks.pop(0)
    while toks and fold(toks[-1][2]) in _common():
        toks.pop()
    if not toks:
        return None
    start, end = toks[0][0], toks[-1][0] + len(toks[-1][2])
    span = text[start:end]
    if r.entity_type == "PERSON" and len(toks) == 1 and span.islower() and span in curated_first_names() \
            and not is_inflected_word(span):
        return start, end  # a lower-case name the name lists agree on ("céline a fait…"): NER's span is kept
    if len(span) < 3 or not any(ch.isupper() for ch in span) or any(ch.isdigit() for ch in span):
        return None
    if len(toks) == 1 and span.isupper():
        return None
    if r.entity_type == "PERSON":
        if _PLACE_PREFIX.match(span):
            return None
        if len(toks) == 1 and fold(span) not in _first_names() and not _TITLE_BEFORE.search(text[:start]):
            return None
    return start, end


_FIRST: set[str] | None = None


def _first_names() -> set[str]:
    global _FIRST
    if _FIRST is None:
        _FIRST = first_names()
    return _FIRST


PRIORITY = {"IBAN_CODE": 5, "EMAIL_ADDRESS": 4, "CREDIT_CARD": 3, "BE_NATIONAL_NUMBER": 2, "PHONE_NUMBER": 1}


def resolve(text: str, results: Sequence[RecognizerResult]) -> list[Finding]:
    """Presidio's results made consistent: one identifier per stretch of digits (an IBAN is not also a
    phone number), no name inside an e-mail address or number, NER names that are ordinary words
    dropped, and NER places that a name recognizer calls a person dropped."""
    rs = sorted(results, key=lambda r: (r.start, -r.end))
    ids = [r for r in rs if r.entity_type in PRIORITY]
    keep_ids = []
    for r in sorted(ids, key=lambda r: (-PRIORITY[r.entity_type], -r.score, r.start)):
        if not any(r.start < k.end and k.start < r.end for k in keep_ids):
            keep_ids.append(r)
    persons = [r for r in rs if r.entity_type == "PERSON"]
    out: list[RecognizerResult] = list(keep_ids)
    for r in rs:
        if r.entity_type in PRIORITY:
            continue
        name = (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "")
        if r.entity_type in ("PERSON", "LOCATION"):
            if any(r.start < k.end and k.start < r.end for k in keep_ids):
                continue
            if r.entity_type == "PERSON" and not_people().excludes(text, r.start, r.end):
                continue  # a street, venue, company or character named after a person
            if name.startswith("spacy_ner"):
                trimmed = _trim_ner(text, r)
                if trimmed is None:
                    continue
                r.start, r.end = trimmed
            if r.entity_type == "LOCATION" and any(r.start < p.end and p.start < r.end for p in persons
                                                   if not (p.recognition_metadata or {}).get(
                                                       RecognizerResult.RECOGNIZER_NAME_KEY, "").startswith("spacy_ner")):
                continue
        out.append(r)
    # Overlapping PERSON spans from several recognizers: keep the longest (then the surest).
    final: list[RecognizerResult] = []
    for r in sorted(out, key=lambda r: (-(r.end - r.start), -r.score)):
        if r.entity_type in ("PERSON", "LOCATION") and any(
                f.entity_type == r.entity_type and r.start < f.end and f.start < r.end for f in final):
            continue
        final.append(r)
    return sorted((Finding(r.entity_type, r.start, r.end, round(float(r.score), 4),
                           (r.recognition_metadata or {}).get(RecognizerResult.RECOGNIZER_NAME_KEY, "unknown"))
                   for r in final), key=lambda f: (f.start, f.end, f.entity_type))


def analyze_one(scanner: Scanner, text: str, language: str) -> list[Finding]:
    """The plain path: one ``AnalyzerEngine.analyze()`` call, NLP included (a text beyond spaCy's limit
    in consecutive pieces, so that spaCy never refuses it)."""
    if len(text) > windows.SPACY_MAX_CHARS:
        return windows.shift((a, analyze_one(scanner, text[a:b], language)) for a, b in windows.consecutive(text))
    return resolve(text, scanner.analyzer.analyze(text=text, language=language))


def _direct_recognizers(scanner: Scanner, lang: str, wanted: list[str]) -> list | None:
    """The recognizers ``analyze()`` would run for these entities, when none of them reads the NLP
    artifacts (ours do not; the spaCy one does and is left out); None when one might."""
    key = (lang, tuple(wanted))
    cache = scanner.direct
    found = cache.get(key, False)
    if found is False:
        found = []
        for r in scanner.analyzer.registry.get_recognizers(language=lang, entities=wanted, all_fields=False):
            if r.name.startswith("spacy_ner"):
                continue
            if not type(r).__module__.startswith("o3_governance."):
                found = None
                break
            found.append(r)
        cache[key] = found
    return found


def analyze_batch(scanner: Scanner, texts: Sequence[str], languages: Sequence[str]) -> list[list[Finding]]:
    """The fast path: spaCy once per batch and language, then the recognizers each text can trigger.

    A text none of whose recognizers fires, and that the NER model need not read, has no findings:
    ``analyze()`` would only tokenize it and enhance an empty list. Those texts never reach spaCy
    or Presidio; the others go through ``analyze()`` with the artifacts computed in batches.

    A text beyond spaCy's limit (the store never sends one: it scans long bodies in windows) is
    analysed in consecutive pieces, so that spaCy's E088 can never stop a scan."""
    out: list[list[Finding] | None] = [None] * len(texts)
    for i, text in enumerate(texts):
        if len(text) > windows.SPACY_MAX_CHARS:
            spans = windows.consecutive(text)
            pieces = analyze_batch(scanner, [text[a:b] for a, b in spans], [languages[i]] * len(spans))
            out[i] = windows.shift(zip((a for a, _ in spans), pieces))
    by_lang: dict[str, list[int]] = {}
    for i, lang in enumerate(languages):
        if out[i] is None:
            by_lang.setdefault(lang, []).append(i)
    for lang, idxs in by_lang.items():
        supported = set(scanner.entities[lang])
        has_ner = lang in scanner.nlp_engine.ner_models
        wanted_of: dict[int, list[str]] = {}
        lower, upper = [], []
        for i in idxs:
            text = texts[i]
            wanted = wanted_of[i] = [e for e in needed_entities(text, lang) if e in supported]
            if has_ner and _may_hold_names(text):
                upper.append(i)
                continue
            direct = _direct_recognizers(scanner, lang, wanted)
            if direct is not None and not any(r.analyze(text, wanted, None) for r in direct):
                out[i] = []
            else:
                lower.append(i)
        if not lower and not upper:
            continue
        nlp = scanner.nlp_engine.get_nlp(lang)
        if "ner" not in nlp.pipe_names:
            lower, upper = [], sorted(lower + upper)
        artifacts = [(i, scanner.nlp_engine._doc_to_nlp_artifact(nlp.make_doc(texts[i]), lang)) for i in lower]
        artifacts += zip(upper, (art for _, art in scanner.nlp_engine.process_batch(
            [texts[i] for i in upper], lang, batch_size=BATCH)))
        for i, art in artifacts:
            text = texts[i]
            results = scanner.analyzer.analyze(text=text, language=lang, entities=wanted_of[i], nlp_artifacts=art)
            out[i] = resolve(text, results)
    return out  # type: ignore[return-value]
