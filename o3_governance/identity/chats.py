"""How a chat named in the policy (a legal hold's or a rule's ``chats:``) is compared with the chat
names the exports carry: the way people read them, not byte for byte.

Two spellings name the same chat when they agree after: invisible formatting characters (bidi marks
and overrides, zero-width joiners: Unicode category Cf) are dropped; compatibility forms are unfolded
and accents removed (NFKD without combining marks); letter case is folded (``casefold``: ß = ss);
and every run of spaces and punctuation (``-``, ``_``, ``.``, ``,``, ``'``, brackets …: Unicode
categories Z* and P*) becomes one space, trimmed at both ends. So "Client Bruxelles", "client
bruxelles", "CLIENT  BRUXELLES", "Client Bruxellès" and "Client-Bruxelles" are one chat. Letters,
digits and symbols such as emoji still count: "Werf Leuven 2" is not "Werf Leuven".

For a legal hold, matching a near-spelling is the safe direction: it keeps more, never less. A
policy entry may also be a chat id (the 16 hex characters of ``chat_id``), compared case-insensitively.
"""
from __future__ import annotations

import unicodedata


def normalise_chat_name(text: str | None) -> str:
    """The comparison key of a chat name (see the module's description); "" for none."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())  # folded first: "İ" folds to i + a mark
    out: list[str] = []
    for c in decomposed:
        category = unicodedata.category(c)
        if category == "Cf" or unicodedata.combining(c):
            continue
        if category[0] in "ZP" or c.isspace() or category == "Cc":
            out.append(" ")
        else:
            out.append(c)
    return " ".join("".join(out).split())


def normalise_chat_id(text: str | None) -> str:
    """A chat id as a policy may write it (any case, stray spaces)."""
    return (text or "").strip().lower()


# Bidi embeddings, overrides, isolates and marks reorder or hide what follows them on screen (an RTL
# override turns "gpj.exe" into "exe.jpg"); control characters (newlines, tabs, escapes) and the
# Unicode line and paragraph separators break a table row or a terminal line.
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C))
REPLACEMENT = "\ufffd"


def printable(text: str | None) -> str:
    """``text`` safe to print on one line, in a terminal table, an HTML page or a text file: bidi
    controls removed, control characters and line/paragraph separators shown as U+FFFD (so a name
    that holds one is visibly odd rather than silently changed). Every place that prints a chat
    name (or any other name from the data or the policy) prints it through this."""
    if not text:
        return ""
    out = []
    for c in str(text):
        if c in _BIDI:
            continue
        if unicodedata.category(c) in ("Cc", "Zl", "Zp"):
            out.append(REPLACEMENT)
        else:
            out.append(c)
    return "".join(out)
