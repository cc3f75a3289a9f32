"""Presidio recognizers for the identifiers O3 staff actually send: Belgian national numbers, IBANs,
payment cards, phone numbers of Belgium and its neighbours, e-mail addresses and people's names.

Each recognizer instance serves one language (Presidio's rule) and carries that language's context
words. Checksums come from python-stdnum and phonenumbers, never from hand-written arithmetic.
Context words are matched as substrings of lower-cased tokens (the NLP engine gives lower-cased
forms where no lemmatizer exists), so a stem such as ``telefo`` covers ``telefoon`` and ``téléphone``
is written out in full.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import phonenumbers
import tldextract
import yaml
from presidio_analyzer import (AnalysisExplanation, EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer,
                               RecognizerResult)
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.be import bis as std_bis
from stdnum.be import nn as std_nn
from stdnum.be import vat as std_vat

DATA_DIR = Path(__file__).resolve().parent / "data"

CONTEXT: dict[str, dict[str, list[str]]] = {
    "PHONE_NUMBER": {
        "nl": ["telefo", "tel", "gsm", "nummer", "nr", "bel", "gebeld", "mobiel", "mobile", "whatsapp", "bereik"],
        "fr": ["téléphone", "tél", "tel", "gsm", "portable", "numéro", "appel", "joindre", "mobile", "whatsapp"],
        "en": ["phone", "call", "mobile", "number", "tel", "cell", "ring", "reach", "whatsapp", "text"],
    },
    "EMAIL_ADDRESS": {
        "nl": ["mail", "adres", "stuur", "contact"],
        "fr": ["mail", "courriel", "adresse", "envoie", "contact"],
        "en": ["mail", "address", "send", "contact"],
    },
    "IBAN_CODE": {
        "nl": ["rekening", "iban", "overschrijv", "overmak", "storten", "betal", "bank"],
        "fr": ["compte", "iban", "virement", "verser", "payer", "paiement", "banque"],
        "en": ["account", "iban", "transfer", "pay", "bank", "wire"],
    },
    "CREDIT_CARD": {
        "nl": ["kaart", "visa", "mastercard", "maestro", "amex", "betaal", "vervaldatum", "cvc"],
        "fr": ["carte", "crédit", "visa", "mastercard", "amex", "paiement", "expiration", "cvc"],
        "en": ["card", "credit", "visa", "mastercard", "amex", "payment", "expiry", "cvc"],
    },
    "BE_NATIONAL_NUMBER": {
        "nl": ["rijksregister", "rrn", "insz", "bis", "identiteit", "eid"],
        "fr": ["registre", "national", "niss", "bis", "identité", "eid"],
        "en": ["national", "register", "niss", "ssn", "identity", "eid"],
    },
}


_NON_DIGIT = re.compile(r"\D")


def _digits(s: str) -> str:
    return _NON_DIGIT.sub("", s)


def _result(rec: EntityRecognizer, entity: str, start: int, end: int, score: float) -> RecognizerResult:
    return RecognizerResult(entity_type=entity, start=start, end=end, score=score,
                            analysis_explanation=AnalysisExplanation(recognizer=rec.name, original_score=score),
                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
                                                  RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id})


class _Remembered:
    """The fast path asks each recognizer about a text, and ``analyze()`` asks again for every text that
    has a finding: the answer is remembered for the last few thousand texts (fresh result objects each
    time, since the context enhancer changes their scores)."""

    _MEMO_MAX = 4096

    def analyze(self, text, entities, nlp_artifacts=None):
        memo = self.__dict__.setdefault("_memo", {})
        found = memo.get(text)
        if found is None:
            if len(memo) > self._MEMO_MAX:
                memo.clear()
            found = memo[text] = tuple((r.entity_type, r.start, r.end, r.score) for r in self._analyze(text))
        return [_result(self, e, a, b, score) for e, a, b, score in found if not entities or e in entities]


class BeNationalNumberRecognizer(PatternRecognizer):
    """Belgian national register number (and BIS number): the official groups ``YY MM DD SSS CC`` with
    any one of space, dot, dash or slash (or nothing) between any two groups, as people type them
    (``85.07.30-033.28``, ``850730-033-28``, ``850730033-28``, ``85 07 30 033 28``). The date, serial and
    mod-97 check (with the ``2`` prefix for people born in 2000 or later, and the BIS month offsets)
    are python-stdnum's (``stdnum.be.nn``, ``stdnum.be.bis``): a number that fails them is not found."""

    _SEP = r"(?:\s?[-./]\s?|\s)?"
    PATTERNS = [
        Pattern("BE NN grouped", rf"(?<![\d+])(?<!\d[-./ ])\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{2}}"
                                 rf"(?!\d|[-./ ]\d)", 0.65),
    ]

    def __init__(self, language: str):
        super().__init__(supported_entity="BE_NATIONAL_NUMBER", patterns=self.PATTERNS,
                         context=CONTEXT["BE_NATIONAL_NUMBER"][language], supported_language=language,
                         name=f"be_national_number_{language}")

    def validate_result(self, pattern_text: str) -> bool:
        # stdnum checks the date, the serial and the mod-97 check (with the 2000+ rule) of both kinds.
        digits = _digits(pattern_text)
        return len(digits) == 11 and (std_nn.is_valid(digits) or std_bis.is_valid(digits))


