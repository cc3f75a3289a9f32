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
      - terms: [vingerscan]
        needs_person: false                       # about people by itself (default true: see below)
    exclude: ["ziek van", "ziek en zat"]          # a term inside one of these phrases never counts

Comparison ignores case and accents; words are split on anything that is not a letter or digit
(hyphens and ``&`` stay inside a word: ``burn-out``, ``n-va``, ``cd&v``). A term matches whole words,
and also:

- a word's lemma in Dutch, French or English (simplemma, offline): ``ziekenhuizen`` → ``ziekenhuis``,
  ``malades`` → ``malade``, ``surgeries`` → ``surgery``;
- a Dutch compound whose last part is a term (``rugoperatie`` → ``operatie``) or whose first part is one
  (``diabetespatiënt`` → ``diabetes``), unless the rest names a place or thing (``Kerkstraat``,
  ``kerkgebouw``: ``COMPOUND_THINGS`` and the ``not_person`` words).

``MALENAME`` and ``FEMALENAME`` in a term stand for a first name given (almost) only to men or only to women
(``data/male_first_names.txt``, ``female_first_names.txt``): "trouwt met MALENAME" said about a man. A word with
hyphens is also read as its parts ("pvda-ptb": ``pvda``, ``ptb``) unless it is a term word itself.

Every message is read with every language's terms (a sentence that switches language keeps the other
language's terms); a single foreign word counts only when it is not also a word of the message's own
language (French ``vol`` is Dutch "full").

A term counts only when its sentence is **about a person** (``about_person/<language>.yaml``): a word of
the ``person`` list (pronouns, first-person forms, roles and relatives), a capitalised word inside the
sentence or a listed first name must stand in the sentence, and no ``not_person`` word (an event, venue,
client, equipment: ``congres``, ``kerk``, ``console``) within ``window`` words of the term.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import simplemma
import yaml
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

from o3_governance.scanning.fingerprint import ABOUT_DIR, TERMS_DIR, term_files
from o3_governance.scanning.recognizers import (FEMALE_NAME, MALE_NAME, first_names, fold, gendered_first_names,
                                                load_word_list)
from o3_governance.vocabulary import LANGUAGES, SPECIAL_CATEGORY_TYPES

# Last parts of Dutch compounds that make the compound a place or a thing, whatever the first part is.
COMPOUND_THINGS = frozenset("""straat laan plein weg dreef steenweg lei kaai hof park dorp wijk gebouw gebouwen zaal
    zalen toren dak deur deuren poort muur muren raam ramen vloer gevel project projecten werf werven stand stands
    congres beurs feest feesten avond dag dagen markt concert decor verlichting installatie kabel kabels kast kasten
    kaart kaarten bord borden bus wagen auto fiets school scholen koor orgel klok klokken vlag pad paden helling
    hellingen toilet toiletten toegang ingang lift plaatsen tribune route""".split())



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
    needs_person: bool = True   # False: the term is about people by itself (a fingerprint clock for staff)


def _word_matches(pattern: str, token: str) -> bool:
    return token.startswith(pattern[:-1]) if pattern.endswith("*") else token == pattern


