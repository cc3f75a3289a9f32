"""Names in every order people write them: one matcher for requests, holds and redaction.

A full name is split into given names and a surname; the surname starts at its first particle
(``van``, ``van den``, ``de``, ``le``, ``du`` …) after the first given name, else it is the last word.
The written forms of one person's name that are recognised:

- ``Wout Van den Broeck`` (given, surname), ``Van den Broeck Wout`` and ``Van den Broeck, Wout``;
- the initial with the surname: ``W. Van den Broeck``, ``W Van den Broeck``, ``Van den Broeck, W.``
  — only when no other known person has the same initial and surname (``initials=True``);
- the surname alone (``surname_alone=True``: when no other known person shares it);
- surname particles glued or apart (``Vandenbroeck``, ``VandenBroeck``); words separated by spaces,
  hyphens or underscores (file names: ``Wout_Van_den_Broeck.vcf``).

A directory alias (``VdB``) is a name of its own: matched as written, as a whole word.

Everything works on text folded by :func:`o3_governance.identity.matching.normalize_name` /
``mapped_text`` (lower case, no accents), so patterns are lower case.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

PARTICLES = frozenset({"van", "von", "vander", "vanden", "vande", "der", "den", "de", "del", "della", "di", "da",
                       "das", "dos", "du", "des", "le", "la", "les", "ter", "ten", "te", "op", "het", "t", "d", "l",
                       "in", "mac", "st"})
_SEP = r"[\s\-_]+"          # between words of a name (file names use '-' and '_')
_GLUE = r"[\s\-_]*"         # between a particle and the rest of a surname ("Vandenbroeck")
_REVERSED_SEP = r"(?:\s*,\s*|[\s\-_]+)"
# A name is a whole word: not glued to a letter or digit (an underscore separates, as in file names).
_BEFORE = r"(?<![^\W_])"
_AFTER = r"(?![^\W_])"


@dataclass(frozen=True)
class NameParts:
    given: tuple[str, ...]
    surname: tuple[str, ...]

    @property
    def initial(self) -> str:
        return self.given[0][0]

    @property
    def surname_text(self) -> str:
        return " ".join(self.surname)


def _tokens(normalized: str) -> list[str]:
    return [t for t in re.split(r"[\s\-_]+", normalized.replace(".", " ").strip()) if t]


def split_name(normalized: str) -> NameParts | None:
    """Given names and surname of a folded full name; ``surname, given`` understood. None for one word."""
    if "," in normalized:
        surname, _, given = normalized.partition(",")
        s, g = _tokens(surname), _tokens(given)
        return NameParts(tuple(g), tuple(s)) if s and g else None
    tokens = _tokens(normalized)
    if len(tokens) < 2:
        return None
    if tokens[0] in PARTICLES:   # "van den broeck wout": the surname is written first
        i = 0
        while i < len(tokens) - 1 and tokens[i] in PARTICLES:
            i += 1
        if i + 1 < len(tokens):
            return NameParts(tuple(tokens[i + 1:]), tuple(tokens[:i + 1]))
    for i in range(1, len(tokens) - 1):
        if tokens[i] in PARTICLES:
            return NameParts(tuple(tokens[:i]), tuple(tokens[i:]))
    return NameParts(tuple(tokens[:-1]), tuple(tokens[-1:]))


def name_key(normalized: str) -> str:
    """The same key for one name in any word order (``jan peeters`` = ``peeters, jan``)."""
    return " ".join(sorted(_tokens(normalized.replace(",", " "))))


def _surname_re(surname: tuple[str, ...]) -> str:
    words = [re.escape(t) for t in surname]
    out = words[0]
    for prev, word in zip(surname, words[1:]):
        out += (_GLUE if prev in PARTICLES else _SEP) + word
    return out


def name_alternatives(normalized: str, *, initials: bool = False, surname_alone: bool = False) -> list[str]:
    """Regular-expression alternatives (no boundaries) for one folded name in every written order."""
    parts = split_name(normalized)
    if parts is None:
        tokens = [re.escape(t) for t in _tokens(normalized)]
        return [_SEP.join(tokens)] if tokens else []
    given = _SEP.join(re.escape(t) for t in parts.given)
    surname = _surname_re(parts.surname)
    out = [given + _SEP + surname, surname + _REVERSED_SEP + given]
    if initials:
        first = re.escape(parts.initial)
        out += [first + r"(?:\.[\s\-_]*|[\s\-_]+)" + surname, surname + r"\s*,\s*" + first + r"\.?"]
    if surname_alone:
        out.append(surname)
    return out


def names_pattern(alternatives: list[str]) -> re.Pattern[str] | None:
    """One pattern for many alternatives, longest first (a full name wins over its parts)."""
    alternatives = sorted(set(a for a in alternatives if a), key=lambda a: (-len(a), a))
    if not alternatives:
        return None
    return re.compile(_BEFORE + "(?:" + "|".join(alternatives) + ")" + _AFTER)


def spellings(normalized: str) -> set[str]:
    """The folded written forms of one full name (for comparing whole fields: authors, hold subjects)."""
    parts = split_name(normalized)
    if parts is None:
        return {" ".join(_tokens(normalized))} if _tokens(normalized) else set()
    g, s = " ".join(parts.given), parts.surname_text
    return {f"{g} {s}", f"{s} {g}", f"{s}, {g}"}
