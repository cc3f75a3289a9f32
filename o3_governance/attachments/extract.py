"""One media file → an ``Extraction``: kind, status, the text of its pages (in memory only), faces,
GPS metadata. Never raises for a bad file: an encrypted, corrupt, oversized or bomb-like file comes back
with status ``failed`` / ``too_large`` and a one-line reason that names no content.

The extracted text is the file's pages joined by a blank line, followed by the document's author
metadata; a finding's offsets point into that text, and ``page_at`` tells the page of an offset."""
from __future__ import annotations

import csv
import io
import logging
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from PIL import Image, ImageOps

from o3_governance.attachments import faces as face_mod
from o3_governance.attachments import kinds, ocr
from o3_governance.attachments.limits import DEFAULT_LIMITS, Limits
from o3_governance.identity import vcard

try:  # HEIC photos (iPhones): the wheel bundles libheif; without it HEIC is unsupported, not an error
    from pillow_heif import register_heif_opener
    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - depends on the platform's wheels
    HEIF = False

# pypdf logs about damaged files; its messages may quote a file's bytes, which must not reach a log.
logging.getLogger("pypdf").setLevel(logging.CRITICAL)

SEPARATOR = "\n\n"
_GPS_IFD = 0x8825
_EXIF_ARTIST = 0x013B
MIN_TEXT_CHARS = 20   # a PDF page with less text than this is a scan: its images go to OCR


class _Refused(Exception):
    """A file this module will not read further: (status, reason)."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass
class Extraction:
    kind: str
    mime: str
    bytes: int
    status: str = "scanned"            # vocabulary.ATTACHMENT_STATUSES
    reason: str | None = None          # one line, no content
    pages: int | None = None           # PDF pages, spreadsheet sheets
    ocr: bool = False                  # some of the text came from OCR
    faces: list[tuple[int, int, int, int]] = field(default_factory=list)   # boxes; page 1 of an image
    gps: bool = False                  # EXIF GPS position present
    parts: list[tuple[int | None, str]] = field(default_factory=list)      # (page, text); None: metadata

    @property
    def text(self) -> str:
        return SEPARATOR.join(t for _, t in self.parts)

    def page_spans(self) -> list[tuple[int, int, int | None]]:
        """(start, end, page) of each part in ``text``."""
        spans, pos = [], 0
        for page, t in self.parts:
            spans.append((pos, pos + len(t), page))
            pos += len(t) + len(SEPARATOR)
        return spans

    def page_at(self, offset: int) -> int | None:
        for start, end, page in self.page_spans():
            if start <= offset < end + len(SEPARATOR):
                return page
        return None


def extract_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Extraction:
    """What ``path`` holds. The file's name only helps where its bytes carry no signature."""
    try:
        size = path.stat().st_size
    except OSError:
        return Extraction("other", "application/octet-stream", 0, "failed", "missing from the media store")
    with open(path, "rb") as fh:
        head = fh.read(kinds.HEAD_BYTES)
        if size > limits.max_bytes:
            kind, mime = kinds.sniff(head, path.name)
            return Extraction(kind, mime, size, "too_large", f"larger than {limits.max_bytes // 1_000_000} MB")
        data = head + fh.read()
    return extract_bytes(data, path.name, limits)