class IbanRecognizer(_Remembered, LocalRecognizer):
    """IBAN of any country, as typed: upper or lower case, spaces anywhere (``BE 12 3456 …``,
    ``BE1234 5678 …``) or dashes between groups; checked with ISO 13616 mod 97 and the national format
    (``stdnum.iban``). The longest valid number that ends at a word boundary is taken, so words or a
    payment reference after it are not part of it."""

    # A country code opens a word, or, in capitals, follows a lower-case word it was glued to ("compteBE10…").
    # Between groups: spaces (also the no-break spaces banking apps copy), dots, dashes, slashes, up to three ("BE68 - 5390").
    CANDIDATE = re.compile(r"(?:(?<![A-Za-z0-9])[A-Za-z]{2}|(?<=[a-z])[A-Z]{2})(?:[ \u00a0\u202f-]{0,3})\d{2}"
                           r"(?:[ \u00a0\u202f./\r\n-]{0,3}[A-Za-z0-9]){11,32}")  # a pasted number may wrap a line

    def __init__(self, language: str):
        super().__init__(supported_entities=["IBAN_CODE"], supported_language=language,
                         context=CONTEXT["IBAN_CODE"][language], name=f"iban_{language}")

    def load(self) -> None:
        pass

    def _analyze(self, text):
        out = []
        pos = 0
        while (m := self.CANDIDATE.search(text, pos)) is not None:
            # A candidate that holds no IBAN may have swallowed the start of one ("de 250 eur … BE48 …"):
            # the search goes on from its next character, not from its end.
            pos = m.start() + 1
            span = m.group()
            # (position after each character of the number, the number so far), longest first
            ends, compact = [], []
            for k, ch in enumerate(span):
                if ch.isalnum():
                    compact.append(ch.upper())
                    ends.append((k + 1, "".join(compact)))
            for end, number in reversed(ends):
                if len(number) < 15:
                    break
                after = text[m.start() + end:m.start() + end + 1]
                if after.isdigit() or (after.isalpha() and not span[end - 1].isdigit()):
                    continue  # would cut a number or a word in two; a word glued after its last digit ("…3077thx",
                    # "…6769BIC") is no part of it
                if std_iban.is_valid(number):
                    out.append(_result(self, "IBAN_CODE", m.start(), m.start() + end, 0.9))
                    pos = m.start() + end
                    break
        return out


class CreditCardRecognizer(_Remembered, LocalRecognizer):
    """Payment card numbers: an issuer prefix (Visa, Mastercard, Amex, Maestro, Discover), a length
    the issuer uses, and the Luhn check (``stdnum.luhn``)."""

    # Groups split by spaces, dashes or dots; glued only to the card's own name ("visa4161…", "MC5553…").
    CANDIDATE = re.compile(r"(?:(?<![\d\w])|(?<=(?i:visa))|(?<=(?i:amex))|(?<=(?i:mc))|(?<=(?i:card))|(?<=(?i:kaart))"
                           r"|(?<=(?i:carte))|(?<=(?i:maestro)))(\d(?:[ .-]?\d){12,18})(?![\d\w])")
    ISSUERS = re.compile(r"^(?:4\d{12}(?:\d{3}){0,2}|5[1-5]\d{14}|2(?:2[2-9]|[3-6]\d|7[01])\d{13}|2720\d{12}"
                         r"|3[47]\d{13}|6(?:011|5\d\d)\d{12,15}|(?:50|5[6-9]|6\d)\d{10,17})$")

    def __init__(self, language: str):
        super().__init__(supported_entities=["CREDIT_CARD"], supported_language=language,
                         context=CONTEXT["CREDIT_CARD"][language], name=f"credit_card_{language}")

    def load(self) -> None:
        pass

    def _analyze(self, text):
        out = []
        for m in self.CANDIDATE.finditer(text):
            number = _digits(m.group(1))
            if self.ISSUERS.match(number) and luhn.is_valid(number):
                # Maestro-style prefixes are broad: without context they stay below the threshold.
                strong = number[0] in "345" or number.startswith("6011") or number.startswith("65") or (
                    number[0] == "2" and len(number) == 16)  # Mastercard's 2-series (ISSUERS holds only 2221–2720)
                out.append(_result(self, "CREDIT_CARD", m.start(1), m.end(1), 0.7 if strong else 0.3))
        return out


# The top-level domain is letters: a phone number glued to the address ("…@firma.be0475 …") is not part of it.
EMAIL = re.compile(r"\b[\w.!#$%&'*+/=?^`{|}~-]*[\w!#$%&'*+/=?^`{|}~-]@\w+(?:-+\w+)*(?:\.\w+(?:-+\w+)*)*"
                   r"\.[^\W\d_]{2,}(?![^\W\d_])")
