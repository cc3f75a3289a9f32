"""Attachment scanning speed: OCR images per second, PDF pages per second (text layer, and scanned
pages through OCR), and a night with N new photos (default 1,000) scanned with two processes.

Photos are made here, phone-sized (1600 × 1200): a third photos of printed notes (OCR finds text), the
rest a real face, a cat or a landscape, each slightly changed so that every file is new content.

    python -m bench.bench_attachments                 # 1,000 photos
    python -m bench.bench_attachments --photos 200    # a shorter run
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageEnhance

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import attachments as A  # noqa: E402 - the tests' generators of documents and photos

NOW = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)
SIZE = (1600, 1200)
NOTES = ["Levering {n} voor werf Gent", "Contact: Sofie Maes 0476 55 44 33", "Bon de livraison {n}",
         "Client: Marc Dubois, rue Haute 12", "Delivery note {n}", "Mail: info{n}@example.be"]


def photo(i: int, rng: random.Random) -> bytes:
    kind = i % 4
    if kind in (0, 3) and i % 3 == 0 or kind == 0:
        lines = [rng.choice(NOTES).format(n=rng.randint(1000, 9999)) for _ in range(4)]
        img = A.text_image(lines, size=SIZE, angle=rng.uniform(-4, 4), font_size=rng.randint(36, 52))
    else:
        base = {1: A.face_photo, 2: A.cat_photo, 3: A.landscape_photo}[kind]()
        img = base.resize(SIZE)
    img = ImageEnhance.Brightness(img.convert("RGB")).enhance(rng.uniform(0.85, 1.15))
    return A.jpeg(img)


def bench_ocr(n: int) -> dict:
    from o3_governance.attachments import extract

    rng = random.Random(1)
    photos = [A.jpeg(A.text_image([rng.choice(NOTES).format(n=k) for _ in range(4)], size=SIZE, angle=2))
              for k in range(n)]
    t = time.perf_counter()
    for p in photos:
        assert extract.extract_bytes(p, "p.jpg").ocr
    return {"ocr_images": n, "ocr_images_per_s_one_process": round(n / (time.perf_counter() - t), 2)}


def bench_pdf(pages: int, scanned: int) -> dict:
    from o3_governance.attachments import extract

    text_pdf = A.pdf([[f"Factuur {k}", "IBAN BE71 0961 2345 6769", "Klant Jan Peeters, Leuven"] for k in range(pages)])
    t = time.perf_counter()
    assert extract.extract_bytes(text_pdf, "f.pdf").pages == pages
    text_rate = pages / (time.perf_counter() - t)
    scans = [A.scanned_pdf([f"Attestation {k}", "Patient Marc Dubois"]) for k in range(scanned)]
    t = time.perf_counter()
    for s in scans:
        assert extract.extract_bytes(s, "s.pdf").ocr
    return {"pdf_text_pages_per_s": round(text_rate, 1), "pdf_scanned_pages_per_s": round(scanned / (time.perf_counter() - t), 2)}


def bench_night(n: int) -> dict:
    from o3_governance import ingest
    from o3_governance.scanning import attachment_scan
    from o3_governance.storage import warehouse
    from o3_governance.storage.layout import DataLayout

    rng = random.Random(7)
    root = Path(tempfile.mkdtemp(prefix="bench-attachments-")) / "data"
    layout = DataLayout(root).ensure()
    lines = []
    with zipfile.ZipFile(layout.inbox / "WhatsApp Chat with Werf Gent.zip", "w", zipfile.ZIP_STORED) as z:
        for i in range(n):
            name = f"IMG-20230605-WA{i:04d}.jpg"
            z.writestr(name, photo(i, rng))
            lines.append(f"05/06/2023, {10 + i // 60 % 10:02d}:{i % 60:02d} - Piet Claes: {name} (bestand bijgevoegd)")
        z.writestr("WhatsApp Chat with Werf Gent.txt", "\n".join(lines) + "\n")
    ingest.ingest_inbox(layout, now=NOW, max_archive_bytes=10_000_000_000, max_night_bytes=10_000_000_000)
    with warehouse.open_warehouse(layout.warehouse) as con:
        t = time.perf_counter()
        night = attachment_scan.scan_attachments(con, layout, now=NOW, workers=2)
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = attachment_scan.scan_attachments(con, layout, now=NOW, workers=2)
        second = time.perf_counter() - t
        faces = con.execute("SELECT count(*) FROM attachments WHERE faces > 0").fetchone()[0]
    return {"night_photos": night.due, "night_seconds": round(first, 1), "night_photos_per_s": round(night.due / first, 2),
            "night_ocr_files": night.ocr_files, "night_photos_with_faces": faces,
            "night_findings_written": night.findings_written, "workers": night.workers,
            "next_night_due": again.due, "next_night_seconds": round(second, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--ocr-images", type=int, default=20)
    args = parser.parse_args()
    out = {}
    out.update(bench_ocr(args.ocr_images))
    out.update(bench_pdf(200, 5))
    out.update(bench_night(args.photos))
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
