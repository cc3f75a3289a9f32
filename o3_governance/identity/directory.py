"""The optional staff/contact directory (``O3_DIRECTORY_FILE``): who is who, in one place.

The scanner takes its names as known people, legal holds and data-subject requests map names to
phones with it, and anonymisation turns authors into roles with it: each entry says whether the
person is ``staff`` (the default) or an ``external`` contact. The entry points read the setting and
pass the file's path; nothing here reads the environment.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

from o3_governance.identity.phones import normalize_phone

STAFF = "staff"
EXTERNAL = "external"
ROLES = (STAFF, EXTERNAL)


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    phone: str | None
    email: str | None = None
    role: str = STAFF          # staff / external
    aliases: tuple[str, ...] = ()   # other names the person goes by ("VdB"): matched as written, whole words

    @property
    def is_staff(self) -> bool:
        return self.role == STAFF


def _role(raw: object) -> str:
    role = str(raw or "").strip().lower() or STAFF
    if role not in ROLES:
        raise ValueError("staff/contact directory: a role must be staff or external")
    return role


def _aliases(raw: object) -> tuple[str, ...]:
    """``aliases``: a YAML list, or one text with ``;`` between names (CSV)."""
    if raw is None or raw == "":
        return ()
    items = raw if isinstance(raw, list) else str(raw).split(";")
    if not all(isinstance(i, (str, int)) for i in items):
        raise ValueError("staff/contact directory: aliases must be names")
    return tuple(str(i).strip() for i in items if str(i).strip())


def load_directory(path: Path | None) -> list[DirectoryEntry]:
    """Entries of the staff/contact directory at ``path`` (None: no directory configured, empty):
    YAML (a list of {name, phone, email, role, aliases} or a mapping name → phone) or CSV with a
    header ``name,phone[,email][,role][,aliases]`` (aliases separated by ``;``). ``role`` is ``staff`` (default) or ``external``."""
    if path is None:
        return []
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError("the staff/contact directory file does not exist")
    entries: list[DirectoryEntry] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                if row.get("name"):
                    entries.append(DirectoryEntry(row["name"], normalize_phone(row.get("phone")),
                                                  (row.get("email") or "").lower() or None, _role(row.get("role")),
                                                  _aliases(row.get("aliases"))))
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
                                      str(item.get("email") or "").lower() or None, _role(item.get("role")),
                                      _aliases(item.get("aliases"))))
    return entries