# A Belgian structured payment reference (OGM/VCS): ``+++123/4567/89012+++`` or with asterisks.
PAYMENT_REFERENCE = re.compile(r"(?:\+{3}|\*{3})\s?\d{3}\s?/\s?\d{4}\s?/\s?\d{5}\s?(?:\+{3}|\*{3})")
# The same reference written without its plus signs ("ref 252/0844/82191"): a phone only if its check fails.
BARE_PAYMENT_REFERENCE = re.compile(r"(?<![\d/.])\d{3}([/.])\d{4}\1\d{5}(?![\d/.])")
# A date, or a range of days ("02.12 - 04.12"): digits and dots that phonenumbers may read as a number.
DATE = re.compile(r"(?<!\d)(?:0?[1-9]|[12]\d|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:19|20)\d{2}(?!\d)"
                  r"|(?<!\d)(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])\s*(?:-|–|→|>|tot|au|to)\s*"
                  r"(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])(?!\d)")
# Labels of codes that are not phones (a serial, a booking, an order, a ticket), in nl/fr/en, folded; and the
# endings of Dutch compounds that make one ("serienummer", "werfcode", "huurcontract").
CODE_LABELS = frozenset("""ref refs reference referentie referenties kenmerk mededeling communication booking boeking
    reservatie reservering reservation resa order orders bestelling bestelbon commande po factuur facture invoice inv
    offerte devis quote quotation sn s/n serial serie serienr contract contrat agreement ticket tickets badge dossier
    case claim polis lot artikel article item sku ean barcode tracking colis pakket zending shipment rma sav code
    codes pin""".split())
CODE_ENDINGS = ("nummer", "nr", "code", "contract", "ref", "referentie")
PHONE_WORDS = frozenset("""tel telefoon telefoonnr telefoonnummer gsm gsmnr gsmnummer mobiel bel bellen belt
    phone call mobile cell ring reach whatsapp text telephone portable appel appelle appeler joindre bereik
    bereikbaar fax""".split())
# Words that may stand between a code label and its number ("numéro de série", "SN du mixeur").
_CODE_FILLER = frozenset("n° nº no nr num number nummer numero de du van of the le la het des # is c'est est".split())
_ADDRESSED = frozenset("naar aan to a au chez voor for pour bij with met avec van".split())
_WORDS_BEFORE = re.compile(r"[^\W_]+(?:[/'][^\W_]+)?|#")


def is_code(text: str, start: int) -> bool:
    """Whether the number at ``start`` follows a code label of its own clause (``SN 0472-…``, ``ticket
    #0493 …``, ``ref 0479/2026``, ``numéro de série … 0472 …``) with no phone word before it: a serial,
    booking or order number, not a phone. Words addressed to someone ("factuur naar Piet 0475 …") end the
    label's reach."""
    before = text[max(0, start - 60):start]
    clause = re.split(r"[.!?;,\n()]", before)[-1]
    words = [fold(w) for w in _WORDS_BEFORE.findall(clause)][-7:]
    if any(w in PHONE_WORDS or w.startswith(("tel", "gsm")) for w in words):
        return False
    for w in reversed(words):
        if w in CODE_LABELS or (w.endswith(CODE_ENDINGS) and len(w) > 6):
            return True
        if w in _ADDRESSED:
            return False
    return False


# A Belgian enterprise (KBO/BCE, VAT) number in its official dotted grouping: 0123.456.789, 1234.567.890.
ENTERPRISE_DOTTED = re.compile(r"^[01]\d{3}\.\d{3}\.\d{3}$")


_BRACKETED_CODE = re.compile(r"\((?:\+|00)\d{1,3}\)")
_TRUNK_IN_BRACKETS = re.compile(r"(?:\+|00)\d{1,3}\s?(\(0\))")
_GLUED = re.compile(r"[^\W\d_][:.]?(?=\+?\d)|[^\W\d_](?=[:.]\+?\d)")


def _blank(chars: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        chars[k] = " "


# The country code, check digits and bank code that open an IBAN, right before a number: what follows is the
# account number (even one whose check fails), not a phone.
IBAN_HEAD = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2}[ \u00a0-]?[A-Z0-9]{4}[ \u00a0-]?$")


