"""What kind of file an attachment is: by its first bytes (magic numbers), the file name only where the
bytes say nothing (plain text, CSV). Kinds are ``vocabulary.ATTACHMENT_KINDS``."""
from __future__ import annotations

import io
import zipfile

HEAD_BYTES = 64

# Extension → (kind, mime) for files whose bytes carry no signature.
_BY_EXTENSION = {
    ".txt": ("document", "text/plain"),
    ".csv": ("document", "text/csv"),
    ".vcf": ("contact", "text/vcard"),
    ".vcard": ("contact", "text/vcard"),
}
# ISO base media brands (bytes 8-12 after "ftyp").
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P "}
_OOXML = {"word/document.xml": ("document", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          "xl/workbook.xml": ("document", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
_ODF = {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet"}


def sniff(head: bytes, name: str = "", zip_data: bytes | None = None) -> tuple[str, str]:
    """(kind, mime) of a file whose first bytes are ``head``. ``zip_data``: the whole file, read only
    when the head says ZIP (an OOXML or ODF document is a ZIP with known members)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if head.startswith(b"%PDF-"):
        return "document", "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video", "video/x-msvideo"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image", "image/heic"
        if brand in _AUDIO_BRANDS:
            return "audio", "audio/mp4"
        if brand.startswith(b"3g"):
            return "video", "video/3gpp"
        return "video", "video/mp4"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio", "audio/mpeg"
    if head.startswith(b"#!AMR"):
        return "audio", "audio/amr"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(zip_data, suffix)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if stripped.startswith(b"BEGIN:VCARD"):
        return "contact", "text/vcard"
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    return "other", "application/octet-stream"


def _zip_kind(data: bytes | None, suffix: str) -> tuple[str, str]:
    if data is None:
        return "other", "application/zip"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            for member, found in _OOXML.items():
                if member in names:
                    return found
            if "mimetype" in names:
                mime = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mime in _ODF:
                    return "document", mime
    except (zipfile.BadZipFile, OSError, ValueError):
        # A damaged document still says what it was meant to be by its name.
        if suffix in (".docx", ".xlsx", ".odt", ".ods"):
            return "document", "application/zip"
    return "other", "application/zip"