def _form_matches(pattern: str, forms: tuple[str, ...]) -> bool:
    return any(_word_matches(pattern, f) for f in forms)


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[str, ...]:
    """The word, folded, and its folded lemmas in Dutch, French and English (simplemma's dictionaries,
    shipped in its wheel: nothing is downloaded)."""
    low = word.lower()
    forms = [fold(low)]
    if len(low) > 3 and low.isalpha():
        for lang in LANGUAGES:
            lemma = fold(simplemma.lemmatize(low, lang=lang))
            if lemma not in forms:
                forms.append(lemma)
    return tuple(forms)


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
        self._memo: dict[str, tuple[_Term, ...]] = {}
        self._parts: dict = {}

    def candidates(self, token: str) -> tuple[_Term, ...]:
        found = self._memo.get(token)
        if found is None:
            hits = list(self.exact.get(token, ()))
            for n in self.prefix_lengths:
                if n > len(token):
                    break
                hits.extend(self.prefix.get(token[:n], ()))
            if len(self._memo) > 200_000:  # words seen are few; a bound all the same
                self._memo.clear()
            found = self._memo[token] = tuple(hits)
        return found

    def compound_parts(self, token: str, things: frozenset[str]) -> tuple[str, ...]:
        """Terms inside a Dutch compound: its last part (``rugoperatie``), or its first part when the
        rest is not a place or a thing (``diabetespatiënt``, not ``kerkstraat``). Remembered per word."""
        key = (token, things)
        found = self._parts.get(key)
        if found is None:
            if len(self._parts) > 200_000:
                self._parts.clear()
            found = self._parts[key] = self._compound_parts(token, things)
        return found

    def _compound_parts(self, token: str, things: frozenset[str]) -> tuple[str, ...]:
        parts = []
        for i in range(3, len(token) - 3):
            tail = token[i:]
            if self.candidates(tail):
                parts.append(tail)
                break
        for i in range(len(token) - 3, 3, -1):
            head, rest = token[:i], token[i:]
            if head in self.exact:
                rest = rest[1:] if rest[0] in "s-" else rest
                if rest not in things and not any(rest.startswith(t) or rest.endswith(t) for t in COMPOUND_THINGS):
                    parts.append(head)
                break
        return tuple(parts)

    def find(self, forms: list[tuple[str, ...]]) -> list[tuple[int, int, _Term]]:
        """(first token index, last token index + 1, term) for every match; ``forms``: each token's
        forms (the word, its lemmas, compound parts)."""
        out = []
        memo = self._memo
        for i, fs in enumerate(forms):
            terms: tuple = ()
            for f in fs:
                found = memo.get(f)
                if found is None:
                    found = self.candidates(f)
                if found:
                    terms = terms + found if terms else found
            if not terms:
                continue
            for term in dict.fromkeys(terms):  # one term once, in order
                n = len(term.words)
                if i + n <= len(forms) and all(_form_matches(w, forms[i + k]) for k, w in enumerate(term.words[1:], 1)):
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
                unknown = set(rule) - {"terms", "score", "requires_nearby", "unless_nearby", "window", "note",
                                       "needs_person"}
                if unknown:
                    raise TermFileError(f"{rwhere}: unknown key(s) {sorted(unknown)}")
                score = rule.get("score", 0.85 if "requires_nearby" not in rule else 0.7)
                window = rule.get("window", 5)
                if not isinstance(score, (int, float)) or not 0 < score <= 1:
                    raise TermFileError(f"{rwhere}: score must be a number in (0, 1]")
                if not isinstance(window, int) or window < 1:
                    raise TermFileError(f"{rwhere}: window must be a positive whole number")
                idx = len(self.rules)
                needs_person = rule.get("needs_person", True)
                if not isinstance(needs_person, bool):
                    raise TermFileError(f"{rwhere}: needs_person must be true or false")
                self.rules.append(Rule(
                    category=category, score=float(score), window=window, needs_person=needs_person,
                    requires=tuple(_phrase(t, rwhere) for t in rule.get("requires_nearby") or ()),
                    unless=tuple(_phrase(t, rwhere) for t in rule.get("unless_nearby") or ())))
                terms.extend(_Term(_phrase(t, rwhere), idx) for t in rule["terms"])
            for t in doc.get("exclude") or ():
                excludes.append(_Term(_phrase(t, f"{where} exclude"), -1))
        self._terms = _Matcher(terms)
        self._excludes = _Matcher(excludes)
        # every word of this language's terms and exclusions: what another language's terms leave to it
        self.words = {w.rstrip("*") for t in terms + excludes for w in t.words}

    @staticmethod
    def _near(tokens, lo: int, hi: int, window: int, phrases, names=None) -> bool:
        """Whether one of ``phrases`` stands within ``window`` words of tokens lo..hi; ``names``: token
        index → MALENAME / FEMALENAME, for the phrases that ask for a man's or a woman's first name."""
        a, b = max(0, lo - window), min(len(tokens), hi + window)
        names = names or {}
        for i in range(a, b):
            if lo <= i < hi:
                continue
            for words in phrases:
                n = len(words)
                if i + n <= b and all(_word_matches(w, tokens[i + k][0]) or names.get(i + k) == w
                                      for k, w in enumerate(words)) and not (i < hi and i + n > lo):
                    return True
        return False

    def forms(self, text: str, tokens, base=None) -> list[tuple[str, ...]]:
        """Each token's forms: the word and its lemmas (``base`` when the caller has them), and for
        Dutch the terms inside a compound."""
        base = base if base is not None else [lemmas(text[a:b]) for _, a, b in tokens]
        if self.language != "nl":
            return base
        out = []
        for (tok, _, _), fs in zip(tokens, base):
            if len(tok) >= 8 and not any(self._terms.candidates(f) for f in fs):
                fs = fs + self._terms.compound_parts(tok, self.things)
            out.append(fs)
        return out

    things: frozenset[str] = frozenset()

    def may_match(self, forms: list[tuple[str, ...]]) -> bool:
        """Whether any token form starts a term of this language (cheap: memoised look-ups)."""
        memo, candidates = self._terms._memo, self._terms.candidates
        for fs in forms:
            for f in fs:
                found = memo.get(f)
                if found is None:
                    found = candidates(f)
                if found:
                    return True
        return False

    def find(self, text: str, tokens=None, base=None) -> list[tuple]:
        """(category, start, end, score, first token, last token + 1, needs_person) for each term
        occurrence that counts (before the about-a-person rule, which ``SpecialCategoryRecognizer``
        applies). ``base``: each token's lemmas, when the caller has them."""
        tokens = tokenize(text) if tokens is None else tokens
        if not tokens:
            return []
        forms = self.forms(text, tokens, base)
        hits = self._terms.find(forms)
        if not hits:
            return []
        excluded = [(a, b) for a, b, _ in self._excludes.find([(t,) for t, _, _ in tokens])]
        names = {k: sex for k, fs in enumerate(forms) for sex in (MALE_NAME, FEMALE_NAME) if sex in fs}
        out = []
        for a, b, term in hits:
            rule = self.rules[term.rule]
            if any(x < b and a < y for x, y in excluded):
                continue
            if rule.requires and not self._near(tokens, a, b, rule.window, rule.requires, names):
                continue
            if rule.unless and self._near(tokens, a, b, rule.window, rule.unless, names):
                continue
            out.append((rule.category, tokens[a][1], tokens[b - 1][2], rule.score, a, b, rule.needs_person))
        return out