def phone_view(text: str) -> tuple[str, list[int]]:
    """The text as the phone matcher should read it, and for each of its characters the offset in
    ``text``: e-mail addresses and structured payment references blanked (they are not phones, and a
    number right after an address must not be glued to it); the brackets of ``(+352)`` and the ``(0)``
    of ``+32 (0)9`` left out (the matcher refuses them); a letter glued to a number (``gsm0475…``)
    set apart."""
    chars = list(text)
    drop = [False] * len(text)
    for rx in (EMAIL, PAYMENT_REFERENCE, DATE):
        for m in rx.finditer(text):
            _blank(chars, m.start(), m.end())
    for m in BARE_PAYMENT_REFERENCE.finditer(text):
        digits = _digits(m.group())
        if int(digits[:10]) % 97 in (int(digits[10:]), int(digits[10:]) % 97):
            _blank(chars, m.start(), m.end())
    for m in _BRACKETED_CODE.finditer(text):     # "(+352) 621 …" → "+352 621 …"
        drop[m.start()] = drop[m.end() - 1] = True
    for m in _TRUNK_IN_BRACKETS.finditer(text):  # "+32 (0)9 …" → "+32 9 …"
        for k in range(m.start(1), m.end(1)):
            drop[k] = True
    for m in _GLUED.finditer(text):              # "gsm0475…", "tel.0475…" → "gs 0475…", "tel 0475…"
        chars[m.start()] = " "
    keep = [k for k in range(len(text)) if not drop[k]]
    return "".join(chars[k] for k in keep), keep


class PhoneRecognizer(_Remembered, LocalRecognizer):
    """Phone numbers of Belgium and its neighbours (NL, FR, DE, LU), national and international forms,
    with or without brackets (``(+352) 621 …``, ``+32 (0)9 …``), glued to a word (``gsm0475…``) or right
    after an e-mail address; validated by phonenumbers. National forms must carry the trunk ``0`` (all
    five countries but Luxembourg use it), so order numbers are not read as German landlines;
    Luxembourg numbers without the country code need a context word. Not phones: structured payment
    references (``+++123/4567/89012+++``, or ``123/4567/89012`` when its check holds) and Belgian
    enterprise/VAT numbers (``0123.456.789``, or after BTW/TVA/KBO/BCE/VAT), recognised with python-stdnum's
    check (``stdnum.be.vat``); dates and ranges of days; a national number that starts like a Belgian mobile
    (04[5-9]) but is valid only elsewhere; a number after a code label of its clause (``SN``, ``ticket #``,
    ``ref``, ``werfcode``: ``is_code``)."""

    REGIONS = ("BE", "NL", "FR", "DE", "LU")
    LU_MOBILE = re.compile(r"^6[2-9]1\d{6}$")
    BE_MOBILE_PREFIX = re.compile(r"^04[5-9]")
    VAT_CONTEXT = re.compile(r"(?:(?i:\b(?:btw|tva|vat|kbo|bce|ondernemings\w*|entreprise|enterprise|company))"
                             r"(?:\W{1,3}\w+){0,4}\W{1,3}|\bBE ?[:.]? ?)$")

    def __init__(self, language: str):
        super().__init__(supported_entities=["PHONE_NUMBER"], supported_language=language,
                         context=CONTEXT["PHONE_NUMBER"][language], name=f"phone_{language}")

    def load(self) -> None:
        pass

    def _analyze(self, text):
        view, where = phone_view(text)
        found: dict[tuple[int, int], float] = {}
        for region in self.REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(view, region, leniency=phonenumbers.Leniency.VALID):
                # The matcher keeps an opening bracket: "(04 367 12 55)" is read without it, "(0)476 …" as "0476 …".
                lead = 1 if match.raw_string.startswith("(") and not match.raw_string.startswith("(0)") else 0
                raw = match.raw_string[lead:]
                if raw.startswith("(0)"):
                    raw = "0" + raw[3:]
                start, end = where[match.start + lead], where[match.end - 1] + 1
                if (start, end) in found:
                    continue
                international = raw.startswith("+") or raw.startswith("00")
                if not international:
                    if raw.startswith("0"):
                        score = 0.6
                    elif region == "LU" and self.LU_MOBILE.match(_digits(raw)):
                        score = 0.3  # Luxembourg has no trunk prefix: a mobile number needs a context word
                    else:
                        continue
                    if is_enterprise_number(text, start, raw, self.VAT_CONTEXT):
                        continue
                    if region != "BE" and self.BE_MOBILE_PREFIX.match(raw):
                        continue  # starts like a Belgian mobile but is none: a code, not a foreign landline
                    if is_code(text, start) or IBAN_HEAD.search(text, max(0, start - 14), start):
                        continue  # a code, or the rest of an account number ("NL91 COSC 0443 5709 888") mistyped
                else:
                    score = 0.75
                if start > 0 and text[start - 1] == "(" and international and ")" in text[start:end]:
                    start -= 1  # "(+352) 621 …": the bracket belongs to the number
                found[(start, end)] = score
        return [_result(self, "PHONE_NUMBER", s, e, score) for (s, e), score in found.items()]


def is_enterprise_number(text: str, start: int, raw: str, context: re.Pattern) -> bool:
    """A Belgian enterprise/VAT number, not a phone: ten digits that pass python-stdnum's check, written
    in the official dotted grouping, or written after BTW/TVA/KBO/BCE/VAT/"BE" (then even when its
    check digits are wrong: a company number typed badly is still no one's phone)."""
    digits = _digits(raw)
    if len(digits) != 10:
        return False
    if context.search(text[max(0, start - 40):start]):
        return True
    return bool(ENTERPRISE_DOTTED.match(raw.strip())) and std_vat.is_valid(digits)


