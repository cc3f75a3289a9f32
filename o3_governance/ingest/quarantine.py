"""Quarantine, reversible: a file (or folder) that could not be ingested is moved aside unchanged, with its
reason beside it, and registered. Dropped again (same bytes) it is ingested normally; ``retry`` moves the
kept copy back into the inbox for the next night.

Layout: ``quarantine/<archive_id><ext>`` for a file, ``quarantine/<archive_id>/`` for a folder item
(kept as a folder, member paths unchanged, so that its sha256 is the same when it comes back), and
``quarantine/<archive_id><ext>.reason.txt``. Paths we create hold ids, never names; the original
relative name is the registry's ``file_name`` and is where a retry puts the item back.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from o3_governance.storage import audit
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import ARCHIVES

REASON_SUFFIX = ".reason.txt"


def kept_name(archive_id: str, relative_name: str, is_folder: bool) -> str:
    if is_folder:
        return archive_id
    return archive_id + "".join(PurePosixPath(relative_name).suffixes[-1:]).lower()[:12]


def move_aside(layout: DataLayout, path: Path, archive_id: str, relative_name: str, reason: str) -> str:
    """Move the item into quarantine (replacing an earlier copy of the same bytes); returns raw_path."""
    layout.quarantine.mkdir(parents=True, exist_ok=True)
    dest = layout.quarantine / kept_name(archive_id, relative_name, path.is_dir())
    if dest.is_dir():
        shutil.rmtree(dest)
    elif dest.exists():
        dest.unlink()
    shutil.move(str(path), dest)
    dest.with_name(dest.name + REASON_SUFFIX).write_text(reason + "\n", encoding="utf-8")
    return str(dest.relative_to(layout.root))


def remove_kept(layout: DataLayout, raw_path: str) -> None:
    """Remove a kept copy (file or folder) and its reason file."""
    target = layout.root / raw_path
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
    target.with_name(target.name + REASON_SUFFIX).unlink(missing_ok=True)


@dataclass(frozen=True)
class QuarantinedFile:
    archive_id: str
    received_at: datetime
    reason: str | None
    size_bytes: int | None
    kind: str            # the extension (".zip", ".txt", ...), "folder", or "link"; never a name
    kept: bool           # a copy is in the quarantine folder (False once expired or re-queued)


def kind_of(file_name: str, raw_path: str | None, layout: DataLayout | None = None) -> str:
    if raw_path and layout is not None and (layout.root / raw_path).is_dir():
        return "folder"
    suffix = PurePosixPath(file_name or "").suffix.lower()
    return suffix if suffix and len(suffix) <= 10 else "(none)"


def listing(con, layout: DataLayout) -> list[QuarantinedFile]:
    rows = con.execute(f"SELECT archive_id, received_at, reason, size_bytes, file_name, raw_path FROM {ARCHIVES} "
                       "WHERE status = 'quarantined' ORDER BY received_at, archive_id").fetchall()
    out = []
    for archive_id, received, reason, size, file_name, raw_path in rows:
        kind = "link" if reason and reason.startswith("symbolic link") else kind_of(file_name, raw_path, layout)
        out.append(QuarantinedFile(archive_id, received, reason, size, kind,
                                   bool(raw_path) and (layout.root / raw_path).exists()))
    return out


class UnknownArchive(LookupError):
    """No quarantined archive has this id (one line)."""


class NothingToRetry(RuntimeError):
    """The archive is quarantined but no copy is kept any more (expired or already re-queued)."""


def retry(con, layout: DataLayout, archive_id: str, *, now: datetime, run_id: str | None = None) -> str:
    """Move the kept copy of a quarantined archive back into the inbox (where it was found, or under
    ``inbox/retry-<archive_id>/`` when that name is taken); the next night ingests it and its row moves
    from quarantined to ingested. Returns the inbox-relative place (for the caller, never printed)."""
    row = con.execute(f"SELECT file_name, raw_path FROM {ARCHIVES} WHERE archive_id = ? AND status = 'quarantined'",
                      [archive_id]).fetchone()
    if row is None:
        raise UnknownArchive(f"no quarantined archive with id {archive_id}")
    file_name, raw_path = row
    source = layout.root / raw_path if raw_path else None
    if source is None or not source.exists():
        raise NothingToRetry(f"archive {archive_id} has no kept copy any more (expired or already re-queued)")
    target = layout.inbox / PurePosixPath(file_name)
    if target.exists() or target.is_symlink() or layout.inbox.resolve() not in target.resolve().parents:
        target = layout.inbox / f"retry-{archive_id}" / PurePosixPath(file_name).name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), target)
    source.with_name(source.name + REASON_SUFFIX).unlink(missing_ok=True)
    con.execute(f"UPDATE {ARCHIVES} SET raw_path = NULL WHERE archive_id = ?", [archive_id])
    audit.append(con, "archive_retry_requested", {"archive_id": archive_id}, run_id=run_id, ts=now)
    return str(target.relative_to(layout.inbox))
