"""The crash journal of a purge: ``tmp/purge-journal-<purge_id>.json`` holds the whole plan before
anything changes, and the steps done so far. It holds message ids and the new values only, never the
old text. A finished purge leaves no journal; its counts are read back from its audit event.

Also the small durable-write helpers the steps share (fsync of a file and of its folder)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from o3_governance.storage.layout import DataLayout
from o3_governance.storage import warehouse
from o3_governance.vocabulary import AUDIT_LOG

JOURNAL_PREFIX = "purge-journal-"


def journal_path(layout: DataLayout, purge_id: str) -> Path:
    return layout.work / f"{JOURNAL_PREFIX}{purge_id}.json"


def pending_journals(layout: DataLayout) -> list[Path]:
    """Journals of purges a crash interrupted, oldest first."""
    if not layout.work.exists():
        return []
    found = [(json.loads(p.read_text()).get("created_at", ""), p) for p in layout.work.glob(f"{JOURNAL_PREFIX}*.json")]
    return [p for _, p in sorted(found)]


def purge_id_of(path: Path) -> str:
    return path.name[len(JOURNAL_PREFIX):-len(".json")]


def read_journal(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_journal(layout: DataLayout, journal: dict) -> None:
    path = journal_path(layout, journal["purge_id"])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(journal, sort_keys=True, default=str), encoding="utf-8")
    fsync_file(tmp)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def remove_journal(layout: DataLayout, purge_id: str) -> None:
    journal_path(layout, purge_id).unlink(missing_ok=True)


def completed_counts(layout: DataLayout, purge_id: str) -> tuple[str, dict] | None:
    """(event, counts) of a finished purge, from its audit event; None when it has not finished."""
    if not layout.warehouse.exists():
        return None
    with warehouse.open_warehouse(layout.warehouse) as con:
        rows = con.execute(
            f"SELECT event, details FROM {AUDIT_LOG} WHERE contains(details, ?) ORDER BY seq DESC",
            [f'"purge_id":"{purge_id}"']).fetchall()
    for event, details in rows:
        purge = json.loads(details).get("purge") or {}
        if purge.get("purge_id") == purge_id:
            return event, purge
    return None


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