class OfflineEmailRecognizer(PatternRecognizer):
    """E-mail addresses; the domain is checked against tldextract's bundled public-suffix snapshot,
    never the network (Presidio's own e-mail recognizer fetches the list on first use)."""

    PATTERNS = [Pattern("Email", EMAIL.pattern, 0.6)]
    _extract = None

    def __init__(self, language: str):
        super().__init__(supported_entity="EMAIL_ADDRESS", patterns=self.PATTERNS,
                         context=CONTEXT["EMAIL_ADDRESS"][language], supported_language=language,
                         name=f"email_{language}")

    @classmethod
    def extractor(cls) -> tldextract.TLDExtract:
        if cls._extract is None:
            cls._extract = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
        return cls._extract

    def validate_result(self, pattern_text: str) -> bool:
        return self.extractor()(pattern_text.rsplit("@", 1)[-1]).suffix != ""


@lru_cache(maxsize=262_144)
def fold(s: str) -> str:
    """Lower case without accents: how names and terms are compared (cached: chat words repeat)."""
    if s.isascii():
        return s.lower()
    return "".join(c for c in unicodedata.normalize("NFKD", s.lower()) if not unicodedata.combining(c))


def load_word_list(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Latin Extended-A (Ā-ž) holds the letters of Polish, Turkish, Romanian, Czech names (Wiśniewski, Yılmaz, Ştefan).
# An Irish or Flemish O'/D' before the capital: O'Sullivan, D'Hondt.
_CAP = r"(?:(?:[OD]['’])?[A-ZÀ-ÖØ-ÞĀ-ž][a-zà-öø-ÿĀ-ž]+(?:-[A-ZÀ-ÖØ-ÞĀ-ž][a-zà-öø-ÿĀ-ž]+)?)"
_PARTICLE = r"(?:(?:[Vv]an|[Dd]e|[Dd]en|[Dd]er|[Tt]er|[Vv]an der|[Vv]an den|[Vv]an de|[Ll]e|[Ll]a|[Dd]u|[Dd]es|[Dd]')\s?)"
SURNAME = rf"(?:{_PARTICLE}{{0,2}}{_CAP})"


def name_tokens(name: str) -> list[str]:
    return _NAME_TOKEN.findall(name)


class KnownPeopleRecognizer(_Remembered, LocalRecognizer):
    """Names of known people (chat participants, the staff directory): the full name in any case, and
    the first name or surname alone when written with a capital and not an ordinary word. Works the
    same in every language because it needs no model."""

    def __init__(self, language: str, people: Iterable[str], common_words: set[str]):
        self.people = sorted({p.strip() for p in people if p and p.strip()})
        full, single = set(), set()
        for person in self.people:
            toks = name_tokens(person)
            if not toks:
                continue
            if len(toks) >= 2:
                full.add(r"\s+".join(re.escape(t) for t in toks))
            first, rest = toks[0], toks[1:]
            candidates = [first]
            if rest:
                candidates.append(" ".join(rest))  # surname with its particles: "Van den Broeck"
            for c in candidates:
                if len(c) >= 3 and fold(c) not in common_words:
                    single.add(r"\s+".join(re.escape(t) for t in c.split()))
        self._full = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(full, key=len, reverse=True)) + r")(?![\w-])",
                                re.IGNORECASE) if full else None
        self._single = re.compile(r"(?<![\w-])(?:" + "|".join(sorted(single, key=len, reverse=True)) + r")(?![\w-])"
                                  ) if single else None
        super().__init__(supported_entities=["PERSON"], supported_language=language,
                         name=f"known_people_{language}")

    def load(self) -> None:
        pass

    def _analyze(self, text):
        out, taken = [], []
        if self._full:
            for m in self._full.finditer(text):
                out.append(_result(self, "PERSON", m.start(), m.end(), 0.9))
                taken.append((m.start(), m.end()))
        if self._single:
            for m in self._single.finditer(text):
                if any(s <= m.start() < e for s, e in taken):
                    continue
                out.append(_result(self, "PERSON", m.start(), m.end(), 0.75))
        return out


