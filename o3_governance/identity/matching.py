"""Who the data subject is, in every spelling the chats may use.

Phones are compared as E.164; names accent-, case- and whitespace-insensitively; emails
case-insensitively. A staff/contact directory (``O3_DIRECTORY_FILE``, YAML or CSV) and the
rectifications recorded in ``subject_mappings`` map names to phones, so that authors that exports
show by name are found from a phone number.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

import phonenumbers

from o3_governance.identity import names as names_mod
from o3_governance.identity.directory import DirectoryEntry, load_directory  # noqa: F401 - re-exported
from o3_governance.identity.phones import DEFAULT_REGION, normalize_phone  # noqa: F401 - re-exported
# Separators people put inside phone numbers, including the no-break spaces iOS exports use.
_SEP = "[ \t./()\\-\u00a0\u202f\u2009\u2010-\u2015]*"  # literal characters: RE2 (DuckDB) has no \\u escapes
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


class InvalidIdentifier(ValueError):
    """A subject identifier given on a request cannot be understood (message names the field only)."""


def require_phone(text: str) -> str:
    phone = normalize_phone(text)
    if phone is None:
        raise InvalidIdentifier("--subject-phone is not a phone number")
    return phone


def normalize_name(text: str | None) -> str:
    """Accent-, case- and spacing-insensitive form of a name; WhatsApp's ``~`` prefix dropped."""
    if not text:
        return ""
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", text)
    text = text.strip().lstrip("~").strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-]+", " ", stripped.casefold()).strip()


def normalize_email(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip().lower()
    if not _EMAIL_RE.fullmatch(text):
        raise InvalidIdentifier("--subject-email is not an email address")
    return text


def phone_pattern(e164: str) -> str:
    """A regular expression (Python and RE2) matching the number in its usual written spellings:
    international with ``+`` or ``00``, with or without ``(0)``, national with the trunk ``0``, and
    the bare ``32471…`` of wa.me links; any separators between digits. No look-arounds: callers
    check the neighbouring characters themselves."""
    number = phonenumbers.parse(e164)
    cc = str(number.country_code)
    national = str(number.national_number)
    body = _SEP.join(national)
    cc_sep = _SEP.join(cc)
    international = rf"(?:\+|00){_SEP}{cc_sep}{_SEP}(?:\(0\){_SEP})?"
    bare = rf"{cc_sep}{_SEP}"
    trunk = rf"0{_SEP}"
    return rf"(?:{international}|{trunk}|{bare}){body}"


@dataclass
class Subject:
    """The person a request is about. Never logged, never put in run config or metadata."""

    phone: str                          # E.164
    name: str | None = None
    email: str | None = None
    aliases: set[str] = field(default_factory=set)   # other names known for this phone (normalized)
    ambiguous_name: str | None = None   # given name the directory assigns to another phone: not used at all
    first_names: set[str] = field(default_factory=set)  # searched alone only when no other known person shares them
    surnames: set[str] = field(default_factory=set)     # likewise: a surname matched alone ("Van den Broeck")
    initialled: set[str] = field(default_factory=set)   # names whose "W. Van den Broeck" form no one else shares

    @property
    def canonical_names(self) -> set[str]:
        """Normalized names that identify the subject (given name plus directory / mapping aliases)."""
        out = set(self.aliases)
        if self.name and normalize_name(self.name):
            out.add(normalize_name(self.name))
        return {n for n in out if n and n != self.ambiguous_name}

    @property
    def names(self) -> set[str]:
        """Every folded written form of the subject's names (``wout van den broeck``, ``van den broeck,
        wout``, ``van den broeck wout``): what a whole field (a hold's subject, a chat name) is compared with."""
        out: set[str] = set()
        for n in self.canonical_names:
            out.add(n)
            out |= names_mod.spellings(n)
        return out

    def name_alternatives(self, *, alone: bool = True) -> list[str]:
        """Regex alternatives of every name form; ``alone``: also the first names and surnames that
        are unique among known people (for text; a whole field is compared without them)."""
        alts: list[str] = []
        for n in self.canonical_names:
            alts += names_mod.name_alternatives(n, initials=n in self.initialled)
        for s in self.surnames:
            alts += names_mod.name_alternatives(s)
        if alone:
            for f in self.first_names:
                alts += names_mod.name_alternatives(f)
        return alts

    def name_pattern(self) -> re.Pattern[str] | None:
        """One pattern for the subject's names in folded text (see :func:`name_spans`)."""
        return names_mod.names_pattern(self.name_alternatives())

    def is_named(self, text: str | None) -> bool:
        """A whole field (an author, a chat name) is one of the subject's names, in any written form."""
        folded = normalize_name(text)
        if not folded:
            return False
        if folded in self.names:
            return True
        rx = names_mod.names_pattern(self.name_alternatives(alone=False))
        return bool(rx and rx.fullmatch(folded))


def name_spans(text: str, rx: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans of ``text`` (original offsets) where ``rx`` matches its folded form."""
    if rx is None or not text:
        return []
    folded, index = mapped_text(text)
    return [(index[m.start()], index[m.end() - 1] + 1) for m in rx.finditer(folded) if m.end() > m.start()]


def first_name(normalized_name: str) -> str | None:
    """The first token of a normalized full name, when long enough to mean something alone."""
    tokens = normalized_name.split()
    return tokens[0] if len(tokens) > 1 and len(tokens[0]) >= 3 else None


def mapped_text(text: str) -> tuple[str, "list[int] | range"]:
    """``text`` folded like :func:`normalize_name` character by character, with, for each folded
    character, the index of the original character it came from (to map matches back to spans)."""
    if text.isascii():  # the common case: folding keeps every offset
        return text.lower(), range(len(text))
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = ch.lower() if ch.isascii() else _fold_char(ch)
        for c in folded:
            out.append(c)
            index.append(i)
    return "".join(out), index


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", ch)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_regex(normalized_name: str) -> re.Pattern[str]:
    """Matches a normalized name in folded text, in every written order (``Peeters Jan``,
    ``Van den Broeck, Wout``; see :mod:`o3_governance.identity.names`)."""
    return names_mod.names_pattern(names_mod.name_alternatives(normalized_name)) or re.compile(r"(?!x)x")


def email_regex(email: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.+\-])" + re.escape(email) + r"(?![\w\-])", re.IGNORECASE)


def other_emails(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _EMAIL_RE.finditer(text)]


def phone_spans(text: str, region: str = DEFAULT_REGION) -> list[tuple[int, int, str]]:
    """Every phone number written in ``text``: (start, end, E.164)."""
    spans = []
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        spans.append((match.start, match.end, e164))
    return spans


def names_regex(normalized_names: set[str] | list[str]) -> re.Pattern[str] | None:
    """One pattern for many names (longest first, so a full name wins over its first name)."""
    return names_mod.names_pattern([a for n in normalized_names for a in names_mod.name_alternatives(n)])
