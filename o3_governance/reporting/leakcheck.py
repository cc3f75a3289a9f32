"""A guard run on each written report: do any of the warehouse's chat names, authors, phone numbers
or archive file names appear in it? Returns counts only (what leaked is not repeated anywhere)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from o3_governance.storage import queries as storage

MIN_LENGTH = 5           # shorter values ("Jan", "Bob") would match ordinary words
MAX_FILE_BYTES = 64 << 20


@dataclass
class LeakScan:
    checked: int = 0
    found: int = 0
    files: list[str] = field(default_factory=list)   # report file names (not the values)


def sensitive_values(con) -> set[str]:
    found = storage.identifying_values(con)
    values: set[str] = found["chat_names"] | found["authors"]
    for phone in found["phones"]:
        digits = re.sub(r"\D", "", phone)
        values |= {phone, digits}
        if phone.startswith("+32"):
            values.add("0" + digits[2:])  # the national form
    for name in found["file_names"]:
        values.add(name)
        values.add(name.rsplit(".", 1)[0])
    return {v.strip().lower() for v in values if v and len(v.strip()) >= MIN_LENGTH}


def _present(value: str, text: str) -> bool:
    start = text.find(value)
    while start != -1:
        before = text[start - 1] if start else " "
        after = text[start + len(value)] if start + len(value) < len(text) else " "
        if not (before.isalnum() or after.isalnum()):   # whole words only: "Peeters" ≠ "Peetersen"
            return True
        start = text.find(value, start + 1)
    return False


def scan_texts(values: set[str], texts: dict[str, str]) -> LeakScan:
    scan = LeakScan(checked=len(values))
    leaked: set[str] = set()
    for name, text in texts.items():
        lower = text.lower()
        hits = {v for v in values if v in lower and _present(v, lower)}
        if hits:
            scan.files.append(name)
            leaked |= hits
    scan.found = len(leaked)
    return scan


def scan_folder(con, folder: Path) -> LeakScan:
    values = sensitive_values(con) if storage.has_messages(con) else set()
    texts = {p.name: p.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
             for p in sorted(Path(folder).iterdir()) if p.is_file()}
    index = Path(folder).parent / "index.html"
    if index.is_file():
        texts["../index.html"] = index.read_text(encoding="utf-8", errors="replace")
    return scan_texts(values, texts)