@dataclass(frozen=True)
class NotPeople:
    """What around a capitalised word says it names a place, a company or a character (``not_people.yaml``)."""

    before: frozenset[str]
    street_endings: tuple[str, ...]
    after: tuple[tuple[str, ...], ...]
    characters: tuple[tuple[str, ...], ...]

    def excludes(self, text: str, start: int, end: int) -> bool:
        """Whether the PERSON span ``text[start:end]`` is a street, venue, company or character name."""
        words_before = [fold(w) for w in _WORD_OR_AMP.findall(text[max(0, start - 40):start])]
        if words_before and words_before[-1].rstrip(".") in self.before:
            return True
        inside = [fold(w) for w in _WORD_OR_AMP.findall(text[start:end])]
        if len(inside) > 1 and inside[0] in self.before:
            return True  # the venue word inside the span: "Brasserie Lefebvre", "Expo Kortrijk"
        following_raw = _WORD_OR_AMP.findall(text[end:end + 40])
        following = [fold(w) for w in following_raw]
        # the name's last word, or a capitalised word right after it ("Pieter De Somerstraat"), is a street
        street = inside[-1:] + [f for f, w in zip(following[:2], following_raw[:2]) if w[:1].isupper()]
        if any(w.endswith(e) and len(w) > len(e) + 2 for w in street for e in self.street_endings):
            return True
        if any(tuple(following[:len(p)]) == p for p in self.after) or (
                len(inside) > 1 and any(p == (inside[-1],) for p in self.after)):
            return True  # a company form or trade after the name, or as its last word ("Claes Verhuur")
        lo = len(words_before)
        words = words_before + inside + following
        for phrase in self.characters:
            n = len(phrase)
            for i in range(max(0, lo - n + 1), min(len(words) - n, lo + len(inside) - 1) + 1):
                if tuple(words[i:i + n]) == phrase:
                    return True
        return False


_WORD_OR_AMP = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|&")


@lru_cache(maxsize=1)
def not_people() -> NotPeople:
    doc = yaml.safe_load((DATA_DIR / "not_people.yaml").read_text(encoding="utf-8"))

    def phrases(key):
        return tuple(tuple(fold(w) for w in _WORD_OR_AMP.findall(str(p))) for p in doc[key])
    return NotPeople(frozenset(fold(str(w)) for w in doc["before"]), tuple(fold(str(w)) for w in doc["street_endings"]),
                     phrases("after"), phrases("characters"))


# The name lists written for this scanner, which leave out names that are also ordinary words (those are in
# name_words.txt); deduce's long Dutch list holds such words ("job", "fine"), so its names need more in lower case.
CURATED_NAME_LISTS = ("first_names.txt", "community_first_names.txt", "world_first_names.txt")


@lru_cache(maxsize=1)
def curated_first_names() -> frozenset[str]:
    """The curated names in lower case with their accents (``céline`` and ``celine`` where the list has both):
    a lower-case word must be spelled as a name is, so ``marié`` is not Marie and ``come`` not Côme."""
    words = {n.lower() for f in ("name_words.txt", "world_name_words.txt") for n in load_word_list(f)}
    return frozenset(n.lower() for f in CURATED_NAME_LISTS for n in load_word_list(f)) - words


@lru_cache(maxsize=65_536)
def is_inflected_word(word: str) -> bool:
    """Whether a lower-case word is an inflected form of another word in Dutch, French or English (``mette`` →
    ``mettre``, ``vit`` → ``vivre``): then it is that word, not a name, whatever a name list holds."""
    import simplemma

    # simplemma gives proper nouns capitalised ("kevin" → "Kevin"): compared in lower case
    return any(simplemma.is_known(word, lang=lang) and simplemma.lemmatize(word, lang=lang).lower() != word
               for lang in ("nl", "fr", "en"))


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Folded first names of every list the scanner ships: ``first_names.txt``, the community list
    and deduce's Dutch list (less deduce's own exceptions, which are ordinary words)."""
    names = {fold(n) for f in CURATED_NAME_LISTS + ("deduce/first_names.txt",) for n in load_word_list(f)}
    return frozenset({n for n in names if len(n) >= 2} - {fold(w) for w in load_word_list("deduce/first_name_exceptions.txt")})


# The words the special-category files write for "a man's first name" and "a woman's first name":
# "trouwt met MALENAME", said about a man, names a same-sex partner.
MALE_NAME, FEMALE_NAME = "malename", "femalename"


@lru_cache(maxsize=1)
def gendered_first_names() -> dict[str, str]:
    """Folded first name → ``MALE_NAME`` or ``FEMALE_NAME``, for names given (almost) only to men or only
    to women (``male_first_names.txt``, ``female_first_names.txt``; several names a line). A name in both
    lists is in neither."""
    male = {fold(w) for line in load_word_list("male_first_names.txt") for w in line.split()}
    female = {fold(w) for line in load_word_list("female_first_names.txt") for w in line.split()}
    both = male & female
    return {**{n: MALE_NAME for n in male - both}, **{n: FEMALE_NAME for n in female - both}}


@lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Folded surnames (deduce's Dutch list, less its exceptions), each word of a compound surname too."""
    out = set()
    for n in load_word_list("deduce/surnames.txt") + load_word_list("world_surnames.txt"):
        out.add(fold(n))
    return frozenset(out - {fold(w) for w in load_word_list("deduce/surname_exceptions.txt")})


# Words after which a lower-case or unlisted capitalised word is a person: "met jan", "tell kevin",
# "Hoi Zeynep". Every language's, since people switch.
NAME_TRIGGERS = frozenset("""met aan vraag vraagt bel belt zeg zegt hoi hey hallo dag dank bedankt merci sorry groetjes
    avec appelle appeler demande demander dis salut bonjour coucou bonsoir
    with tell ask call text ping hi hello thanks thank cheers""".split())
