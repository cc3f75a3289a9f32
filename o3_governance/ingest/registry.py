"""The archive registry: one ``archives`` row per inbox item, its chats, its rejected records and the
history of its status. Ids, counts and one-line reasons only; never message content."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from o3_governance.storage.hashing import sha256_file
from o3_governance.vocabulary import ARCHIVE_CHATS, ARCHIVE_HISTORY, ARCHIVE_REJECTS, ARCHIVES

QUARANTINED, INGESTED, PARTIAL, DUPLICATE = "quarantined", "ingested", "partial", "duplicate"
# Not a registry status: the item stays in the inbox because of a fault of the system (not of the file).
RETRY_LATER = "retry_later"
# The order in which an archive's chats say what happened to it (archives.chat_match).
MATCH_NOTABILITY = {"content": 0, "new": 1, "name": 2}


class SystemFault(Exception):
    """Our own folders or warehouse failed (a media folder we cannot write, a full disk): the item is
    not to blame and stays in the inbox for the next night. ``str()`` is one line without paths."""


@dataclass
class ChatResult:
    position: int            # 1-based among the archive's chats
    member: int              # 1-based: the chat text within the container
    chat_id: str
    chat_match: str
    message_count: int = 0
    new_message_count: int = 0
    chat_name: str | None = field(default=None, repr=False)   # for the registry row; never logged


@dataclass
class ArchiveResult:
    archive_id: str
    file_name: str
    status: str  # ingested / partial / duplicate / quarantined, or retry_later (not registered)
    reason: str | None = None
    message_count: int = 0
    new_message_count: int = 0
    media_count: int = 0
    rejected_count: int = 0
    chats: list[ChatResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    previous_status: str | None = None   # set when an existing row (quarantined) was taken up again

    @property
    def chat_count(self) -> int:
        return len(self.chats)

    @property
    def chat_match(self) -> str | None:
        """The decision of a one-chat archive; for several, the most notable (content > new > name)."""
        if not self.chats:
            return None
        return min((c.chat_match for c in self.chats), key=lambda m: MATCH_NOTABILITY.get(m, 9))


def item_sha256(kind_folder: bool, path: Path, members: tuple[Path, ...] = ()) -> str:
    """A file's sha256; a folder's: sha256 over its sorted (relative member path, member sha256)."""
    if not kind_folder:
        return sha256_file(path)
    h = hashlib.sha256(b"o3-folder\n")
    for member in sorted(members, key=lambda p: p.relative_to(path).as_posix()):
        h.update(f"{member.relative_to(path).as_posix()}\x1f{sha256_file(member)}\n".encode("utf-8"))
    return h.hexdigest()


def rows_for(con, sha: str) -> list[tuple[str, str, datetime]]:
    """(archive_id, status, received_at) of every row registered for these bytes, oldest first."""
    return con.execute(f"SELECT archive_id, status, received_at FROM {ARCHIVES} WHERE sha256 = ? "
                       "ORDER BY received_at, archive_id", [sha]).fetchall()


def new_archive_id(con, sha: str) -> str:
    """The first registration of some bytes is named by their hash; a later byte-identical copy
    gets a name of its own (same hash, counted), so every file seen has its own row."""
    seen = con.execute(f"SELECT count(*) FROM {ARCHIVES} WHERE sha256 = ?", [sha]).fetchone()[0]
    return sha[:20] if seen == 0 else hashlib.sha256(f"{sha}:{seen}".encode()).hexdigest()[:20]


def register(con, result: ArchiveResult, sha: str, size: int, received_at: datetime, *, source_format=None,
             chat_id=None, chat_name=None, raw_path=None) -> None:
    """Insert the row, or, for a row taken up again (``result.previous_status``), update it and
    record the change in ``archive_history``."""
    counts = json.dumps(result.counts, sort_keys=True) if result.counts else None
    values = [result.status, result.reason, result.message_count, result.new_message_count, result.media_count,
              source_format, chat_id, chat_name, size, received_at, raw_path, result.chat_count, result.chat_match,
              result.rejected_count, counts]
    if result.previous_status is None:
        con.execute(
            f"INSERT INTO {ARCHIVES} (archive_id, file_name, sha256, status, reason, message_count, "
            "new_message_count, media_count, source_format, chat_id, chat_name, size_bytes, received_at, raw_path, "
            "chat_count, chat_match, rejected_count, counts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [result.archive_id, result.file_name, sha, *values])
        return
    old_reason = con.execute(f"SELECT reason FROM {ARCHIVES} WHERE archive_id = ?", [result.archive_id]).fetchone()
    con.execute(
        f"UPDATE {ARCHIVES} SET status = ?, reason = ?, message_count = ?, new_message_count = ?, media_count = ?, "
        "source_format = ?, chat_id = ?, chat_name = ?, size_bytes = ?, received_at = ?, raw_path = ?, "
        "raw_removed_at = NULL, chat_count = ?, chat_match = ?, rejected_count = ?, counts = ?, file_name = ? "
        "WHERE archive_id = ?", [*values, result.file_name, result.archive_id])
    con.execute(f"INSERT INTO {ARCHIVE_HISTORY} VALUES (?, ?, ?, ?, ?)",
                [result.archive_id, result.previous_status, result.status, received_at,
                 old_reason[0] if old_reason else None])
    # The rows of the earlier attempt are replaced by this one's.
    con.execute(f"DELETE FROM {ARCHIVE_CHATS} WHERE archive_id = ?", [result.archive_id])
    con.execute(f"DELETE FROM {ARCHIVE_REJECTS} WHERE archive_id = ?", [result.archive_id])


def write_chats(con, result: ArchiveResult) -> None:
    if result.chats:
        con.executemany(f"INSERT INTO {ARCHIVE_CHATS} VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [[result.archive_id, c.position, c.member, c.chat_id, c.chat_match, c.message_count,
                          c.new_message_count] for c in result.chats])


def write_rejects(con, archive_id: str, rejects: list[tuple[int, int, str]]) -> None:
    """(member, line_no, reason) of the records that could not be read."""
    if rejects:
        con.executemany(f"INSERT INTO {ARCHIVE_REJECTS} VALUES (?, ?, ?, ?)",
                        [[archive_id, m, n, r] for m, n, r in rejects])


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]


def system_fault(exc: BaseException) -> SystemFault:
    """A SystemFault naming the kind of failure (class and errno name), never a path."""
    import errno as _errno

    code = getattr(exc, "errno", None)
    name = _errno.errorcode.get(code, "") if isinstance(code, int) else ""
    return SystemFault(f"{type(exc).__name__}{' ' + name if name else ''}")


def is_system_error(exc: BaseException) -> bool:
    return isinstance(exc, (OSError, duckdb.IOException, duckdb.OutOfMemoryException))
