"""The register of data-subject requests (Art. 12(3): answer within one month, and show it).

Where the subject's identifiers live, and for how long
------------------------------------------------------
* ``dsr_requests`` — one row a request: id, kind, dates, status, outcome (counts, paths, hold
  names; never identifiers) and ``subject_key``, an HMAC-SHA256 of the subject's E.164 phone under a
  secret key (``O3_SUBJECT_KEY``, handed over by the shell, or ``<data>/.secret/subject_key``,
  created 0600; see :func:`secret_key`). The key links a
  person's requests to each other (and to the audit log) without naming them. Kept for as long as
  the company must be able to prove it answered.
* ``dsr_subjects`` — the identifiers (phone, name, email, and for rectification the corrected
  values) given with the request: the ONLY place they are stored. Deleted when the request is
  closed, except for an active restriction or objection, which needs them to keep excluding the
  person's newly ingested messages; those are deleted when the restriction is lifted (or erased).
* ``subject_mappings`` — corrected name ↔ phone mappings from rectification requests: that is the
  rectified personal data itself (part of the directory processing), not the request; removed by
  an erasure for the same person.

* ``dsr_export_items`` — which messages an access export holds (request id, message id, relation)
  and the redaction applied to each (offsets only, and a keyed hash of the body it applied to; never
  text). It lets ``request access --regenerate`` rebuild the export after the identifiers are gone;
  the purge removes the rows of deleted messages with the messages, so a rebuilt export leaves them out.
* Access exports are tracked in ``dsr_requests``: ``delivered_at``/``delivered_by`` (handed over:
  ``request delivered``), ``export_affected_at``/``export_affected_by`` (a disposal or an erasure
  removed the export before it was handed over: regenerate it), ``regenerated_at``.

Dagster run config, tags, logs and the audit log only ever carry the request id and the keyed hash.
"""
from __future__ import annotations

import calendar
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

