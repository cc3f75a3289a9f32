"""Retention events: the dates a period can count from ("project closed", "contract ended",
"employee left"), recorded by a person for a chat or for a subject.

An event names a chat by its id, or a subject (a phone number or a name) by a keyed hash only: the
same key as the rights register (``O3_SUBJECT_KEY`` or ``<data>/.secret/subject_key``), which the
shell hands over. A subject event covers what that person wrote. Withdrawing an event is recorded
(``withdrawn_at``), never a delete, and its messages wait again. Every change is an audit-log event;
the free-text reason stays in this table and never reaches the audit log or a report."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date, datetime

import duckdb

from o3_governance.identity.chats import normalise_chat_id, normalise_chat_name
from o3_governance.identity.matching import normalize_name
from o3_governance.retention.approvals import person_name
from o3_governance.retention.policy import Policy, normalize_phone
from o3_governance.storage import audit, warehouse
from o3_governance.vocabulary import MESSAGES, RETENTION_EVENTS

SCHEMA = f"""CREATE TABLE IF NOT EXISTS {RETENTION_EVENTS} (
    event_id         VARCHAR NOT NULL,
    event_type       VARCHAR NOT NULL,
    chat_id          VARCHAR,            -- a chat event
    subject_key      VARCHAR,            -- a subject event: keyed hash of the phone (E.164) or the name
    event_date       DATE NOT NULL,
    reason           VARCHAR,            -- free text: stays here, never in the audit log or a report
    recorded_at      TIMESTAMPTZ NOT NULL,
    recorded_by      VARCHAR NOT NULL,
    withdrawn_at     TIMESTAMPTZ,
    withdrawn_by     VARCHAR,
    withdraw_reason  VARCHAR
)"""
AUTHOR_KEYS_VIEW = "rt_author_keys"   # (author, author_phone, subject_key), registered per connection


class EventError(ValueError):
    """An event that cannot be recorded or withdrawn: one line, no personal data."""


@dataclass(frozen=True)
class Event:
    event_id: str
    event_type: str
    chat_id: str | None
    subject: bool
    event_date: date
    recorded_at: datetime
    recorded_by: str
    withdrawn_at: datetime | None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SCHEMA)


def subject_key(secret: bytes, subject: str) -> str:
    """The keyed hash of a subject: a phone number (any usual spelling, as E.164) or a name (folded the
    way the rights module folds names). Raises :class:`EventError` for a subject that is neither."""
    if re.search(r"[^\W\d_]", subject):
        value = "name\x1f" + normalize_name(subject)
    else:
        phone = normalize_phone(subject)
        if phone is None:
            raise EventError("--subject without letters must be a valid phone number")
        value = "phone\x1f" + phone
    return hmac.new(secret, b"o3-retention-subject\x1f" + value.encode("utf-8"), hashlib.sha256).hexdigest()


def resolve_chat(con: duckdb.DuckDBPyConnection, chat: str) -> str:
    """The chat id of ``chat`` (a chat name as people read it, or a chat id)."""
    wanted_name, wanted_id = normalise_chat_name(chat), normalise_chat_id(chat)
    ids: set[str] = set()
    if warehouse.table_exists(con, MESSAGES):
        for chat_id, name in con.execute(f"SELECT DISTINCT chat_id, chat_name FROM {MESSAGES}").fetchall():
            if chat_id == wanted_id or (name is not None and normalise_chat_name(name) == wanted_name):
                ids.add(chat_id)
    if not ids:
        raise EventError("--chat matches no chat in the warehouse")
    if len(ids) > 1:
        raise EventError(f"--chat matches {len(ids)} chats: give the chat id instead (see the report)")
    return ids.pop()


def record(con: duckdb.DuckDBPyConnection, policy: Policy, *, event_type: str, event_date: date,
           recorded_by: str, now: datetime, chat: str | None = None, subject: str | None = None,
           secret: bytes | None = None, reason: str | None = None, run_id: str | None = None) -> str:
    """Record an event for a chat or a subject; returns its id."""
    if event_type not in policy.event_types:
        known = ", ".join(policy.event_types) or "none"
        raise EventError(f"unknown event type: the policy declares {known}")
    recorded_by = person_name(recorded_by, "--recorded-by")
    if (chat is None) == (subject is None):
        raise EventError("give exactly one of --chat and --subject")
    ensure_schema(con)
    chat_id = resolve_chat(con, chat) if chat is not None else None
    key = None
    if subject is not None:
        if secret is None:
            raise ValueError("a subject event needs the subject key")
        key = subject_key(secret, subject)
    event_id = "ev-" + hashlib.sha256(
        f"{event_type}|{chat_id}|{key}|{event_date}|{now.isoformat()}".encode()).hexdigest()[:12]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"INSERT INTO {RETENTION_EVENTS} (event_id, event_type, chat_id, subject_key, event_date, reason, "
                    "recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [event_id, event_type, chat_id, key, event_date, (reason or "").strip() or None, now, recorded_by])
        audit.append(con, "retention_event_recorded",
                     {"event_id": event_id, "event_type": event_type, "event_date": event_date.isoformat(),
                      "chat_id": chat_id, "subject": key is not None}, run_id=run_id, ts=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return event_id


def withdraw(con: duckdb.DuckDBPyConnection, event_id: str, *, withdrawn_by: str, reason: str, now: datetime,
             run_id: str | None = None) -> None:
    """Mark an event withdrawn (its messages wait again); the row stays."""
    withdrawn_by = person_name(withdrawn_by, "--recorded-by")
    if not (reason or "").strip():
        raise EventError("--reason must say why the event is withdrawn")
    ensure_schema(con)
    found = con.execute(f"SELECT withdrawn_at FROM {RETENTION_EVENTS} WHERE event_id = ?", [event_id]).fetchall()
    if not found:
        raise EventError("no retention event with this id (see: o3-governance event list)")
    if found[0][0] is not None:
        raise EventError("this event was already withdrawn")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"UPDATE {RETENTION_EVENTS} SET withdrawn_at = ?, withdrawn_by = ?, withdraw_reason = ? "
                    "WHERE event_id = ?", [now, withdrawn_by, reason.strip(), event_id])
        audit.append(con, "retention_event_withdrawn", {"event_id": event_id}, run_id=run_id, ts=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def list_events(con: duckdb.DuckDBPyConnection) -> list[Event]:
    """Every event, withdrawn ones too, oldest first (no reason, no subject)."""
    if not warehouse.table_exists(con, RETENTION_EVENTS):
        return []
    return [Event(*r) for r in con.execute(
        f"SELECT event_id, event_type, chat_id, subject_key IS NOT NULL, event_date, recorded_at, recorded_by, "
        f"withdrawn_at FROM {RETENTION_EVENTS} ORDER BY recorded_at, event_id").fetchall()]


def has_subject_events(con: duckdb.DuckDBPyConnection) -> bool:
    return warehouse.table_exists(con, RETENTION_EVENTS) and con.execute(
        f"SELECT count(*) FROM {RETENTION_EVENTS} WHERE subject_key IS NOT NULL AND withdrawn_at IS NULL"
    ).fetchall()[0][0] > 0


def register_author_keys(con: duckdb.DuckDBPyConnection, secret: bytes | None) -> None:
    """``rt_author_keys`` (author, author_phone, subject_key): each author of ``messages`` under the keyed
    hash of their phone and of their name, so that a subject event finds what that person wrote."""
    authors, phones, keys = [], [], []
    # Asked first either way: its fetch also settles a result a caller left open, which register refuses.
    if has_subject_events(con) and secret is not None:
        for author, phone in con.execute(
                f"SELECT DISTINCT author, author_phone FROM {MESSAGES} "
                "WHERE author IS NOT NULL OR author_phone IS NOT NULL").fetchall():
            for subject in (phone, author):
                if not subject:
                    continue
                try:
                    key = subject_key(secret, subject)
                except EventError:  # an author spelled as digits that are no phone number
                    continue
                authors.append(author), phones.append(phone), keys.append(key)
    warehouse.register_columns(con, AUTHOR_KEYS_VIEW, {"author": authors, "author_phone": phones, "subject_key": keys})


def active_events_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The events in force (not withdrawn), as a SELECT of event_type, chat_id, subject_key, event_date."""
    if warehouse.table_exists(con, RETENTION_EVENTS):
        return (f"SELECT event_type, chat_id, subject_key, event_date FROM {RETENTION_EVENTS} "
                "WHERE withdrawn_at IS NULL")
    return ("SELECT NULL::VARCHAR AS event_type, NULL::VARCHAR AS chat_id, NULL::VARCHAR AS subject_key, "
            "NULL::DATE AS event_date LIMIT 0")