GREETINGS = frozenset("hoi hey hallo dag salut bonjour coucou bonsoir hi hello dear beste cher chère".split())
# A preposition between a word that introduces a person and the name: "dis à fatima", "zeg tegen kevin".
_TO = frozenset("a à aan tegen to".split())
# Verbs that follow a person as the subject of a sentence: "Joke is", "Lies heeft", "Grâce est", "Ben says".
_SUBJECT_VERBS = frozenset("""is was heeft had zit zat moet wil kan gaat komt zegt zei doet mag werd wordt
    est etait a fait dit va vient peut doit veut sera
    has says said told needs wants can went got""".split())
_POSSESSIVE = re.compile(r"['’]s$")


@lru_cache(maxsize=65_536)
def is_ordinary_word(word: str) -> bool:
    """Whether a lower-case word is an ordinary word of Dutch, French or English rather than only a name:
    simplemma's dictionaries know it and either it is an inflected form of another word (``ans`` → ``an``)
    or one of its inflected forms leads back to it (``matins`` → ``matin``, ``days`` → ``day``). Names that
    the dictionaries list (``kevin``, ``youssef``) have no such forms. Offline, no model."""
    import simplemma  # the dictionaries load on first use

    for lang in ("nl", "fr", "en"):
        if not simplemma.is_known(word, lang=lang):
            continue
        if simplemma.lemmatize(word, lang=lang).lower() != word:
            return True
        forms = [word + ending for ending in ("s", "en", "es", "e", "x", "ed", "ing", "er")]
        if word.endswith("y"):
            forms.append(word[:-1] + "ies")  # "cherry" → "cherries"
        if any(simplemma.is_known(form, lang=lang) and simplemma.lemmatize(form, lang=lang).lower() == word
               for form in forms):
            return True
        if lang == "nl" and word.endswith("en") and simplemma.is_known(word[:-2], lang="nl"):
            return True  # a Dutch infinitive whose stem is a word: "bouwen" (bouw)
    return False
def _opens_sentence(text: str, at: int) -> bool:
    """Whether the word at ``at`` is the first of a sentence (or of the text, or after a colon or dash)."""
    k = at - 1
    while k >= 0 and text[k] in " \t":
        k -= 1
    return k < 0 or text[k] in ".!?\n:;" or (text[k] == "-" and k > 0 and text[k - 1] == " ")
_AND = frozenset({"en", "et", "and", "of", "ou", "or"})
_PARTICLE_WORDS = frozenset("van de den der ter ten vanden vander le la du des el al ben bin abou".split())


