"""Bounds on every parser: a file past one of them is recorded (``too_large`` or ``failed`` with a
reason) and the night goes on."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50_000_000          # a file larger than this is not opened (too_large)
    max_pages: int = 200                 # PDF pages read; a longer PDF is too_large
    max_ocr_pages: int = 20              # PDF pages without a text layer that go to OCR
    max_seconds: float = 60.0            # per file, checked between pages and given to Tesseract
    max_text_chars: int = 500_000        # extracted text kept for the scan (more is cut off)
    max_unzipped_bytes: int = 200_000_000  # OOXML/ODF members together, uncompressed
    max_zip_ratio: float = 100.0         # uncompressed / compressed: more is a zip bomb
    max_pixels: int = 80_000_000         # an image with more pixels is not decoded (decompression bomb)
    min_side: int = 48                   # smaller images hold no readable text and no face
    ocr_max_side: int = 3000             # larger images are scaled down before OCR
    ocr_min_side: int = 1000             # smaller ones are scaled up (Tesseract wants ~300 dpi text)
    max_sheet_cells: int = 1_000_000     # spreadsheet cells read


DEFAULT_LIMITS = Limits()
