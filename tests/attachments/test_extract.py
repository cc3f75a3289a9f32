"""Text, faces and metadata from each kind of attachment, and a reason for every file that cannot be read."""
from __future__ import annotations

import pytest

from o3_governance.attachments import extract, kinds
from o3_governance.attachments.limits import Limits
from support import attachments as A


def test_pdf_text_layer_by_page_with_the_author_as_metadata():
    ex = extract.extract_bytes(A.pdf([["Factuur 17"], ["IBAN BE71 0961 2345 6769"]], author="Sofie Maes"), "f.pdf")
    assert (ex.kind, ex.mime, ex.status, ex.pages, ex.ocr) == ("document", "application/pdf", "scanned", 2, False)
    text = ex.text
    assert ex.page_at(text.index("Factuur")) == 1 and ex.page_at(text.index("BE71")) == 2
    assert ex.page_at(text.index("Sofie Maes")) is None and text.endswith("Sofie Maes")


def test_a_pdf_page_without_text_layer_is_read_by_ocr():
    ex = extract.extract_bytes(A.scanned_pdf(["Attestation medicale", "Patient Marc Dubois"]), "scan.pdf")
    assert ex.status == "scanned" and ex.ocr and ex.pages == 1
    assert "Attestation" in ex.text and "Dubois" in ex.text


def test_docx_xlsx_odt_csv_and_text():
    assert "0471 23 45 67" in extract.extract_bytes(A.docx(["Bel me op 0471 23 45 67"]), "d.docx").text
    assert "Jan Peeters" in extract.extract_bytes(A.docx(["x"], author="Jan Peeters"), "d.docx").text
    xl = extract.extract_bytes(A.xlsx([["naam", "tel"], ["Jan", "0471 23 45 67"]]), "x.xlsx")
    assert xl.pages == 1 and "Jan\t0471 23 45 67" in xl.text
    od = extract.extract_bytes(A.odt(["Bonjour Marc"], creator="Anna Maes"), "o.odt")
    assert od.mime == "application/vnd.oasis.opendocument.text" and "Bonjour Marc" in od.text and "Anna Maes" in od.text
    assert "a;b" not in extract.extract_bytes(b"naam;tel\nJan;0471\n", "lijst.csv").text
    assert extract.extract_bytes("Café 0471".encode("cp1252"), "notes.txt").text == "Café 0471"


def test_contact_card_fields():
    ex = extract.extract_bytes(A.vcf("Jan Peeters", "+32 471 23 45 67", "jan@example.be"), "Jan.vcf")
    assert (ex.kind, ex.status) == ("contact", "scanned")
    assert "+32 471 23 45 67" in ex.text and "jan@example.be" in ex.text and "Jan Peeters" in ex.text


def test_photo_of_printed_text_turned_like_a_phone_photo_is_read():
    img = A.text_image(["Levering voor Sofie Maes", "sofie.maes@example.be"], angle=5)
    ex = extract.extract_bytes(A.jpeg(img), "IMG.jpg")
    assert ex.ocr and "sofie.maes@example.be" in ex.text and "Sofie Maes" in ex.text


def test_faces_are_counted_in_a_real_photo_and_not_in_a_cat_or_a_landscape():
    face = extract.extract_bytes(A.jpeg(A.face_photo()), "p.jpg")
    assert len(face.faces) == 1 and all(w > 40 for _, _, w, _ in face.faces)
    for size in (None, (1600, 1200), (800, 1200)):   # stretched as a phone would: one cascade alone sees a face
        cat, land = (img if size is None else img.resize(size) for img in (A.cat_photo(), A.landscape_photo()))
        assert extract.extract_bytes(A.jpeg(cat), "cat.jpg").faces == []
        assert extract.extract_bytes(A.jpeg(land), "land.jpg").faces == []
    assert len(extract.extract_bytes(A.jpeg(A.face_photo().resize((1600, 1200))), "p.jpg").faces) == 1


def test_exif_gps_and_artist():
    ex = extract.extract_bytes(A.jpeg(A.cat_photo(), gps=(50.88, 4.70), artist="Piet Claes"), "p.jpg")
    assert ex.gps and "Piet Claes" in ex.text
    assert not extract.extract_bytes(A.jpeg(A.cat_photo()), "p.jpg").gps


def test_an_image_too_small_for_text_or_faces_is_not_sent_to_ocr():
    ex = extract.extract_bytes(A.png(A.text_image(["x"], size=(40, 30))), "icon.png")
    assert ex.status == "scanned" and not ex.ocr and ex.reason == "too small to hold text or a face"


