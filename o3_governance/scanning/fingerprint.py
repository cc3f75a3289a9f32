"""What a scan depends on, in parts, each a short hash: cheap to compute, without loading the engine.

- ``code``: the scanner's code and word lists, the about-a-person lists, the spaCy model and library
  versions. A change here makes every message due again.
- ``person:<key>``: one part per known person (a 64-bit hash of the name, never the name). A person
  added or removed makes due only the messages whose text holds a word of that person's name
  (``PeopleIndex``); each scanned message keeps the keys of the people its text could name.
- ``terms/<language>/<file>``: one part per term file. A changed file makes due only the messages its
  old or new terms could match, and those holding a finding of its category (``store``).

``config_hash`` combines the parts: the hash a message is recorded with in ``scan_state``.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import re
import unicodedata
from pathlib import Path
from typing import Iterable, Mapping

from o3_governance.vocabulary import LANGUAGES

# Bump when the scanning logic changes in a way the source hash below would not show.
SCANNER_VERSION = "1"
NER_MODELS = {"fr": "fr_core_news_sm"}
PACKAGE_DIR = Path(__file__).resolve().parent
TERMS_DIR = PACKAGE_DIR / "special_categories"
ABOUT_DIR = TERMS_DIR / "about_person"  # the about-a-person rule's word lists, one file a language
# Modules that do not change what a scan finds.
_NOT_SCANNER_CODE = {"evaluation.py", "categories.py", "queries.py", "__init__.py", "fingerprint.py", "pool.py",
                     "attachment_scan.py"}
CODE = "code"
PERSON = "person:"
TERMS = "terms/"


def term_files(language: str, root: Path = TERMS_DIR) -> list[Path]:
    return sorted((root / language).glob("*.yaml"))


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def people(known_people: Iterable[str]) -> tuple[str, ...]:
    """The known-people list as the engine takes it: stripped, without blanks or repeats, sorted."""
    return tuple(sorted({p.strip() for p in known_people if p and p.strip()}))


def person_key(person: str) -> int:
    """A 64-bit key of one known person's name as written (the recognizer's patterns follow it)."""
    return int.from_bytes(hashlib.blake2b(person.strip().encode(), digest_size=8).digest(), "big")


def scanner_files(package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The scanner's code and every data file it reads (name lists, not_people.yaml): a change to any of
    them changes what a scan finds."""
    data = [p for p in (package_dir / "data").rglob("*") if p.is_file() and p.suffix in (".txt", ".yaml")]
    return sorted(package_dir.glob("*.py")) + sorted(data)


def code_digest(terms_dir: Path = TERMS_DIR) -> str:
    h = hashlib.sha256()
    h.update(f"scanner-version:{SCANNER_VERSION}\n".encode())
    for path in scanner_files():
        if path.name not in _NOT_SCANNER_CODE:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted((terms_dir / "about_person").glob("*.yaml")):
        h.update(f"about_person/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for model in sorted(NER_MODELS.values()):
        h.update(f"{model}=={_version(model)}\n".encode())
    for pkg in ("presidio-analyzer", "spacy", "phonenumbers", "python-stdnum", "tldextract", "py3langid", "simplemma"):
        h.update(f"{pkg}=={_version(pkg)}\n".encode())
    return h.hexdigest()[:16]


def term_parts(terms_dir: Path = TERMS_DIR) -> dict[str, bytes]:
    """``terms/<language>/<file>`` → the file's bytes, for every term file."""
    return {f"{TERMS}{lang}/{path.name}": path.read_bytes() for lang in LANGUAGES for path in term_files(lang, terms_dir)}


def config_parts(known_people: Iterable[str] = (), terms_dir: Path = TERMS_DIR) -> dict[str, str]:
    """Every part the scan depends on → its digest."""
    parts = {CODE: code_digest(terms_dir)}
    parts.update((name, _digest(name.encode() + b"\0" + data)) for name, data in term_parts(terms_dir).items())
    parts.update((f"{PERSON}{person_key(p):016x}", "1") for p in people(known_people))
    return parts


def combine(parts: Mapping[str, str]) -> str:
    """The configuration hash of a set of parts (any change in any part changes it)."""
    return _digest("".join(f"{k}={v}\n" for k, v in sorted(parts.items())).encode())


def config_hash(known_people: Iterable[str] = (), terms_dir: Path = TERMS_DIR) -> str:
    """The scanner's code, its word lists and term files, the spaCy model and library versions, and
    the known people, as one hash: any change in any of them changes it."""
    return combine(config_parts(known_people, terms_dir))


# --- which known people a text could name ---------------------------------------------------------------

_LETTERS = re.compile(r"[^\W\d_]+")
_NAME_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")   # the known-people recognizer's name tokens


def words(text: str) -> list[str]:
    """The letter runs of ``text`` case-folded and without accents: how a name is looked for in a text.
    Every pair of letters that a case-insensitive ``re`` pattern takes as equal folds to the same letters
    (``casefold`` does that for all but the dotless i, which ``re`` equates with i)."""
    folded = text.casefold()
    if not folded.isascii():
        folded = "".join(c for c in unicodedata.normalize("NFKD", folded.replace("ı", "i"))
                         if not unicodedata.combining(c))
    return _LETTERS.findall(folded)


def gate_words(person: str) -> set[str]:
    """Words of which at least one stands in any text the known-people recognizer finds this person in.

    The recognizer matches the full name, the first name token alone, or the rest (the surname with its
    particles) alone; each match holds every word of the first token, or every word of the rest. The
    longest word of each is enough: a text without either cannot name this person."""
    toks = _NAME_TOKEN.findall(person)
    out = set()
    for piece in (toks[:1], toks[1:]):
        ws = words(" ".join(piece))
        if ws:
            out.add(max(ws, key=len))
    return out


class PeopleIndex:
    """Known people by the words that gate them: one dictionary look-up per word of a text."""

    def __init__(self, known_people: Iterable[str]):
        self.by_word: dict[str, set[int]] = {}
        for p in people(known_people):
            key = person_key(p)
            for w in gate_words(p):
                self.by_word.setdefault(w, set()).add(key)

    def __bool__(self) -> bool:
        return bool(self.by_word)

    def keys_in(self, text: str) -> list[int]:
        """Keys of the people this text could name (sorted)."""
        if not self.by_word:
            return []
        found: set[int] = set()
        get = self.by_word.get
        for w in set(words(text)):
            hit = get(w)
            if hit:
                found |= hit
        return sorted(found)
