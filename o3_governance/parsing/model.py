"""What the parsers hand to ingest. Parsers stream: ``ParsedExport.messages`` is an iterator."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO, Callable, Iterator


class NotAnExport(ValueError):
    """The file cannot be read as a WhatsApp archive. ``str(exc)`` is a one-line reason that names
    the problem (never message content), e.g. "zip is truncated or corrupt"."""


@dataclass(slots=True)
class ParsedMessage:
    sent_local: datetime          # naive wall-clock time as written in the export (or epoch → Brussels)
    author: str | None            # None for Android system lines; cleaned of U+200E/U+202A/U+202C, NBSP → space
    message_type: str             # text / media / system / deleted
    body: str                     # no edit marker, no invisible marks; placeholder text for media kept as written
    attachment: str | None = None  # file name as in the export (e.g. IMG-20220323-WA0002.jpg), if any
    edited: bool = False
    author_phone: str | None = None  # E.164 when the author is a phone number / wa_id
    line_no: int = 0              # 1-based line (or record) where the message starts
    chat_name: str | None = None  # only when one file holds several chats (Cloud API); else the export's


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

    def close(self) -> None:
        if self._close:
            self._close()

    def __enter__(self) -> "ParsedExport":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