def load_terms(language: str, root: Path = TERMS_DIR) -> CategoryTerms:
    files = term_files(language, root)
    return _load_terms(language, tuple((f, f.stat().st_mtime_ns, f.stat().st_size) for f in files))


@lru_cache(maxsize=32)
def _load_terms(language: str, files: tuple[tuple[Path, int, int], ...]) -> CategoryTerms:
    # Each language's recognizer reads every language's files: compiled once per process and version.
    return CategoryTerms(language, [f for f, _, _ in files])


@dataclass(frozen=True)
class AboutPerson:
    """The data of the about-a-person rule, every language's together (people switch language)."""

    person: frozenset[str]
    not_person: frozenset[str]
    window: int
    figurative: tuple[tuple[str, ...], ...] = ()
    general: tuple[tuple[str, ...], ...] = ()   # a rule or procedure for everyone: "voor alle crew", "pour accéder"


def load_about_person(root: Path = ABOUT_DIR) -> AboutPerson:
    person, not_person, window, figurative, general = set(), set(), 2, [], []
    for lang in LANGUAGES:
        path = root / f"{lang}.yaml"
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        if not isinstance(doc, dict) or not isinstance(doc.get("person"), list) \
                or not isinstance(doc.get("not_person"), list):
            raise TermFileError(f"about_person/{lang}.yaml: needs 'person' and 'not_person' lists")
        person |= {fold(str(w)) for w in doc["person"]}
        not_person |= {fold(str(w)) for w in doc["not_person"]}
        window = max(window, int(doc.get("window", 2)))
        figurative += [_phrase(t, f"about_person/{lang}.yaml figurative") for t in doc.get("figurative") or ()]
        general += [_phrase(t, f"about_person/{lang}.yaml general") for t in doc.get("general") or ()]
    return AboutPerson(frozenset(person), frozenset(not_person), window, tuple(figurative), tuple(general))


