"""The optional staff/contact directory (``O3_DIRECTORY_FILE``): who is who, in one place.

The scanner takes its names as known people, legal holds and data-subject requests map names to
phones with it, and anonymisation turns authors into roles with it.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from o3_governance import settings
from o3_governance.identity.phones import normalize_phone


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    phone: str | None
    email: str | None = None


def directory_file() -> Path | None:
    return settings.load().directory_file


def load_directory(path: Path | None = None) -> list[DirectoryEntry]:
    """Entries of the staff/contact directory: YAML (a list of {name, phone, email} or a mapping
    name → phone) or CSV with a header ``name,phone[,email]``. Missing file setting: empty."""
    path = path if path is not None else directory_file()
    if path is None:
        return []
    if not path.is_file():
        raise FileNotFoundError("the staff/contact directory file does not exist")
    entries: list[DirectoryEntry] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                if row.get("name"):
                    entries.append(DirectoryEntry(row["name"], normalize_phone(row.get("phone")),
                                                  (row.get("email") or "").lower() or None))
        return entries
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if isinstance(data, dict):
        data = data.get("people", data) if isinstance(data.get("people"), list) else \
            [{"name": k, "phone": v} for k, v in data.items()]
    if not isinstance(data, list):
        raise ValueError("staff/contact directory: expected a list of entries or a name: phone mapping")
    for item in data:
        if not isinstance(item, dict) or not item.get("name"):
            raise ValueError("staff/contact directory: every entry needs a name")
        entries.append(DirectoryEntry(str(item["name"]), normalize_phone(str(item.get("phone") or "")),
                                      str(item.get("email") or "").lower() or None))
    return entries
