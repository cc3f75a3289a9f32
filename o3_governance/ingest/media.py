"""Content-addressed media: ``media/<sha[:2]>/<sha256><ext>``; identical files are stored once.

Media are stored only for messages that are actually inserted (never for duplicates or purged ones:
an older re-export must not bring back the photo of a deleted message). A capture's media are checked
against the sha256 the webhook declared; a mismatch is not stored (counted; the message is kept)."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from o3_governance.ingest.registry import system_fault
from o3_governance.parsing.archive import too_large

# Meta keeps a media id downloadable this long after the message (NOTES §6): older, it never can be.
MEDIA_ID_LIFETIME = timedelta(days=7)


class MediaMismatch(ValueError):
    """The bytes differ from the sha256 the webhook declared."""


class MediaStore:
    """At most ``max_bytes`` are copied in all (beyond: NotAnExport); the partial copy never stays.
    A failure to write our own folders is a SystemFault; a failure to read the source is the file's."""

    def __init__(self, root: Path, work: Path, max_bytes: int | None = None) -> None:
        self.root = root
        self.work = work
        self.max_bytes = max_bytes
        self.copied = 0
        self.stored: set[str] = set()   # shas this store wrote or found (for cleanup after a failure)

    def path_for(self, sha: str, ext: str) -> Path:
        return self.root / sha[:2] / f"{sha}{ext}"

    def put(self, ref, expected_sha256: str | None = None) -> str:
        ext = Path(ref.name).suffix.lower()[:10]
        tmp = self.work / f"media-{os.getpid()}.part"
        h = hashlib.sha256()
        try:
            self.work.mkdir(parents=True, exist_ok=True)
            dst = open(tmp, "wb")
        except OSError as exc:
            raise system_fault(exc) from None
        try:
            with dst, ref.open() as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    self.copied += len(chunk)
                    if self.max_bytes is not None and self.copied > self.max_bytes:
                        raise too_large(self.max_bytes)
                    h.update(chunk)
                    try:
                        dst.write(chunk)
                    except OSError as exc:
                        raise system_fault(exc) from None
            sha = h.hexdigest()
            if expected_sha256 and expected_sha256.lower() != sha:
                raise MediaMismatch("media sha256 differs from the webhook's")
            dest = self.path_for(sha, ext)
            try:
                if not dest.exists():
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp, dest)
            except OSError as exc:
                raise system_fault(exc) from None
        finally:
            tmp.unlink(missing_ok=True)
        self.stored.add(sha)
        return sha


@dataclass
class MediaCounts:
    stored: int = 0
    sha_mismatch: int = 0
    not_captured: int = 0          # a capture's media id with no file beside it
    not_captured_expired: int = 0  # of those, older than 7 days at ``now``: Meta will never give them

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in {"media_stored": self.stored, "media_sha_mismatch": self.sha_mismatch,
                                  "media_not_captured": self.not_captured,
                                  "media_not_captured_expired": self.not_captured_expired}.items() if v}


def expired(sent_at: datetime | None, now: datetime) -> bool:
    return sent_at is not None and sent_at + MEDIA_ID_LIFETIME < now