# Between two tokens a sentence ends: a full stop, question or exclamation mark, a new line, or an emoji (chats end
# sentences with one: "that rig is sick 🔥 the client loved it").
_BREAK = re.compile(r"[.!?\n\U0001F300-\U0001FAFF\u2600-\u27BF]")
_CLAUSE_MARK = re.compile(r"[;(),:]")


class _Clause:
    """Between two tokens a clause ends: a semicolon, a bracket, or a comma or colon that is not inside a number
    ("12:30", "2,5"). Looked at in the whole text, since the character after the mark decides."""

    @staticmethod
    def search(text: str, start: int, end: int) -> bool:
        for m in _CLAUSE_MARK.finditer(text, start, end):
            if m.group() in ",:" and m.end() < len(text) and text[m.end()].isdigit() and m.start() > 0 \
                    and text[m.start() - 1].isdigit():
                continue
            return True
        return False


_CLAUSE = _Clause()
_CONJUNCTIONS = frozenset("dus maar want omdat so but because donc mais car parce".split())
# First words of a message that leave the writer as its subject: "at the dentist", "bij de dokter", "chez le kiné".
_ELIDED_OPENERS = frozenset("at in off on bij naar op thuis chez au a en".split())
# Person words that are adjectives first ("de nieuwe", "le nouveau"): before a thing word they describe the thing.
_PERSON_ADJECTIVES = frozenset("nieuwe nieuw nouveau nouvelle nouveaux nouvelles new".split())
# Words that say a biometric system is applied to the people here, not shown or sold as a product.
_EVERYONE = frozenset("""everybody everyone each every staff employees crew iedereen allemaal elk elke iedere ieder
    personeel werknemers medewerkers ploeg chacun chaque personnel employes travailleurs equipe""".split())