def extract_bytes(data: bytes, name: str = "", limits: Limits = DEFAULT_LIMITS) -> Extraction:
    kind, mime = kinds.sniff(data[:kinds.HEAD_BYTES], name, zip_data=data if data[:2] == b"PK" else None)
    out = Extraction(kind, mime, len(data))
    deadline = time.monotonic() + limits.max_seconds
    try:
        if kind in ("audio", "video"):
            raise _Refused("unsupported", f"{kind} cannot be transcribed offline")
        if kind == "other":
            raise _Refused("unsupported", "not a kind that can be read")
        if mime == "image/heic" and not HEIF:
            raise _Refused("unsupported", "HEIC images need pillow-heif")
        reader = _READERS[mime] if mime in _READERS else _READERS[kind]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # parsers warn about odd files with their content in the text
            reader(data, out, limits, deadline)
    except _Refused as refused:
        out.status, out.reason, out.parts, out.faces = refused.status, refused.reason, [], []
    except ocr.OcrUnavailable as exc:
        out.status, out.reason, out.parts = "failed", str(exc), []
    except TimeoutError:
        out.status, out.reason, out.parts = "failed", f"took longer than {limits.max_seconds:g} s", []
    except MemoryError:
        out.status, out.reason, out.parts = "failed", "too large to read in memory", []
    except Exception as exc:  # every parser's own error types: corrupt is corrupt, the night goes on
        out.status, out.reason, out.parts = "failed", f"corrupt or unreadable ({type(exc).__name__})", []
    total = 0
    kept = []
    for page, t in out.parts:   # bounded text for the scanner
        t = t[:max(0, limits.max_text_chars - total)]
        total += len(t)
        if t.strip():
            kept.append((page, t))
    out.parts = kept
    return out


