"""The purge ledger: every purge (disposal, erasure, redaction, a sender's change) appends one line to
``ledger.jsonl`` in a folder outside the data folder (``O3_LEDGER_DIR``), so that a restored backup can
re-apply every purge done after its snapshot before anyone reads it.

A line holds the purge's id, time and event, the fingerprints of the deleted ids (the tombstones of
``purge.tombstones``, readable without the key) and the whole request — ids and the new values of
redacted or anonymised messages — sealed with the backup key (AES-GCM), since new values are text.
Lines are only appended (fsync'd); a snapshot remembers how many lines and their sha256, so a restore
replays exactly the lines after it and refuses a ledger whose earlier part changed.

The entry points configure the ledger for a block (:func:`configured`); without one, nothing is
recorded (and backups refuse to run).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from o3_governance.storage import sealing

LEDGER_FILE = "ledger.jsonl"
_config: dict[str, Any] = {"ledger": None}


@dataclass(frozen=True)
class Ledger:
    folder: Path
    key: bytes

    @property
    def path(self) -> Path:
        return self.folder / LEDGER_FILE


@dataclass(frozen=True)
class Entry:
    number: int            # 1-based line number
    purge_id: str
    at: str
    event: str
    tombstones: list[str]
    request: dict          # delete_ids, updates, new_findings


@contextmanager
def configured(ledger: Ledger | None) -> Iterator[None]:
    """For the block, purges append to ``ledger`` (None: to no ledger)."""
    before = _config["ledger"]
    _config["ledger"] = ledger
    try:
        yield
    finally:
        _config["ledger"] = before


def current() -> Ledger | None:
    return _config["ledger"]


def record(*, purge_id: str, at: datetime, event: str, tombstones: list[str], request: dict) -> bool:
    """Appends one purge to the configured ledger; False when none is configured."""
    ledger = current()
    if ledger is None:
        return False
    label = f"ledger:{purge_id}"
    sealed = sealing.seal_bytes(ledger.key, label, json.dumps(request, sort_keys=True).encode("utf-8"))
    line = json.dumps({"purge_id": purge_id, "at": at.isoformat(), "event": event,
                       "tombstones": sorted(tombstones), "request": base64.b64encode(sealed).decode("ascii")},
                      sort_keys=True, separators=(",", ":")) + "\n"
    ledger.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(ledger.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def position(ledger: Ledger) -> tuple[int, str]:
    """(lines, sha256 of those lines' bytes): where a snapshot taken now stands in the ledger."""
    data = ledger.path.read_bytes() if ledger.path.exists() else b""
    lines = data.count(b"\n")
    return lines, hashlib.sha256(data[:_end_of_line(data, lines)]).hexdigest()


def _end_of_line(data: bytes, lines: int) -> int:
    end = 0
    for _ in range(lines):
        end = data.index(b"\n", end) + 1
    return end


class LedgerError(ValueError):
    """A ledger that disagrees with a snapshot, or a line that does not open: one line, no content."""


def entries_after(ledger: Ledger, lines: int, prefix_sha256: str) -> list[Entry]:
    """The entries after the first ``lines`` lines, once those lines are checked against
    ``prefix_sha256`` (what the snapshot recorded); every request is opened with the key."""
    data = ledger.path.read_bytes() if ledger.path.exists() else b""
    if data.count(b"\n") < lines:
        raise LedgerError(f"the ledger {ledger.path} has fewer lines than when the snapshot was taken")
    cut = _end_of_line(data, lines)
    if hashlib.sha256(data[:cut]).hexdigest() != prefix_sha256:
        raise LedgerError(f"the ledger {ledger.path} changed before the snapshot's position: it cannot be trusted")
    out = []
    for number, raw in enumerate(data[cut:].splitlines(), start=lines + 1):
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
            request = json.loads(sealing.open_bytes(ledger.key, f"ledger:{doc['purge_id']}",
                                                    base64.b64decode(doc["request"])))
        except sealing.SealError:
            raise LedgerError(f"ledger line {number} does not open with the backup key") from None
        except (ValueError, KeyError):
            raise LedgerError(f"ledger line {number} is not a ledger entry") from None
        out.append(Entry(number, doc["purge_id"], doc["at"], doc["event"], doc["tombstones"], request))
    return out
