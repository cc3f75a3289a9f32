"""Cloud API events: changes to earlier messages, never messages of their own.

* edit / revoke: applied to the target message. A target ingested in the same archive is changed before
  anything is written (its earlier text never reaches a store); a target held already is changed in
  EVERY store by the purge engine (lake, warehouse, findings), after the ingest connection is closed.
* reaction / reaction_removed: a row of ``message_reactions`` (target id, keyed author, emoji, time).
* Targets that are not held are counted ("events for unknown messages").
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from o3_governance.ingest.identity import wamid_id
from o3_governance.parsing.model import (EVENT_EDIT, EVENT_REACTION, EVENT_REACTION_REMOVED, EVENT_REVOKE,
                                         MessageEvent)
from o3_governance.vocabulary import BRUSSELS, MESSAGE_REACTIONS

# Cloud API reactions, linked to the message they react to (a reaction is never a message). Created with
# the first reaction: its ``message_id`` column makes every purge remove the reactions of what it deletes.
REACTIONS_DDL = f"""CREATE TABLE IF NOT EXISTS {MESSAGE_REACTIONS} (
    message_id  VARCHAR NOT NULL,
    author_key  VARCHAR NOT NULL,         -- keyed hash of the reacting author's id; never a phone
    emoji       VARCHAR NOT NULL,
    sent_at     TIMESTAMPTZ,
    archive_id  VARCHAR
)"""
REVOKED = {"message_type": "deleted", "body": "", "attachment": None, "media_sha256": None}


def author_key(event: MessageEvent) -> str:
    """The reacting author as a key: a hash of their wa_id / user id (or phone), never the phone itself."""
    who = event.author_id or event.author_phone or ""
    return hashlib.sha256(f"o3-reaction-author\x1f{who}".encode("utf-8")).hexdigest()[:32]


def change_of(event: MessageEvent) -> dict | None:
    if event.kind == EVENT_EDIT:
        return {"body": event.body, "edited": True}
    if event.kind == EVENT_REVOKE:
        return dict(REVOKED)
    return None


@dataclass
class EventOutcome:
    pending_changes: dict[str, dict] = field(default_factory=dict)   # targets in this archive's new rows
    held_changes: dict[str, dict] = field(default_factory=dict)      # targets already in the warehouse
    reactions: dict[tuple[str, str], tuple[str, datetime] | None] = field(default_factory=dict)  # None: removed
    applied: int = 0
    unknown: int = 0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in {"events_applied": self.applied, "events_for_unknown_messages": self.unknown}.items()
                if v}


def resolve(events: list[MessageEvent], in_pending: set[str], in_warehouse: set[str]) -> EventOutcome:
    """What the events of one archive do, in their order (a later change of the same message wins)."""
    out = EventOutcome()
    for ev in sorted(events, key=lambda e: (e.sent_local, e.line_no)):
        target = wamid_id(ev.target_source_id) if ev.target_source_id else ""
        where = out.pending_changes if target in in_pending else out.held_changes if target in in_warehouse else None
        if where is None:
            out.unknown += 1
            continue
        out.applied += 1
        change = change_of(ev)
        if change is not None:
            where.setdefault(target, {}).update(change)
        elif ev.kind == EVENT_REACTION:
            out.reactions[(target, author_key(ev))] = (ev.body, ev.sent_local.replace(tzinfo=BRUSSELS))
        elif ev.kind == EVENT_REACTION_REMOVED:
            out.reactions[(target, author_key(ev))] = None
    return out


def targets(events: list[MessageEvent]) -> set[str]:
    return {wamid_id(e.target_source_id) for e in events if e.target_source_id}


def write_reactions(con, outcome: EventOutcome, archive_id: str) -> None:
    """A reaction replaces the same author's earlier one on the message; a removal deletes it."""
    if not outcome.reactions:
        return
    con.execute(REACTIONS_DDL)
    for (message_id, key), value in outcome.reactions.items():
        con.execute(f"DELETE FROM {MESSAGE_REACTIONS} WHERE message_id = ? AND author_key = ?", [message_id, key])
        if value is not None:
            emoji, sent_at = value
            con.execute(f"INSERT INTO {MESSAGE_REACTIONS} VALUES (?, ?, ?, ?, ?)",
                        [message_id, key, emoji, sent_at, archive_id])


def merge_changes(into: dict[str, dict], more: dict[str, dict]) -> None:
    for mid, change in more.items():
        into.setdefault(mid, {}).update(change)
