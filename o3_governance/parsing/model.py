"""What the parsers hand to ingest. Parsers stream: ``ParsedExport.messages`` is an iterator.

The interface between parsing and ingest (issue 11), fixed here before either side is built:

- ``discover(inbox)`` (``parsing.inbox``) walks the inbox tree and returns ``InboxItem``s: a file, or a
  folder that is one archive (an unzipped export: chat text(s) with media beside them; a capture with its
  ``media/``). Symlinks are items of their own, never followed.
- ``open_container(path)`` (``parsing.archive``) opens one item (file or folder) and returns a
  ``ParsedContainer``: every chat text inside it as its own ``ParsedExport`` (a zip or folder may hold
  several); ``open_archive(path)`` stays for one-chat callers.
- While ``messages`` is iterated, a parser *salvages*: a bad record (broken JSON line, bad timestamp, an
  impossible date on a header-like first line, a lone surrogate) becomes a ``RejectedRecord`` with its line
  number and a one-line reason, and parsing goes on. Only a file that is not an export at all raises
  ``NotAnExport``. After ``messages`` is exhausted, ``rejected``, ``events`` and ``counts`` are complete.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Callable, Iterator


class NotAnExport(ValueError):
    """The file cannot be read as a WhatsApp archive. ``str(exc)`` is a one-line reason that names
    the problem (never message content), e.g. "zip is truncated or corrupt"."""


@dataclass(slots=True)
class ParsedMessage:
    sent_local: datetime          # naive wall-clock time as written in the export (or epoch → Brussels)
    author: str | None            # None for system lines; cleaned of U+200E/U+202A/U+202C, NBSP → space
    message_type: str             # text / media / system / deleted (vocabulary.MESSAGE_TYPES)
    body: str                     # no edit marker, no invisible marks; placeholder text for media kept as written
    attachment: str | None = None  # file name as in the export (e.g. IMG-20220323-WA0002.jpg), if any
    edited: bool = False
    author_phone: str | None = None  # E.164 when known (export author that is a number; Cloud API wa_id/phone)
    line_no: int = 0              # 1-based line (or record) where the message starts
    chat_name: str | None = None  # only when one file holds several chats (Cloud API); else the export's
    # --- Cloud API only (None for exports) ---------------------------------------------------------------
    author_id: str | None = None      # wa_id, or the business-scoped user id when the phone is withheld
    source_id: str | None = None      # Meta's message id (wamid): globally unique, the message's identity
    chat_key: str | None = None       # stable conversation key ("<business>:<wa_id or user_id>"), not a name
    media_id: str | None = None       # Meta's media id (expires 7 days after the message)
    media_mime: str | None = None
    media_sha256: str | None = None   # the sha256 the webhook declares for the media, as hex (lower case)
    media_kind: str | None = None     # image / video / audio / document / sticker / contact / location


# Kinds of MessageEvent: changes to an earlier message, never messages of their own.
EVENT_EDIT = "edit"                   # body = the new text; the earlier text must leave every store
EVENT_REVOKE = "revoke"               # the sender deleted the message for everyone: becomes message_type deleted
EVENT_REACTION = "reaction"           # body = the emoji
EVENT_REACTION_REMOVED = "reaction_removed"   # the same author's reaction on the target is gone
EVENT_KINDS = (EVENT_EDIT, EVENT_REVOKE, EVENT_REACTION, EVENT_REACTION_REMOVED)


@dataclass(slots=True)
class MessageEvent:
    kind: str                     # one of EVENT_KINDS
    target_source_id: str         # wamid of the message it applies to
    sent_local: datetime
    line_no: int
    author_id: str | None = None
    author_phone: str | None = None
    body: str = ""                # new text (edit) or emoji (reaction); "" otherwise
    source_id: str | None = None  # the event's own wamid, when it has one


@dataclass(slots=True)
class RejectedRecord:
    line_no: int                  # 1-based line (text) or record (capture) that could not be read
    reason: str                   # one line, never content, e.g. "malformed JSON", "date does not exist"


@dataclass(slots=True)
class MediaRef:
    name: str                      # attachment file name as referenced by messages
    size: int
    open: Callable[[], BinaryIO]   # opens the bytes for reading (caller closes)


@dataclass
class ParsedExport:
    chat_name: str
    source_format: str             # android / ios / cloud_api
    export_language: str | None    # nl / fr / en as told by system lines and placeholders, if known
    messages: Iterator[ParsedMessage]
    media: dict[str, MediaRef] = field(default_factory=dict)
    _close: Callable[[], None] | None = None
    member_name: str | None = None  # the chat text inside its container (zip member / file in a folder)
    # Complete once ``messages`` is exhausted:
    rejected: list[RejectedRecord] = field(default_factory=list)
    events: list[MessageEvent] = field(default_factory=list)
    # Cloud API: statuses, errors, unsupported, system events (request_welcome, user_changed_number, ...)
    # counted by kind; never messages.
    counts: dict[str, int] = field(default_factory=dict)

    def close(self) -> None:
        if self._close:
            self._close()

    def __enter__(self) -> "ParsedExport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class ParsedContainer:
    """One inbox item opened: every chat in it. Close it once (it closes the zip)."""
    chats: list[ParsedExport]
    _close: Callable[[], None] | None = None

    def close(self) -> None:
        for chat in self.chats:
            chat.close()
        if self._close:
            self._close()

    def __enter__(self) -> "ParsedContainer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


ITEM_FILE = "file"                 # one file, its own archive
ITEM_FOLDER = "folder"             # an unzipped export or a capture with its media: one archive
ITEM_SYMLINK = "symlink"           # never followed: registered (quarantined with a reason) and removed


@dataclass(frozen=True)
class InboxItem:
    kind: str                      # ITEM_FILE / ITEM_FOLDER / ITEM_SYMLINK
    path: Path                     # the file, folder or link
    relative_name: str             # path relative to the inbox, "/"-separated (the registry's file_name)
    members: tuple[Path, ...] = ()  # ITEM_FOLDER: every file that belongs to it, sorted
