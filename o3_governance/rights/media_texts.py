"""What a media file says about people: the texts and identifiers in it, for erasure (and access).

``texts_of_media(path)`` returns the texts a media file holds. Contact cards (``.vcf``) are read by
their fields (``o3_governance.identity.vcard``); documents and images by the attachment extractors
(``o3_governance.attachments``: document text, OCR text, author metadata). ``register_reader`` plugs
in a reader for another kind — it takes the file's path and returns a list of texts.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from o3_governance.attachments import extract
from o3_governance.identity import vcard

MediaReader = Callable[[Path], list[str]]


def _contact_card(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        data = fh.read(vcard.MAX_CARD_BYTES)
    return [t for card in vcard.read_vcards(data) for t in card.all_texts() if t]


# Lower-case file suffix → reader. A suffix without a reader yields no texts (nothing known yet).
READERS: dict[str, MediaReader] = {".vcf": _contact_card, ".vcard": _contact_card}
# What the attachment scan reads: the same extraction, so an erasure finds what the scan found.
for _suffix in (".pdf", ".docx", ".xlsx", ".odt", ".ods", ".txt", ".csv",
                ".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif"):
    READERS[_suffix] = extract.texts_of


def register_reader(suffix: str, reader: MediaReader) -> None:
    """Plug in an extractor for one kind of media (``.pdf``, ``.jpg`` …)."""
    READERS[suffix.lower()] = reader


def texts_of_media(path: Path) -> list[str]:
    """The texts ``path`` holds, as far as a reader for its kind is known; [] otherwise or when the
    file is gone or unreadable (erasure goes on with the rest)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None or not path.is_file():
        return []
    try:
        return reader(path)
    except OSError:
        return []