class NamePatternRecognizer(_Remembered, LocalRecognizer):
    """People not known in advance, from name lists rather than one language's NER, so Dutch, French and
    English text (and a Flemish chat with Moroccan, Turkish, Congolese or Polish names) are treated alike:

    - a title (``meneer``, ``Mme``, ``Mr``, ``Dr``) followed by a name;
    - a first name from the lists (``first_names``: deduce's Dutch list, the community list, the common
      list), capitalised or in capitals, alone or followed by a surname (capitalised, with particles
      ``van der``, ``De``, ``El``…): ``Jan Peeters``, ``Fatima El Amrani``;
    - a listed first name in lower case only after a word that introduces a person (``met jan``,
      ``tell kevin``, ``avec karim``); an unlisted capitalised word only after a greeting (``Hoi Zeynep``);
    - a first name that is also an ordinary word (``name_words.txt``, stop words: Mark, Will, Roos, Rose)
      only with context: a capital inside a sentence (not its first word), a following surname or
      comma, or a word that introduces a person just before it."""

    TITLES = {
        "nl": r"(?:[Mm]eneer|[Mm]evrouw|[Mm]evr\.?|[Mm]vr\.?|[Dd]hr\.?|[Hh]r\.|[Mm]r\.?|[Dd]okter|[Dd]r\.?|[Jj]uffrouw|"
              r"[Mm]eester|[Ii]ng\.?)",
        "fr": r"(?:[Mm]onsieur|[Mm]adame|[Mm]ademoiselle|M\.|Mr\.?|Mme\.?|Mlle\.?|[Dd]octeur|[Dd]r\.?|[Mm]aître|Me\.?)",
        "en": r"(?:[Mm]r\.?|[Mm]rs\.?|Ms\.?|Miss|Dr\.?|[Dd]octor|[Ss]ir|[Mm]adam)",
    }

    def __init__(self, language: str, first_names: Iterable[str], common_words: set[str],
                 name_words: Iterable[str] = (), surnames: Iterable[str] = (), never_alone: Iterable[str] = ()):
        words = {fold(n) for n in name_words}
        self.never_alone = {fold(n) for n in never_alone}
        self.first = ({fold(n) for n in first_names} | words) - NAME_TRIGGERS - GREETINGS - _PARTICLE_WORDS
        self.curated = curated_first_names()
        self.surnames = surnames if isinstance(surnames, frozenset) else frozenset(fold(n) for n in surnames)
        self.common = set(common_words)
        self.ambiguous = words | (self.first & self.common)
        self._titled = re.compile(rf"(?<!\w){self.TITLES[language]}\s+((?:{_CAP}\s)?{SURNAME})(?!\w)")
        super().__init__(supported_entities=["PERSON"], supported_language=language,
                         name=f"name_pattern_{language}")

    def load(self) -> None:
        pass

    def _surname_end(self, text: str, toks: list, k: int) -> int | None:
        """End offset of a surname that starts at token k (up to two particles first), or None."""
        j = k
        while True:
            if j >= len(toks) or text[toks[j - 1].end():toks[j].start()].strip():
                return None  # only spaces between a first name and its surname
            if fold(toks[j].group()) in _PARTICLE_WORDS and j - k < 2:
                j += 1
                continue
            break
        word = toks[j].group()
        f = fold(word)
        if not word[0].isupper() or (f in self.common and f not in self.surnames) or f in self.ambiguous:
            return None
        return toks[j].end() if f in self.surnames or len(f) >= 2 else None

    @staticmethod
    def _shouting(text: str) -> bool:
        """Whether the whole message is written in capitals."""
        return sum(ch.isupper() for ch in text) > 0.6 * max(1, sum(ch.isalpha() for ch in text))

    def _analyze(self, text):
        out, taken = [], []
        for m in self._titled.finditer(text):
            out.append(_result(self, "PERSON", m.start(1), m.end(1), 0.7))
            taken.append((m.start(1), m.end(1)))
        toks = list(_NAME_TOKEN.finditer(text))
        shouting = None  # the whole message in capitals? computed only when a word in capitals needs it
        last_name_token = -2
        taken_until = max((e for _, e in taken), default=-1)
        titled = list(taken)
        for k, t in enumerate(toks):
            word = t.group()
            if t.start() < taken_until and any(s <= t.start() < e for s, e in taken) or len(word) < 2:
                continue
            word_end = t.end()
            possessive = _POSSESSIVE.search(word)
            if possessive:  # "Youssef's": the name without its possessive ending
                word = word[:possessive.start()]
                word_end = t.start() + len(word)
            f = fold(word)
            prev = fold(toks[k - 1].group()) if k and not text[toks[k - 1].end():t.start()].strip(" ,") else None
            if prev in _AND and last_name_token == k - 2:
                prev = "met"  # "met jan en piet": a name joined to a name
            if prev in _TO and k >= 2 and fold(toks[k - 2].group()) in NAME_TRIGGERS:
                prev = "met"  # "demande à baptiste", "zeg tegen kevin"
            initial = _opens_sentence(text, t.start())
            if word.isupper() and f in self.common and shouting is None:
                shouting = self._shouting(text)
            capital = word[0].isupper() and not (word.isupper() and shouting and f in self.common)
            listed = f in self.first
            if not listed:
                # An unlisted word is a name only right after a greeting: "Hoi Zeynep", "Salut Kalonji"
                if capital and prev in GREETINGS and f not in self.common and not word.isupper() and len(f) >= 3:
                    out.append(_result(self, "PERSON", t.start(), t.end(), 0.6))
                elif capital and f in self.surnames and f not in self.common and len(f) >= 4 and (
                        prev in NAME_TRIGGERS or (word.isupper() and not self._shouting(text))) \
                        and not is_ordinary_word(f):
                    # a listed surname alone: after a word that introduces a person ("met Vandenberghe"), or
                    # in capitals in a message that is not ("c'est DESMET qui a signé")
                    out.append(_result(self, "PERSON", t.start(), t.end(), 0.6))
                    last_name_token = k
                continue
            if word.isupper() and len(word) < 3:
                continue  # "KO", "OK": not a name in capitals
            surname_end = self._surname_end(text, toks, k + 1) if capital and k + 1 < len(toks) and not possessive \
                else None
            after = text[word_end:word_end + 1]
            if f in self.never_alone:
                if not (capital and surname_end):
                    continue
            elif f in self.ambiguous or f in self.common:
                if not capital:
                    continue  # "de roos", "I will", "met rust"
                next_word = fold(toks[k + 1].group()) if k + 1 < len(toks) else ""
                if initial and not (surname_end or after == "," or prev in NAME_TRIGGERS or possessive
                                    or (capital and next_word in _SUBJECT_VERBS and f not in self.common)):
                    continue  # "Mark the cables", "Will do", "Prudence sur le chantier"; but "Mark's van", "Joke is ziek"
            elif not capital and prev not in NAME_TRIGGERS and (len(f) < 3 or (
                    is_inflected_word(word) if word in self.curated else (word != f or is_ordinary_word(f)))):
                continue  # a lower-case name counts when a curated list spells it so or it is no word ("told mike")
            end = surname_end or word_end
            out.append(_result(self, "PERSON", t.start(), end, 0.7 if surname_end else 0.6))
            taken.append((t.start(), end))
            taken_until = max(taken_until, end)
            last_name_token = k
        return out