from o3_governance.storage import keyfiles
from o3_governance.storage.layout import DataLayout
from o3_governance.errors import ContentFree
from o3_governance.identity import matching as identity
from o3_governance.storage import audit, restrictions
from o3_governance.storage.warehouse import table_exists
from o3_governance.vocabulary import (REQUEST_KINDS, REQUEST_LIFTABLE_KINDS, REQUEST_OPEN_STATUSES)

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,63}")
DEADLINE_WARNING_DAYS = 7

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS dsr_requests (
        request_id     VARCHAR PRIMARY KEY,
        kind           VARCHAR NOT NULL,      -- access / erasure / rectification / restriction / objection
        lift           BOOLEAN NOT NULL DEFAULT false,  -- restriction / objection: lift instead of impose
        received_at    TIMESTAMPTZ NOT NULL,  -- when it was recorded here
        received_on    DATE NOT NULL,         -- when the company received it (the deadline runs from it)
        due_date       DATE NOT NULL,         -- received_on + 1 month (Art. 12(3))
        status         VARCHAR NOT NULL,      -- received / in_progress / completed / rejected / failed
        subject_key    VARCHAR NOT NULL,      -- HMAC-SHA256 of the subject's E.164 phone
        outcome        VARCHAR,               -- JSON summary: counts, paths, holds; no identifiers
        run_id         VARCHAR,               -- the Dagster run that carried it out
        completed_at   TIMESTAMPTZ,
        identifiers    VARCHAR NOT NULL DEFAULT 'held'  -- held / deleted: the dsr_subjects row
    )""",
    """CREATE TABLE IF NOT EXISTS dsr_subjects (
        request_id   VARCHAR PRIMARY KEY,
        phone        VARCHAR NOT NULL,   -- E.164
        name         VARCHAR,
        email        VARCHAR,
        new_name     VARCHAR,            -- rectification
        new_phone    VARCHAR             -- rectification, E.164
    )""",
    """CREATE TABLE IF NOT EXISTS subject_mappings (
        request_id     VARCHAR NOT NULL,  -- the rectification that recorded it
        subject_key    VARCHAR NOT NULL,
        name           VARCHAR,
        phone          VARCHAR,           -- E.164
        recorded_at    TIMESTAMPTZ NOT NULL,
        superseded_at  TIMESTAMPTZ
    )""",
    # The restriction marks (Art. 18) are read by every domain: their schema lives in storage.
    *restrictions.SCHEMA,
    """CREATE TABLE IF NOT EXISTS dsr_export_items (
        request_id    VARCHAR NOT NULL,
        message_id    VARCHAR NOT NULL,
        relation      VARCHAR NOT NULL,   -- author / mentioned / conversation / attachment (a file naming them)
        redactions    VARCHAR,            -- JSON [[start, end], ...]: other people's data replaced in the copy
        own_spans     VARCHAR,            -- JSON [[start, end], ...]: the subject's own mentions (kept)
        body_key      VARCHAR,            -- keyed hash of the body the offsets apply to
        chat_redacted BOOLEAN NOT NULL DEFAULT false,
        author_role   VARCHAR             -- "Other participant N" shown for another author (kept on rebuild)
    )""",
    # Existing warehouses gain the export-tracking columns.
    "ALTER TABLE dsr_requests ADD COLUMN IF NOT EXISTS delivered_at TIMESTAMPTZ",
    "ALTER TABLE dsr_requests ADD COLUMN IF NOT EXISTS delivered_by VARCHAR",
    "ALTER TABLE dsr_requests ADD COLUMN IF NOT EXISTS export_affected_at TIMESTAMPTZ",
    "ALTER TABLE dsr_requests ADD COLUMN IF NOT EXISTS export_affected_by VARCHAR",
    "ALTER TABLE dsr_requests ADD COLUMN IF NOT EXISTS regenerated_at TIMESTAMPTZ",
]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in SCHEMA:
        con.execute(ddl)


class RequestError(ContentFree, ValueError):
    """A request that cannot be recorded or carried out; the message never holds identifiers."""


# --- the keyed hash -------------------------------------------------------------------------------

def secret_key(layout: DataLayout, configured: str | None) -> bytes:
    """The key of the keyed hashes: ``configured`` (``O3_SUBJECT_KEY``, any string, handed over by the
    shell) or else a random key kept in ``<data>/.secret/subject_key`` (0600), created on first use."""
    if configured:
        return configured.encode("utf-8")
    return keyfiles.read_or_create_key(secret_path(layout))


def subject_key(secret: bytes, phone_e164: str) -> str:
    """The keyed hash of a person (their E.164 phone) under ``secret`` (:func:`secret_key`)."""
    return hmac.new(secret, b"o3-subject\x1f" + phone_e164.encode("utf-8"), hashlib.sha256).hexdigest()


# --- dates ----------------------------------------------------------------------------------------

def add_one_month(day: date) -> date:
    """Same day next month, or that month's last day (31 Jan → 28/29 Feb)."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- rows -----------------------------------------------------------------------------------------

@dataclass
class Request:
    request_id: str
    kind: str
    lift: bool
    received_on: date
    due_date: date
    status: str
    subject_key: str
    outcome: dict[str, Any] | None
    run_id: str | None
    completed_at: datetime | None
    identifiers: str


@dataclass
class SubjectIdentifiers:
    phone: str
    name: str | None
    email: str | None
    new_name: str | None
    new_phone: str | None


def validate_request_id(request_id: str) -> str:
    if not REQUEST_ID_RE.fullmatch(request_id or ""):
        raise RequestError("request id must be 1-64 characters: letters, digits, '.', '_' or '-'")
    return request_id


def check_id_is_not_identifying(request_id: str, phone: str, name: str | None, email: str | None) -> None:
    """Request ids go into run config, tags and logs: refuse one built from the subject's identifiers."""
    rid = request_id.casefold()
    digits = re.sub(r"\D", "", request_id)
    national_tail = phone[-8:]
    if len(digits) >= 8 and national_tail in digits:
        raise RequestError("request id must not contain the subject's phone number")
    if email and (email.split("@")[0].casefold() in rid or "@" in rid):
        raise RequestError("request id must not contain the subject's email address")
    if name:
        tokens = [t for t in re.split(r"[\s\-.]+", name.casefold()) if len(t) >= 3]
        if any(t in rid for t in tokens):
            raise RequestError("request id must not contain the subject's name")