def _check_time(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError


# ----------------------------------------------------------------------------------------- images

def _open_image(data: bytes, limits: Limits) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _Refused("too_large", f"more than {limits.max_pixels // 1_000_000} megapixels") from None
    except (OSError, SyntaxError, ValueError):   # UnidentifiedImageError is an OSError
        raise _Refused("failed", "corrupt or unreadable image") from None
    w, h = img.size
    if w * h > limits.max_pixels:
        raise _Refused("too_large", f"more than {limits.max_pixels // 1_000_000} megapixels")
    return img


def _image_metadata(img: Image.Image, out: Extraction) -> None:
    exif = img.getexif()
    gps = exif.get_ifd(_GPS_IFD) if exif else {}
    # GPSLatitude (2) and GPSLongitude (4): a position, not just an empty GPS block.
    out.gps = out.gps or bool(gps and gps.get(2) and gps.get(4))
    artist = exif.get(_EXIF_ARTIST) if exif else None
    if isinstance(artist, str) and artist.strip():
        out.parts.append((None, artist.strip()))


def _grey(img: Image.Image) -> np.ndarray:
    img = ImageOps.exif_transpose(img)
    return np.asarray(img.convert("L"))


def _read_image(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    img = _open_image(data, limits)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError):   # Pillow's errors for truncated or damaged image data
        raise _Refused("failed", "corrupt or unreadable image") from None
    _image_metadata(img, out)
    grey = _grey(img)
    out.pages = 1
    if min(grey.shape[:2]) < limits.min_side:
        out.reason = "too small to hold text or a face"
        return
    out.faces = face_mod.detect_faces(grey)
    text = ocr.ocr(grey, limits, deadline - time.monotonic())
    out.ocr = True
    out.parts.insert(0, (1, text))


# ----------------------------------------------------------------------------------------- documents

def _read_pdf(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    from pypdf import PdfReader   # start-up time: only a night with PDFs pays for it

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            if not reader.decrypt(""):   # an owner password alone still lets the text be read
                raise _Refused("failed", "encrypted")
        except _Refused:
            raise
        except Exception:
            raise _Refused("failed", "encrypted") from None
    n = len(reader.pages)
    out.pages = n
    if n > limits.max_pages:
        raise _Refused("too_large", f"more than {limits.max_pages} pages")
    ocr_pages = 0
    for i, page in enumerate(reader.pages, start=1):
        _check_time(deadline)
        text = page.extract_text() or ""
        if len(text.strip()) < MIN_TEXT_CHARS and ocr_pages < limits.max_ocr_pages:
            scanned = []
            for image in page.images:   # a scanned page is an image: read it
                img = image.image
                if img is None or img.width * img.height > limits.max_pixels:
                    continue
                grey = np.asarray(img.convert("L"))
                if min(grey.shape[:2]) >= limits.min_side:
                    scanned.append(ocr.ocr(grey, limits, deadline - time.monotonic()))
                    out.ocr = True
            if scanned:
                ocr_pages += 1
                text = "\n".join([text] + scanned)
        out.parts.append((i, text))
    meta = reader.metadata
    if meta is not None:
        for value in (meta.author, meta.get("/Creator") if meta.author is None else None):
            if isinstance(value, str) and value.strip():
                out.parts.append((None, value.strip()))


def _check_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    zf = zipfile.ZipFile(io.BytesIO(data))
    unzipped = sum(i.file_size for i in zf.infolist())
    packed = max(1, sum(i.compress_size for i in zf.infolist()))
    if unzipped > limits.max_unzipped_bytes or unzipped / packed > limits.max_zip_ratio:
        raise _Refused("failed", "zip bomb (expands too far)")
    return zf


def _read_docx(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    from docx import Document   # start-up time: only a night with documents pays for it

    _check_zip(data, limits)
    doc = Document(io.BytesIO(data))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        _check_time(deadline)
        for row in table.rows:
            lines.append("\t".join(c.text for c in row.cells))
    for section in doc.sections:
        for part in (section.header, section.footer):
            lines.extend(p.text for p in part.paragraphs)
    out.parts.append((None, "\n".join(lines)))
    props = doc.core_properties
    for value in (props.author, props.last_modified_by):
        if value and value.strip():
            out.parts.append((None, value.strip()))


def _read_xlsx(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    from openpyxl import load_workbook   # start-up time: only a night with spreadsheets pays for it

    _check_zip(data, limits)
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        cells = 0
        out.pages = len(wb.worksheets)
        for i, ws in enumerate(wb.worksheets, start=1):
            rows = []
            for row in ws.iter_rows(values_only=True):
                cells += len(row)
                if cells > limits.max_sheet_cells:
                    raise _Refused("too_large", f"more than {limits.max_sheet_cells} cells")
                rows.append("\t".join("" if v is None else str(v) for v in row))
                if len(rows) % 1000 == 0:
                    _check_time(deadline)
            out.parts.append((i, "\n".join(rows)))
        creator = wb.properties.creator
        if creator and creator.strip() and creator.strip() != "openpyxl":
            out.parts.append((None, creator.strip()))
    finally:
        wb.close()


_ODF_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_DC_CREATOR = {"{http://purl.org/dc/elements/1.1/}creator", "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}initial-creator"}


def _read_odf(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    zf = _check_zip(data, limits)
    root = ElementTree.fromstring(zf.read("content.xml"))
    lines = []
    for el in root.iter():
        if el.tag in (_ODF_TEXT + "p", _ODF_TEXT + "h"):
            lines.append("".join(el.itertext()))
    out.parts.append((None, "\n".join(lines)))
    if "meta.xml" in zf.namelist():
        for el in ElementTree.fromstring(zf.read("meta.xml")).iter():
            if el.tag in _DC_CREATOR and el.text and el.text.strip():
                out.parts.append((None, el.text.strip()))


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_text(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    out.parts.append((None, _decode(data)))


def _read_csv(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        rows = ["\t".join(r) for r in csv.reader(io.StringIO(text), dialect)]
        text = "\n".join(rows)
    except csv.Error:
        pass   # not regular enough for a dialect: read as plain text
    out.parts.append((None, text))


def _read_contact(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    cards = [c for c in vcard.read_vcards(data[:vcard.MAX_CARD_BYTES]) if any(c.all_texts())]
    if not cards:
        raise _Refused("failed", "no contact card could be read")
    out.pages = len(cards)
    for i, card in enumerate(cards, start=1):
        out.parts.append((i, "\n".join(t for t in card.all_texts() if t)))


def _read_damaged_zip(data: bytes, out: Extraction, limits: Limits, deadline: float) -> None:
    raise _Refused("failed", "corrupt or unreadable document")


_READERS = {
    "image": _read_image,
    "application/pdf": _read_pdf,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _read_docx,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _read_xlsx,
    "application/vnd.oasis.opendocument.text": _read_odf,
    "application/vnd.oasis.opendocument.spreadsheet": _read_odf,
    "application/zip": _read_damaged_zip,
    "text/plain": _read_text,
    "text/csv": _read_csv,
    "contact": _read_contact,
}


def texts_of(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """The texts a file holds (for data-subject requests): its pages and metadata; [] when unreadable."""
    return [t for _, t in extract_file(path, limits).parts]
