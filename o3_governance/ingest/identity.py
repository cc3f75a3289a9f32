"""Message identity (v2) and chat matching, as SQL over DuckDB relations.

A message's identity no longer depends on the file name or on the language of the export:

* ``message_id`` (v2) = the first 32 hex of sha256('o3m2' ␟ chat_id ␟ local time to the second ␟
  author ␟ message_type ␟ body key ␟ occurrence). The *body key* is the body for ``text`` and empty for
  ``media`` / ``system`` / ``deleted``: their text is WhatsApp's placeholder in the phone's language, or an
  attachment file name that differs with and without media. ``occurrence`` tells identical messages of a
  chat apart (their order in the export).
* Cloud API messages carry Meta's globally unique id (wamid): ``message_id`` = sha256('o3m2' ␟ 'wamid' ␟
  wamid), so an edit, a revoke or a reaction finds its target whatever else changed.
* ``content_key`` = the same hash without the chat: what chat matching compares between an incoming
  chat and the chats already held (renamed, re-localised, with or without media).
* v1 ids (before the migration: chat name as written, raw body) are still computed for incoming
  messages, only to look them up among the fingerprints of messages purged before the migration.
"""
from __future__ import annotations

from dataclasses import dataclass

from o3_governance.parsing import phrases
from o3_governance.storage import lake

SEP = "chr(31)"
TS_SQL = "strftime(sent_local, '%Y-%m-%dT%H:%M:%S')"
BODY_KEY_SQL = "CASE WHEN message_type = 'text' THEN coalesce(body, '') ELSE '' END"
# Partition of identical messages within one chat: occurrence = their rank by line, from 0.
OCCURRENCE_PARTITION = "sent_local, author, message_type, body_key"


def content_key_sql(occurrence: str = "occurrence") -> str:
    """content_key of a relation with sent_local, author, message_type, body_key and ``occurrence``."""
    return (f"sha256(concat_ws({SEP}, {TS_SQL}, coalesce(author, ''), message_type, body_key, "
            f"{occurrence}::VARCHAR))")


def v2_id_sql(chat_id: str, occurrence: str = "occurrence") -> str:
    """The v2 message_id of an export message, in chat ``chat_id`` (an SQL expression)."""
    return (f"substr(sha256(concat_ws({SEP}, 'o3m2', {chat_id}, {TS_SQL}, coalesce(author, ''), message_type, "
            f"body_key, {occurrence}::VARCHAR)), 1, 32)")


def wamid_id_sql(source_id: str) -> str:
    """The v2 message_id of a Cloud API message: its wamid alone (globally unique)."""
    return f"substr(sha256(concat_ws({SEP}, 'o3m2', 'wamid', {source_id})), 1, 32)"


def wamid_id(source_id: str) -> str:
    """:func:`wamid_id_sql` in Python (event targets)."""
    import hashlib

    return hashlib.sha256(f"o3m2\x1fwamid\x1f{source_id}".encode("utf-8")).hexdigest()[:32]


def v1_id_sql(chat_name: str, body: str, occurrence: str) -> str:
    """The v1 message_id (before the migration): chat name as written, raw body."""
    return (f"substr(sha256(concat_ws({SEP}, {chat_name}, {TS_SQL}, coalesce(author, ''), {body}, "
            f"{occurrence}::VARCHAR)), 1, 32)")


def clash_chat_id(identity: str, archive_id: str) -> str:
    """The chat id of a genuinely new chat whose name is already taken by a chat of other content."""
    import hashlib

    return hashlib.sha256(f"{identity}\x1f{archive_id}".encode("utf-8")).hexdigest()[:16]


def _case_variants(phrase: str) -> set[str]:
    """Spellings WhatsApp writes of a casefolded phrase: as is, first letter capitalised, 'GIF'."""
    out = {phrase}
    for p in (phrase, phrase.replace("gif", "GIF")):
        out.add(p)
        for i, ch in enumerate(p):
            if ch.isalpha():
                out.add(p[:i] + ch.upper() + p[i + 1:])
                break
    return out


def placeholder_spellings() -> dict[str, list[str]]:
    """message_type -> the bodies a media or deleted message had in an export, in each language."""
    media: set[str] = set()
    for phrase in phrases.OMITTED:
        media |= _case_variants(phrase)
    deleted: set[str] = set()
    for phrase in phrases.DELETED:
        for v in _case_variants(phrase):
            deleted |= {v, v + "."}
    return {"media": sorted(media), "deleted": sorted(deleted)}


# --- chat matching ----------------------------------------------------------------------------------

MIN_OVERLAP = 5          # messages in common that make a match (or all of a shorter chat)
MIN_OVERLAP_SHARE = 0.3  # of the smaller of the two chats
CLASH_MIN_MESSAGES = 5   # both sides this many messages in a shared time range, none in common: another chat


@dataclass(frozen=True)
class Candidate:
    chat_id: str
    chat_name: str | None
    overlap: int         # incoming messages (not system) present in the chat, or purged from it
    known: int           # the chat's messages (not system) held, plus those purged from it
    same_name: bool
    in_range_existing: int = 0   # the chat's messages inside the incoming time range
    in_range_incoming: int = 0   # incoming messages inside the chat's time range


@dataclass(frozen=True)
class ChatDecision:
    chat_id: str
    chat_name: str       # the name the messages take (the existing chat's, when joined by content)
    chat_match: str      # name / content / new
    overlap: int = 0


def decide(chat_name: str, identity: str, incoming: int, candidates: list[Candidate], archive_id: str,
           default_chat_id: str) -> ChatDecision:
    """Which chat an incoming chat (named ``chat_name``; ``identity``: its name, or its Cloud API
    conversation key) is: the one it overlaps most (enough, see MIN_OVERLAP*), else the chat of its
    name unless that one clearly holds other content, else a new chat."""
    def enough(c: Candidate) -> bool:
        need = max(1, min(MIN_OVERLAP, incoming))
        return c.overlap >= need and c.overlap >= MIN_OVERLAP_SHARE * min(incoming, max(c.known, 1))

    matched = sorted((c for c in candidates if enough(c)), key=lambda c: (-c.overlap, not c.same_name, c.chat_id))
    if matched:
        best = matched[0]
        return ChatDecision(best.chat_id, best.chat_name or chat_name, "name" if best.same_name else "content",
                            best.overlap)
    named = sorted((c for c in candidates if c.same_name), key=lambda c: (c.chat_id != default_chat_id, c.chat_id))
    if named:
        c = named[0]
        clearly_other = (c.overlap == 0 and c.in_range_existing >= CLASH_MIN_MESSAGES
                         and c.in_range_incoming >= CLASH_MIN_MESSAGES)
        if not clearly_other:
            return ChatDecision(c.chat_id, c.chat_name or chat_name, "name", c.overlap)
        return ChatDecision(clash_chat_id(identity, archive_id), chat_name, "new")
    return ChatDecision(default_chat_id, chat_name, "new")


def default_chat_id(chat_name: str, chat_key: str | None) -> str:
    """A new chat's id: today's ``chat_id_for(name)`` for exports, the conversation key for the Cloud API."""
    return lake.chat_id_for(chat_key if chat_key else chat_name)