def record_request(con: duckdb.DuckDBPyConnection, secret: bytes, *, request_id: str, kind: str,
                   phone: str, name: str | None = None, email: str | None = None,
                   new_name: str | None = None, new_phone: str | None = None, lift: bool = False,
                   received_on: date, now: datetime) -> Request:
    """Record a new request (register row + identifiers) and audit it by id and keyed hash."""
    ensure_schema(con)
    validate_request_id(request_id)
    if kind not in REQUEST_KINDS:
        raise RequestError(f"unknown request kind (expected one of {', '.join(REQUEST_KINDS)})")
    if lift and kind not in REQUEST_LIFTABLE_KINDS:
        raise RequestError("--lift applies to restriction and objection requests only")
    if kind == "rectification" and not (new_name or new_phone):
        raise RequestError("rectification needs --new-name and/or --new-phone")
    if kind != "rectification" and (new_name or new_phone):
        raise RequestError("--new-name/--new-phone apply to rectification requests only")
    phone = identity.require_phone(phone)
    email = identity.normalize_email(email)
    if new_phone is not None:
        new_phone = identity.normalize_phone(new_phone)
        if new_phone is None:
            raise identity.InvalidIdentifier("--new-phone is not a phone number")
    check_id_is_not_identifying(request_id, phone, name, email)
    if con.execute("SELECT count(*) FROM dsr_requests WHERE request_id = ?", [request_id]).fetchone()[0]:
        raise RequestError("a request with this id already exists")
    key = subject_key(secret, phone)
    due = add_one_month(received_on)
    con.execute("BEGIN")
    try:
        con.execute("INSERT INTO dsr_requests (request_id, kind, lift, received_at, received_on, due_date, status, "
                    "subject_key) VALUES (?, ?, ?, ?, ?, ?, 'received', ?)",
                    [request_id, kind, lift, now, received_on, due, key])
        con.execute("INSERT INTO dsr_subjects VALUES (?, ?, ?, ?, ?, ?)",
                    [request_id, phone, name, email, new_name, new_phone])
        audit.append(con, "dsr.received", {"request_id": request_id, "kind": kind, "lift": lift,
                                           "subject_key": key, "due_date": due.isoformat()}, ts=now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return get_request(con, request_id)


def can_retry(con: duckdb.DuckDBPyConnection, secret: bytes, request_id: str, kind: str, phone: str) -> bool:
    """An existing request may be launched again when it is still open (received, or failed part way),
    is of the same kind and about the same person (same keyed hash) and its identifiers are still held."""
    try:
        req = get_request(con, request_id)
    except RequestError:
        return False
    return (req.kind == kind and req.status in REQUEST_OPEN_STATUSES and req.identifiers == "held"
            and hmac.compare_digest(req.subject_key, subject_key(secret, phone)))


def get_request(con: duckdb.DuckDBPyConnection, request_id: str) -> Request:
    """Works on read-only connections too."""
    if not table_exists(con, "dsr_requests"):
        raise RequestError("no request with this id in the register")
    row = con.execute("SELECT request_id, kind, lift, received_on, due_date, status, subject_key, outcome, run_id, "
                      "completed_at, identifiers FROM dsr_requests WHERE request_id = ?", [request_id]).fetchone()
    if row is None:
        raise RequestError("no request with this id in the register")
    outcome = json.loads(row[7]) if row[7] else None
    return Request(row[0], row[1], row[2], row[3], row[4], row[5], row[6], outcome, row[8], row[9], row[10])


def get_identifiers(con: duckdb.DuckDBPyConnection, request_id: str) -> SubjectIdentifiers | None:
    row = con.execute("SELECT phone, name, email, new_name, new_phone FROM dsr_subjects WHERE request_id = ?",
                      [request_id]).fetchone()
    return SubjectIdentifiers(*row) if row else None


def mark_in_progress(con: duckdb.DuckDBPyConnection, request_id: str, run_id: str | None) -> None:
    con.execute("UPDATE dsr_requests SET status = 'in_progress', run_id = ? WHERE request_id = ?",
                [run_id, request_id])


def close_request(con: duckdb.DuckDBPyConnection, request_id: str, *, status: str, outcome: dict[str, Any],
                  run_id: str | None, now: datetime, keep_identifiers: bool = False) -> None:
    """Close a request: outcome recorded, identifiers deleted unless still needed, audited."""
    req = get_request(con, request_id)
    if not keep_identifiers:
        con.execute("DELETE FROM dsr_subjects WHERE request_id = ?", [request_id])
    con.execute("UPDATE dsr_requests SET status = ?, outcome = ?, run_id = ?, completed_at = ?, identifiers = ? "
                "WHERE request_id = ?",
                [status, json.dumps(outcome, sort_keys=True, default=str), run_id, now,
                 "held" if keep_identifiers else "deleted", request_id])
    audit.append(con, f"dsr.{req.kind}.{status}",
                 {"request_id": request_id, "subject_key": req.subject_key, **_audit_counts(outcome)},
                 run_id=run_id, ts=now)


def mark_failed(con: duckdb.DuckDBPyConnection, request_id: str, run_id: str | None, reason: str, *,
                now: datetime) -> None:
    """``reason``: one line without content (:func:`o3_governance.errors.one_line`)."""
    con.execute("UPDATE dsr_requests SET status = 'failed', run_id = ?, outcome = ? WHERE request_id = ?",
                [run_id, json.dumps({"error": reason}), request_id])
    req = get_request(con, request_id)
    audit.append(con, f"dsr.{req.kind}.failed", {"request_id": request_id, "subject_key": req.subject_key,
                                                  "error": reason}, run_id=run_id, ts=now)


def forget_identifiers(con: duckdb.DuckDBPyConnection, key: str) -> int:
    """Delete every stored identifier row of the person with this keyed hash (all their requests)."""
    ids = [r[0] for r in con.execute("SELECT request_id FROM dsr_requests WHERE subject_key = ?", [key]).fetchall()]
    if not ids:
        return 0
    n = con.execute("SELECT count(*) FROM dsr_subjects WHERE request_id IN (SELECT unnest(?::VARCHAR[]))",
                    [ids]).fetchone()[0]
    con.execute("DELETE FROM dsr_subjects WHERE request_id IN (SELECT unnest(?::VARCHAR[]))", [ids])
    con.execute("UPDATE dsr_requests SET identifiers = 'deleted' WHERE subject_key = ?", [key])
    return n


def _audit_counts(outcome: dict[str, Any]) -> dict[str, Any]:
    """Only numbers, booleans and hold names go to the audit log."""
    out: dict[str, Any] = {}
    for k, v in outcome.items():
        if isinstance(v, (int, float, bool)):
            out[k] = v
        elif k == "holds" and isinstance(v, list):
            out["holds"] = sorted({h.get("name") for h in v if isinstance(h, dict)})
    return out


# --- access exports: handed over, affected by a purge, regenerated --------------------------------

def _access_request(con: duckdb.DuckDBPyConnection, request_id: str, what: str) -> Request:
    req = get_request(con, request_id)
    if req.kind != "access":
        raise RequestError(f"request is a {req.kind} request: only a completed access request can be {what}")
    if req.status != "completed":
        raise RequestError(f"request is {req.status}: only a completed access request can be {what}")
    return req


def mark_delivered(con: duckdb.DuckDBPyConnection, request_id: str, *, delivered_by: str | None,
                   now: datetime) -> tuple[datetime, bool]:
    """Record that the access export was handed over. Returns (delivered_at, newly marked)."""
    ensure_schema(con)
    validate_request_id(request_id)
    req = _access_request(con, request_id, "marked delivered")
    (already,) = con.execute("SELECT delivered_at FROM dsr_requests WHERE request_id = ?", [request_id]).fetchall()[0]
    if already is not None:
        return already, False
    by = " ".join((delivered_by or "").split()) or None
    if by is not None and len(by) > 100:
        raise RequestError("--delivered-by is longer than 100 characters")
    con.execute("BEGIN")
    try:
        con.execute("UPDATE dsr_requests SET delivered_at = ?, delivered_by = ? WHERE request_id = ?",
                    [now, by, request_id])
        audit.append(con, "dsr.access.delivered", {"request_id": request_id, "subject_key": req.subject_key,
                                                   "delivered_by_given": by is not None}, ts=now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return now, True


def check_regenerable(con: duckdb.DuckDBPyConnection, request_id: str) -> Request:
    """The access request whose export may be rebuilt; RequestError (one line, ids only) otherwise."""
    ensure_schema(con)
    validate_request_id(request_id)
    req = _access_request(con, request_id, "regenerated")
    erased = con.execute("SELECT count(*) FROM dsr_requests WHERE subject_key = ? AND kind = 'erasure' "
                         "AND status = 'completed'", [req.subject_key]).fetchall()[0][0]
    if erased:
        raise RequestError("the data subject of this request has since been erased: there is nothing to regenerate")
    return req


def record_regenerated(con: duckdb.DuckDBPyConnection, request_id: str, outcome: dict[str, Any], *,
                       run_id: str | None, now: datetime) -> None:
    """The export was rebuilt: the affected flag clears, and the new copy is not yet delivered."""
    req = get_request(con, request_id)
    con.execute("UPDATE dsr_requests SET regenerated_at = ?, export_affected_at = NULL, export_affected_by = NULL, "
                "delivered_at = NULL, delivered_by = NULL WHERE request_id = ?", [now, request_id])
    audit.append(con, "dsr.access.regenerated", {"request_id": request_id, "subject_key": req.subject_key,
                                                 **_audit_counts(outcome)}, run_id=run_id, ts=now)


@dataclass
class AffectedExport:
    request_id: str
    messages: int            # affected messages the removed export held
    delivered: bool          # handed over before: our copy went, theirs is theirs

    def line(self, what: str) -> str:
        if self.delivered:
            return (f"access export of request {self.request_id} (delivered) lost {self.messages} messages to "
                    f"this {what}; it was already handed over")
        return (f"access export of request {self.request_id} (not yet delivered) lost {self.messages} messages "
                f"to this {what}; regenerate it with: o3-governance request access --request-id "
                f"{self.request_id} --regenerate")


def record_affected_exports(con: duckdb.DuckDBPyConnection, exports_affected: dict[str, int], *, by: str,
                            now: datetime) -> list[AffectedExport]:
    """Access exports a purge removed: flagged in the register when not yet delivered (``by``: the
    deletion list or erasure, ids only). Export folders of no access request are left out."""
    if not exports_affected:
        return []
    ensure_schema(con)
    rows = con.execute("SELECT request_id, delivered_at FROM dsr_requests WHERE kind = 'access' AND request_id IN "
                       "(SELECT unnest(?::VARCHAR[])) ORDER BY request_id", [sorted(exports_affected)]).fetchall()
    out = [AffectedExport(rid, int(exports_affected[rid]), delivered is not None) for rid, delivered in rows]
    pending = [a.request_id for a in out if not a.delivered]
    if pending:
        con.execute("UPDATE dsr_requests SET export_affected_at = ?, export_affected_by = ? "
                    "WHERE request_id IN (SELECT unnest(?::VARCHAR[]))", [now, by, pending])
    return out


def affected_from_json(items: Any) -> list[AffectedExport]:
    return [AffectedExport(str(i["request_id"]), int(i["messages"]), bool(i["delivered"]))
            for i in (items or []) if isinstance(i, dict)]


# --- deadlines ------------------------------------------------------------------------------------

@dataclass
class DeadlineStatus:
    open_requests: int
    due_soon: list[str]   # request ids due within DEADLINE_WARNING_DAYS
    overdue: list[str]


def deadline_status(con: duckdb.DuckDBPyConnection, today: date, warn_days: int = DEADLINE_WARNING_DAYS) -> DeadlineStatus:
    ensure_schema(con)
    rows = con.execute("SELECT request_id, due_date FROM dsr_requests WHERE status IN (SELECT unnest(?::VARCHAR[])) "
                       "ORDER BY due_date, request_id", [list(REQUEST_OPEN_STATUSES)]).fetchall()
    overdue = [rid for rid, due in rows if due < today]
    soon = [rid for rid, due in rows if today <= due <= today + timedelta(days=warn_days)]
    return DeadlineStatus(len(rows), soon, overdue)


def list_requests(con: duckdb.DuckDBPyConnection) -> list[Request]:
    ensure_schema(con)
    ids = [r[0] for r in con.execute("SELECT request_id FROM dsr_requests ORDER BY received_at, request_id").fetchall()]
    return [get_request(con, rid) for rid in ids]


def secret_path(layout: DataLayout) -> Path:
    return layout.root / ".secret" / "subject_key"
