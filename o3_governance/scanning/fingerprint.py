"""What a scan depends on, as one short hash: cheap to compute, without loading the engine."""
from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path
from typing import Iterable

from o3_governance.vocabulary import LANGUAGES

# Bump when the scanning logic changes in a way the source hash below would not show.
SCANNER_VERSION = "1"
NER_MODELS = {"fr": "fr_core_news_sm"}
PACKAGE_DIR = Path(__file__).resolve().parent
TERMS_DIR = PACKAGE_DIR / "special_categories"
ABOUT_DIR = TERMS_DIR / "about_person"  # the about-a-person rule's word lists, one file a language
# Modules that do not change what a scan finds.
_NOT_SCANNER_CODE = {"evaluation.py", "categories.py", "queries.py", "__init__.py", "attachment_scan.py"}


def term_files(language: str, root: Path = TERMS_DIR) -> list[Path]:
    return sorted((root / language).glob("*.yaml"))


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist.replace("_", "-"))
    except importlib.metadata.PackageNotFoundError:
        return "missing"


def config_hash(known_people: Iterable[str] = (), terms_dir: Path = TERMS_DIR) -> str:
    """The scanner's code, its word lists and term files, the spaCy model and library versions, and
    the known people. Any change makes every message due for a rescan."""
    h = hashlib.sha256()
    h.update(f"scanner-version:{SCANNER_VERSION}\n".encode())
    for path in sorted(PACKAGE_DIR.glob("*.py")) + sorted((PACKAGE_DIR / "data").rglob("*.txt")):
        if path.name not in _NOT_SCANNER_CODE:
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for lang in LANGUAGES:
        for path in term_files(lang, terms_dir):
            h.update(f"{lang}/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for path in sorted((terms_dir / "about_person").glob("*.yaml")):
        h.update(f"about_person/{path.name}".encode() + b"\0" + path.read_bytes() + b"\0")
    for model in sorted(NER_MODELS.values()):
        h.update(f"{model}=={_version(model)}\n".encode())
    for pkg in ("presidio-analyzer", "spacy", "phonenumbers", "python-stdnum", "tldextract", "py3langid", "simplemma"):
        h.update(f"{pkg}=={_version(pkg)}\n".encode())
    for person in sorted({p.strip() for p in known_people if p and p.strip()}):
        h.update(b"person:" + person.encode() + b"\n")
    return h.hexdigest()[:16]