class SpecialCategoryRecognizer(LocalRecognizer):
    """All nine Art. 9 / Art. 10 categories: the message language's term files first, then the other
    languages' (a foreign single word only when it is no word of the message's language), each hit kept
    only when its sentence is about a person (``AboutPerson``)."""

    def __init__(self, language: str, root: Path = TERMS_DIR, about_root: Path | None = None):
        self.terms = load_terms(language, root)
        self.others = [load_terms(lang, root) for lang in LANGUAGES if lang != language and (root / lang).is_dir()]
        if about_root is None:
            about_root = root / "about_person" if (root / "about_person").is_dir() else ABOUT_DIR
        about = load_about_person(about_root)
        from o3_governance.scanning.engine import stop_words  # spaCy's lists, without a pipeline

        every_stop_word = {fold(w) for lang in LANGUAGES for w in stop_words(lang)}
        # A thing in one language that is a small word in another ("van", "set") is no cue at all.
        self.about = AboutPerson(about.person, about.not_person - every_stop_word, about.window, about.figurative,
                                 about.general)
        self._general = _Matcher([_Term(words, -1) for words in about.general])
        # Lengths of the thing words a compound may end with (5 letters or more: "stand", "debat", "congres").
        self._thing_tails = sorted({len(w) for w in self.about.not_person if len(w) >= 5})
        self._figurative = _Matcher([_Term(words, -1) for words in about.figurative])
        self.every_stop_word = every_stop_word
        for t in [self.terms, *self.others]:
            t.things = self.about.not_person
        self.first_names = first_names()
        self.gendered = gendered_first_names()
        self.name_words = frozenset(fold(w) for w in load_word_list("name_words.txt"))
        self.own_words = {fold(w) for w in stop_words(language)}
        self._stems = frozenset(w[:3] for t in [self.terms, *self.others] for w in t.words)
        self._stems_full = frozenset(w for t in [self.terms, *self.others] for w in t.words)
        self._seen: dict[str, tuple] = {}
        super().__init__(supported_entities=sorted(SPECIAL_CATEGORY_TYPES), supported_language=language,
                         name=f"special_categories_{language}")

    def load(self) -> None:
        pass

    def _foreign_word(self, word: str) -> bool:
        """A word that the message's own language does not have (so its own term files could not
        have judged it): not a stop word, not a word of its own terms, not in its simplemma dictionary."""
        f = fold(word)
        return f not in self.own_words and f not in self.terms.words \
            and not simplemma.is_known(word.lower(), lang=self.supported_language)

    def _person(self, token: str) -> bool:
        """A person word, also in the plural or inflected (``drivers``, ``jobistes``, ``collega's``)."""
        person = self.about.person
        return token in person or (len(token) > 3 and any(f in person for f in lemmas(token)[1:]))

    def _thing(self, token: str) -> bool:
        """A thing, event or venue word, also in the plural, as a hyphen part or, for words of 8 letters or more,
        as the last part of a compound (``verkiezingsdebat``, ``partijcongres``: the last part names what it is)."""
        not_person = self.about.not_person
        if token in not_person or ("-" in token and any(part in not_person for part in token.split("-"))):
            return True
        if len(token) > 3 and token.isalpha() and any(f in not_person for f in lemmas(token)[1:]):
            return True
        return len(token) >= 8 and any(token[-n:] in not_person for n in self._thing_tails if n <= len(token) - 3)

    @staticmethod
    def _same_sentence(text: str, tokens, i: int, j: int) -> bool:
        """Whether tokens i and j stand in one sentence (no full stop, new line or emoji between them)."""
        lo, hi = min(i, j), max(i, j)
        return not any(_BREAK.search(text, tokens[k][2], tokens[k + 1][1]) for k in range(lo, hi))

    def _about_person(self, text: str, tokens, a: int, b: int, needs_person: bool = True) -> bool:
        """The about-a-person rule (module docstring): False when a thing, event or venue stands next to
        the term or opens its sentence as its subject, or when no person is named in the sentence."""
        lo = a
        while lo > 0 and not _BREAK.search(text, tokens[lo - 1][2], tokens[lo][1]):
            lo -= 1
        hi = b
        while hi < len(tokens) and not _BREAK.search(text, tokens[hi - 1][2], tokens[hi][1]):
            hi += 1
        idx = range(lo, hi)
        if not needs_person and any(tokens[k][0] in _EVERYONE for k in idx):
            return True  # a biometric system applied to everyone here ("everybody registers"): the system is no veto
        # The term's clause: a comma, semicolon or colon, or a conjunction ("dus", "so", "donc") ends it; a thing
        # in another clause ("naar de politierechtbank, dronken achter het stuur") is no veto.
        c_lo = a
        while c_lo > lo and not _CLAUSE.search(text, tokens[c_lo - 1][2], tokens[c_lo][1]) \
                and tokens[c_lo - 1][0] not in _CONJUNCTIONS:
            c_lo -= 1
        c_hi = b
        while c_hi < hi and not _CLAUSE.search(text, tokens[c_hi - 1][2], tokens[c_hi][1]) \
                and tokens[c_hi][0] not in _CONJUNCTIONS:
            c_hi += 1
        # A clause whose subject is a person word ("le nouveau du démontage est sourd"): its things describe him.
        opener = next((k for k in range(c_lo, a) if tokens[k][0] not in self.every_stop_word
                       or tokens[k][0] in self.about.person), None)
        person_subject = opener is not None and self._person(tokens[opener][0])
        if person_subject and opener + 1 < a and tokens[opener][0] in _PERSON_ADJECTIVES and self._thing(tokens[opener + 1][0]):
            return False  # "die nieuwe console heeft ADHD": the new thing is the subject, not a new colleague
        w = self.about.window
        for k in range(max(a - w, c_lo), min(b + w, c_hi)):
            if not a <= k < b and self._thing(tokens[k][0]) and not (person_subject and opener < k < a):
                return False
        # The sentence's subject is a thing: "Le générateur a fait une crise cardiaque"
        opening = [k for k in idx[:3] if tokens[k][0] not in self.every_stop_word and not tokens[k][0].isdigit()]
        if opening and opening[0] < a and self._thing(tokens[opening[0]][0]):
            return False
        if not needs_person or any(tokens[k][0] in self.about.person for k in range(a, b)):
            return True  # the term names its person itself: "zijn man", "his drinking"
        # A term that is itself a venue or an event ("hospital", "moskee", "vormselviering") needs a person word or a
        # first name in its own clause: a capitalised word is most often the venue's own name ("UZ Leuven hospital is
        # the client"), and "we" in the next clause is the crew that builds for it.
        venue = any(self._thing(tokens[k][0]) for k in range(a, b))
        first = idx[0]
        for k in (range(c_lo, c_hi) if venue else idx):
            tok, s, e = tokens[k]
            if a <= k < b:
                continue
            word = text[s:e]
            if self._person(tok) or (tok in self.first_names and tok not in self.every_stop_word
                                            and (word[:1].isupper() or k == first) and tok not in self.name_words
                                            and not (venue and word.isupper())):
                return True  # a person word, or a listed first name (in lower case when it opens the sentence)
            if not venue and word[:1].isupper() and not word.isupper() and (k != first or tok not in self.every_stop_word):
                return True  # a capitalised word inside the sentence (or opening it, not a small word): a name
        # The writer with the subject left out, as chats do: a message that opens with the term or with a
        # preposition before it ("off sick today", "at the cardiologist this morning", "chez le dermato").
        if lo == 0 and not venue and (a == 0 or (a <= 3 and tokens[0][0] in _ELIDED_OPENERS)):
            return True
        return False

    def analyze(self, text, entities, nlp_artifacts=None):
        wanted = set(entities) if entities else set(SPECIAL_CATEGORY_TYPES)
        found = self._seen.get(text)
        if found is None:
            if len(self._seen) > 4096:  # the fast path asks twice about the texts that have findings
                self._seen.clear()
            found = self._seen[text] = self._find(text)
        return [RecognizerResult(entity_type=cat, start=s, end=e, score=score,
                                 analysis_explanation=AnalysisExplanation(recognizer=self.name, original_score=score),
                                 recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                       RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
                for cat, s, e, score in found if cat in wanted]

    def _find(self, text: str) -> tuple[tuple[str, int, int, float], ...]:
        tokens = tokenize(text)
        if not tokens:
            return ()
        # A lemma starts like its word (ziekenhuizen → ziekenhuis): only words that start like a term word
        # are lemmatised.
        stems = self._stems
        base = [lemmas(text[a:b]) if tok[:3] in stems else (tok,) for tok, a, b in tokens]
        # A first name given only to men or only to women also reads as MALENAME / FEMALENAME (a word that
        # is also a name, "mark", "roos", only with a capital).
        gendered = self.gendered
        for k, (tok, a, _) in enumerate(tokens):
            sex = gendered.get(tok[:-2] if tok.endswith(("'s", "’s")) else tok)
            if sex is not None and (text[a].isupper() or tok not in self.name_words):
                base[k] = base[k] + (sex,)
            elif "-" in tok and tok not in self._stems_full:  # "pvda-ptb": each part is a word too
                base[k] = base[k] + tuple(p for p in tok.split("-") if len(p) >= 2)
        # Most messages hold no term of any language: one look-up per form and language says so.
        every = [self.terms, *self.others]
        if not any(t.may_match(t.forms(text, tokens, base)) for t in every):
            return ()
        hits = list(self.terms.find(text, tokens, base))
        for other in self.others:
            for h in other.find(text, tokens, base):
                if any(self._foreign_word(text[s:e]) for _, s, e in tokens[h[4]:h[5]]):
                    hits.append(h)
        if not hits:
            return ()
        figurative = [(x, y) for x, y, _ in self._figurative.find([(t,) for t, _, _ in tokens])]
        general = [x for x, _, _ in self._general.find([(t,) for t, _, _ in tokens])]
        out, seen = [], set()
        for cat, s, e, score, a, b, needs_person in hits:
            if (cat, s, e) in seen or any(x < b and a < y for x, y in figurative) \
                    or (needs_person and any(self._same_sentence(text, tokens, a, x) for x in general)) \
                    or not self._about_person(text, tokens, a, b, needs_person):
                continue
            seen.add((cat, s, e))
            out.append((cat, s, e, score))
        return tuple(out)
