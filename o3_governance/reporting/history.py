"""Dated report folders: manifests of sha256 sums, the index that lists them, and report retention."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from o3_governance.storage import audit
from o3_governance.storage.hashing import sha256_file  # noqa: F401 - used as history.sha256_file too

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
MANIFEST = "manifest.json"
INDEX = "index.html"


def write_manifest(folder: Path, report_date: date, generated_at: str, audit_head: dict | None = None) -> dict:
    """``manifest.json``: the sha256 of every file, and ``audit_head`` (the audit chain's row count
    and head when the report was made: an anchor of the chain outside the warehouse)."""
    files = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.name != MANIFEST:
            files[p.name] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    manifest = {"report_date": report_date.isoformat(), "generated_at": generated_at, "algorithm": "sha256",
                "files": files}
    if audit_head is not None:
        manifest["audit"] = audit_head
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict | None:
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and isinstance(doc.get("files"), dict) else None


def verify_folder(folder: Path) -> list[str]:
    """Problems found (one line each): missing manifest, missing, changed or unlisted files."""
    manifest = read_manifest(folder)
    if manifest is None:
        return ["manifest.json missing or unreadable"]
    problems = []
    listed = manifest["files"]
    for name, entry in sorted(listed.items()):
        p = folder / name
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            problems.append(f"{name}: no sha256 in the manifest")
        elif not FILE_NAME.match(name) or p.is_symlink() or not p.is_file():
            problems.append(f"{name}: missing" if not p.is_symlink() else f"{name}: a symbolic link, refused")
        elif sha256_file(p) != entry["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
    for p in sorted(folder.iterdir()):
        if p.name != MANIFEST and p.name not in listed:
            problems.append(f"{p.name}: not in the manifest")
    return problems


def dated_folders(reports: Path) -> list[Path]:
    """Report folders, newest first."""
    if not reports.exists():
        return []
    return sorted((p for p in reports.iterdir() if not p.is_symlink() and p.is_dir() and DATE_DIR.match(p.name)
                   and _valid_date(p.name)), key=lambda p: p.name, reverse=True)


def _valid_date(name: str) -> bool:
    try:
        date.fromisoformat(name)
        return True
    except ValueError:
        return False


def install(staging: Path, reports: Path, report_date: date) -> Path:
    """Put a finished report folder in place; a second report of the same date replaces the first
    (the old one is moved aside first, so a crash never leaves a half-written dated folder)."""
    final = reports / report_date.isoformat()
    old = None
    if final.exists():
        old = reports / f".old-{report_date.isoformat()}-{os.getpid()}-{secrets.token_hex(6)}"
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def clean_leftovers(reports: Path, now: datetime, max_age_seconds: float = 3600) -> None:
    """Staging or replaced folders left by a crashed run, older than ``max_age_seconds`` at ``now``."""
    if not reports.exists():
        return
    for p in reports.iterdir():
        if (p.is_dir() and p.name.startswith((".building-", ".old-"))
                and now.timestamp() - p.stat().st_mtime > max_age_seconds):
            shutil.rmtree(p, ignore_errors=True)


def prune(reports: Path, today: date, keep_days: int, keep: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Dated folders older than ``keep_days`` before ``today`` are removed; returns their names.

    ``today`` is the real date (the clock at the entry point), never ``O3_AS_OF``: an as-of date
    in the future must not age real reports. Folders dated after ``today`` and the names in
    ``keep`` (the report just written) are never removed."""
    limit = today - timedelta(days=keep_days)
    removed = []
    for folder in dated_folders(reports):
        if folder.name in keep:
            continue
        if date.fromisoformat(folder.name) < limit:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return sorted(removed)


@dataclass
class IndexEntry:
    date: str
    files: list[tuple[str, int]]   # (name, bytes)
    verified: bool | None          # None: not checked this time (see ``verify-reports``)
    problems: list[str]


def index_entries(reports: Path, verify: bool | set[str] = True) -> list[IndexEntry]:
    """Dated reports, newest first. ``verify``: True re-hashes every folder, a set of dates only
    those (a year of nightly deletion lists is gigabytes: the night checks only its own folder)."""
    entries = []
    for folder in dated_folders(reports):
        check = verify if isinstance(verify, bool) else folder.name in verify
        problems = verify_folder(folder) if check else []
        if not check and read_manifest(folder) is None:
            problems, check = ["manifest.json missing or unreadable"], True
        files = sorted((p.name, p.stat().st_size) for p in folder.iterdir()
                       if not p.is_symlink() and p.is_file() and FILE_NAME.match(p.name))
        files.sort(key=lambda f: (f[0] != "report.html", f[0]))
        entries.append(IndexEntry(folder.name, files, (not problems) if check else None, problems))
    return entries


CERTIFICATES = "certificates"   # written by the retention domain: proof of each disposal, kept apart
CERTIFICATE_FILE = re.compile(r"^deletion-certificate-[A-Za-z0-9_-]{1,64}\.json$")


CERTIFICATE_MANIFEST = "manifest.json"   # written by the retention domain (queries.write_certificate_manifest)


def certificate_manifest(reports: Path) -> dict[str, str] | None:
    """name → sha256 of the certificates the register lists; None when the list is missing or malformed."""
    doc = _json_file(reports / CERTIFICATES / CERTIFICATE_MANIFEST)
    if not isinstance(doc, dict) or not isinstance(doc.get("files"), dict):
        return None
    out = {}
    for name, entry in doc["files"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            return None
        out[name] = entry["sha256"]
    return out


def certificate_files(reports: Path) -> list[tuple[str, int]]:
    """Deletion certificates in ``reports/certificates/`` that its manifest lists, newest first:
    (name, bytes). A file the manifest does not list, or a symbolic link, is never shown."""
    folder = reports / CERTIFICATES
    listed = certificate_manifest(reports) or {}
    if not folder.is_dir() or folder.is_symlink():
        return []
    files = [p for p in folder.iterdir() if not p.is_symlink() and p.is_file() and CERTIFICATE_FILE.match(p.name)
             and p.name in listed]
    files.sort(key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    return [(p.name, p.stat().st_size) for p in files]


def audit_anchors(reports: Path) -> list[audit.Anchor]:
    """The audit heads remembered by the reports (each manifest, oldest first) and the deletion
    certificates; a manifest or certificate that cannot be read, or whose ``audit`` entry is not a
    head, is an anchor that disagrees. Manifests written before anchoring (no ``audit``) are skipped."""
    out: list[audit.Anchor] = []
    for folder in reversed(dated_folders(reports)):
        doc = _json_file(folder / MANIFEST)
        if doc is _MISSING:
            continue
        if isinstance(doc, dict) and "audit" not in doc:
            continue
        out.append(audit.anchor_from(f"report {folder.name} manifest", doc.get("audit") if isinstance(doc, dict) else None))
    certs = reports / CERTIFICATES
    if certs.is_dir():
        for p in sorted(certs.iterdir()):
            if not CERTIFICATE_FILE.match(p.name) or p.is_symlink() or not p.is_file():
                continue
            doc = _json_file(p)
            if isinstance(doc, dict) and "audit" not in doc:
                continue
            out.append(audit.anchor_from(f"certificate {p.name}", doc.get("audit") if isinstance(doc, dict) else None))
    return out


_MISSING = object()


def _json_file(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _MISSING
    except (OSError, ValueError):
        return None
