"""One line about a failure, without content: what the register, logs, run events and the CLI say
when something went wrong.

Exception texts are only shown when the code that raised them wrote them to hold no content (no
message text, names, phone numbers or other identifiers): exceptions that derive from
:class:`ContentFree`, or types a caller names as such. Anything else (a library's message could
quote a value it choked on) is shown by its type only."""
from __future__ import annotations

MAX_CHARS = 200


class ContentFree:
    """Mixin for exceptions whose messages are written by this code and hold no personal data."""


def one_line(exc: BaseException, *, trusted: tuple[type[BaseException], ...] = (), limit: int = MAX_CHARS) -> str:
    """``Type: first line of the message`` for a :class:`ContentFree` exception (or one of the
    ``trusted`` types) with a message; only ``Type`` for anything else. At most ``limit`` characters."""
    name = type(exc).__name__
    text = str(exc).strip()
    if text and isinstance(exc, (ContentFree, *trusted)):
        return f"{name}: {text.splitlines()[0]}"[:limit]
    return name[:limit]