@pytest.mark.parametrize("data,name,status,reason", [
    (A.encrypted_pdf(["IBAN BE71 0961 2345 6769"]), "e.pdf", "failed", "encrypted"),
    (A.pdf([["x"]])[:200], "c.pdf", "failed", "corrupt or unreadable"),
    (A.zip_bomb_docx(), "b.docx", "failed", "zip bomb"),
    (b"PK\x03\x04 broken", "b.docx", "failed", "corrupt or unreadable document"),
    (A.huge_png(), "h.png", "too_large", "megapixels"),
    (A.huge_png(20_000), "h.png", "too_large", "megapixels"),     # past Pillow's own bomb limit too
    (b"\xff\xd8\xff\xe0 not really a jpeg", "x.jpg", "failed", "corrupt or unreadable image"),
    (A.ogg_voice_note(), "PTT.opus", "unsupported", "audio cannot be transcribed offline"),
    (b"\x00\x00\x00\x18ftypmp42" + bytes(40), "VID.mp4", "unsupported", "video cannot be transcribed offline"),
    (b"\x00\x01 binary", "x.bin", "unsupported", "not a kind that can be read"),
    (b"BEGIN:VCARD\r\nEND", "x.vcf", "failed", "no contact card"),
])
def test_unreadable_files_get_a_status_and_a_reason_without_content(data, name, status, reason):
    ex = extract.extract_bytes(data, name)
    assert ex.status == status and reason in ex.reason and ex.parts == []
    assert "BE71" not in ex.reason


def test_page_size_and_text_limits():
    many = A.pdf([[f"pagina {i}"] for i in range(6)])
    ex = extract.extract_bytes(many, "m.pdf", Limits(max_pages=5))
    assert (ex.status, ex.reason, ex.pages) == ("too_large", "more than 5 pages", 6)
    assert extract.extract_bytes(A.pdf([["a" * 500]]), "l.pdf", Limits(max_text_chars=100)).text == "a" * 100


def test_a_file_past_the_size_limit_is_not_opened(tmp_path):
    path = tmp_path / "big.pdf"
    path.write_bytes(A.pdf([["x" * 3000]]))
    ex = extract.extract_file(path, Limits(max_bytes=1000))
    assert (ex.kind, ex.status) == ("document", "too_large") and ex.parts == []
    assert extract.extract_file(tmp_path / "gone.pdf").reason == "missing from the media store"


def test_a_file_past_the_time_limit_fails_with_that_reason():
    ex = extract.extract_bytes(A.pdf([["a"], ["b"]]), "t.pdf", Limits(max_seconds=-1))
    assert (ex.status, ex.reason) == ("failed", "took longer than -1 s")


@pytest.mark.parametrize("head,name,expected", [
    (b"%PDF-1.7", "x", ("document", "application/pdf")),
    (b"\x89PNG\r\n\x1a\n", "x.jpg", ("image", "image/png")),       # the bytes win over the name
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "x", ("image", "image/webp")),
    (b"\x00\x00\x00\x18ftypheic", "x", ("image", "image/heic")),
    (b"\x00\x00\x00\x18ftypM4A ", "x", ("audio", "audio/mp4")),
    (b"#!AMR\n", "x", ("audio", "audio/amr")),
    (b"hello", "notes.txt", ("document", "text/plain")),
    (b"hello", "notes", ("other", "application/octet-stream")),
])
def test_kind_by_magic_bytes_then_extension(head, name, expected):
    assert kinds.sniff(head, name) == expected


def test_without_tesseract_a_photo_fails_with_one_line_and_documents_still_read(monkeypatch):
    from o3_governance.attachments import ocr

    monkeypatch.setattr(ocr, "TESSERACT", "no-such-tesseract-here")
    photo = extract.extract_bytes(A.jpeg(A.text_image(["Levering 12"])), "p.jpg")
    assert (photo.status, photo.reason, photo.parts) == ("failed", "tesseract is not installed", [])
    assert extract.extract_bytes(A.pdf([["Factuur 17"]]), "f.pdf").status == "scanned"
    assert ocr.tesseract_version() == "missing"


def test_extraction_in_two_processes_gives_what_one_gives(data_layout):
    """``scan_media`` with a pool: the same entries, in the same order, as in one process."""
    import hashlib

    from o3_governance.attachments import register
    from o3_governance.storage import warehouse

    blobs = [A.pdf([[f"Factuur {i}", "IBAN BE71 0961 2345 6769"]]) for i in range(8)] + [A.ogg_voice_note(), b"junk"]
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        for i, blob in enumerate(blobs):
            sha = hashlib.sha256(blob).hexdigest()
            (data_layout.media / sha[:2]).mkdir(parents=True, exist_ok=True)
            (data_layout.media / sha[:2] / f"{sha}.pdf").write_bytes(blob)
            con.execute("INSERT INTO messages (message_id, message_type, media_sha256) VALUES (?, 'media', ?)",
                        [f"m{i}", sha])
        seen: dict[int, list] = {}
        for workers in (1, 2):
            texts: list = []
            scan = register.scan_media(con, data_layout, f"cfg{workers}", lambda sha, ex: texts.append((sha, ex.text)),
                                       workers=workers)
            assert scan.workers == workers and scan.due == len(blobs)
            seen[workers] = [(e.media_sha256, e.extraction.status, e.extraction.reason) for e in scan.entries] + texts
        assert seen[1] == seen[2]
        assert all(e.extraction.parts == [] for e in scan.entries)   # the text is gone once scanned
