"""Attachments made in the tests, in memory: a PDF with a text layer (written by hand: one page per
list of lines, Helvetica), a scanned PDF (an image only), DOCX, XLSX, ODT, photos of printed text
(Pillow's bundled font), a real face (scikit-image's astronaut), a cat (scikit-image's chelsea), a
landscape, contact cards, and the bad ones: encrypted, corrupt, zip bomb, too many pixels or pages."""
from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def _pdf_escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("cp1252")


def pdf(pages: list[list[str]], *, author: str | None = None) -> bytes:
    """A PDF whose pages carry ``pages``' lines as a text layer."""
    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, then per page: page object, content stream; last: info
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        stream = b"BT /F1 12 Tf 72 760 Td 16 TL " + b" ".join(b"(" + _pdf_escape(ln) + b") Tj T*" for ln in lines) + b" ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    info = None
    if author:
        objects.append(b"<< /Author (" + _pdf_escape(author) + b") >>")
        info = len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{k} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {info} 0 R" if info else "") + " >>"
    out.write(f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted_pdf(lines: list[str]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([lines]))))
    writer.encrypt(user_password="geheim", owner_password="geheim")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def text_image(lines: list[str], *, size=(1600, 900), angle: float = 0.0, font_size: int = 44) -> Image.Image:
    """Dark text on off-white paper, optionally turned as in a phone photo."""
    font = ImageFont.load_default(size=font_size)
    img = Image.new("RGB", size, (236, 232, 222))
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((70, 70 + i * int(font_size * 2)), line, font=font, fill=(25, 25, 30))
    if angle:
        img = img.rotate(angle, expand=True, fillcolor=(236, 232, 222), resample=Image.BICUBIC)
    return img


def jpeg(img: Image.Image, *, gps: tuple[float, float] | None = None, artist: str | None = None) -> bytes:
    exif = Image.Exif()
    if gps:
        lat, lon = gps
        def dms(v: float):
            d = int(v); m = int((v - d) * 60); s = round(((v - d) * 60 - m) * 60, 2)
            return (float(d), float(m), float(s))
        exif.get_ifd(0x8825).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    if artist:
        exif[0x013B] = artist
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=88, exif=exif)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def scanned_pdf(lines: list[str]) -> bytes:
    """A PDF page that is only an image of text (a scan): no text layer."""
    buf = io.BytesIO()
    text_image(lines).convert("RGB").save(buf, "PDF", resolution=150)
    return buf.getvalue()


def face_photo() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut())


def cat_photo() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.chelsea())


def landscape_photo() -> Image.Image:
    """Sky, hills and a field: no face, no text."""
    from skimage import data

    rocket = Image.fromarray(data.rocket())    # an outdoor scene: trees, sky, a launch pad
    w, h = 900, 600
    img = Image.new("RGB", (w, h))
    px = np.zeros((h, w, 3), np.uint8)
    px[:, :, 2] = np.linspace(235, 160, h)[:, None]
    px[:, :, 1] = np.linspace(200, 120, h)[:, None]
    px[:, :, 0] = 120
    img = Image.fromarray(px)
    draw = ImageDraw.Draw(img)
    draw.polygon([(0, 380), (200, 260), (420, 360), (650, 230), (900, 350), (900, 600), (0, 600)], fill=(70, 120, 60))
    img.paste(rocket.resize((300, 200)), (560, 20))
    return img


def docx(paragraphs: list[str], *, author: str | None = None) -> bytes:
    from docx import Document

    doc = Document()
    for p in paragraphs:
        doc.add_paragraph(p)
    doc.core_properties.author = author or ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def odt(paragraphs: list[str], *, creator: str | None = None) -> bytes:
    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns}><office:body><office:text>{body}' \
              "</office:text></office:body></office:document-content>"
    meta = ('<?xml version="1.0" encoding="UTF-8"?><office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"><office:meta>'
            f"<meta:initial-creator>{creator or ''}</meta:initial-creator></office:meta></office:document-meta>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
        z.writestr("meta.xml", meta)
    return buf.getvalue()


def vcf(name: str, phone: str, email: str | None = None) -> bytes:
    family, given = name.split(" ", 1)[1], name.split(" ", 1)[0]
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"N:{family};{given};;;", f"FN:{name}", f"TEL;TYPE=CELL:{phone}"]
    if email:
        lines.append(f"EMAIL:{email}")
    lines.append("END:VCARD")
    return ("\r\n".join(lines) + "\r\n").encode()


def zip_bomb_docx() -> bytes:
    """A DOCX whose document part expands a thousandfold: refused before python-docx opens it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * 20_000_000 + b"</w:document>")
    return buf.getvalue()


def huge_png(side: int = 12_000) -> bytes:
    """A PNG that says it is ``side`` × ``side`` pixels (144 megapixels by default) in a few bytes: a
    decompression bomb is refused from its header, before any pixel is decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def ogg_voice_note() -> bytes:
    return b"OggS\x00\x02" + bytes(200)
