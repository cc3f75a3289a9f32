"""Shared inputs for the reporting tests (no tests here): a small warehouse with every table the
report reads, full of planted identifiers and message texts that must never reach a report."""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from o3_governance import ingest
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import DEFAULT_POLICY_FILE
from o3_governance.demo import SENTENCES, write_demo_inbox
from o3_governance.reporting.build import build_report
from o3_governance.retention import decide
from o3_governance.retention.policy import load_policy
from o3_governance.rights import register
from o3_governance.scanning import store
from o3_governance.storage import audit, warehouse

import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock

AS_OF = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=timezone.utc)   # the night of AS_OF: every clock in these tests

CHATS = ["WhatsApp Chat with Jan Peeters", "Client Bruxelles", "Werf Gent Kouter"]
AUTHORS = [("Jan Peeters", "+32471556677"), ("Marie Dubois", "+32485123456"), ("Pieter Claes", None)]
BODIES = [
    "Mijn rijksregisternummer is 85.07.30-033.28, zet het in het dossier",
    "Stort het voorschot op BE71 0961 2345 6769 aub",
    "Mail de offerte naar jan.peeters@example.be of bel 0471 55 66 77",
    "Ik ben vandaag ziek thuis met griep, morgen terug op de werf",
    "Mevrouw Claes van de Kouterstraat 12 klaagt over het lekkende dak",
    "Il a été condamné pour vol l'an dernier, attention au chantier",
]
FILE_NAMES = ["WhatsApp Chat with Jan Peeters.zip", "WhatsApp Chat - Marie Dubois.zip", "notes Pieter Claes.pdf"]
QUARANTINE_REASON = 'first line "Pieter Claes: hallo +32 470 12 34 56" is not a WhatsApp header'
SUBJECT_EMAIL = "marie.dubois@example.com"

# Everything above that identifies somebody or is message content: none may appear in a report.
PLANTED = (CHATS + [a for a, _ in AUTHORS] + [p for _, p in AUTHORS if p] + BODIES + FILE_NAMES +
           ["85.07.30-033.28", "85073003328", "BE71 0961 2345 6769", "BE71096123456769", "jan.peeters@example.be",
            "0471 55 66 77", "0471556677", "32471556677", "+32 470 12 34 56", "Pieter Claes: hallo", SUBJECT_EMAIL,
            "Kouterstraat", "Peeters", "Dubois", "Claes", "griep", "condamné"])

POLICY_YAML = """\
timezone: Europe/Brussels
rules:
  - name: sensitive-data
    match: {special_category: true}
    retain_days: 30
    action: anonymise
  - name: system-and-deleted
    match: {message_type: [system, deleted]}
    retain_days: 90
    action: delete
  - name: default
    retain_days: 730
    action: delete
legal_holds:
  - name: dispute-bruxelles
    chats: ["Client Bruxelles"]
    subjects: ["+32485123456", "Marie Dubois"]
    reason: "Open dispute with the client"
    until: null
"""


def chat_id(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def write_policy(tmp: Path) -> Path:
    p = tmp / "policy.yaml"
    p.write_text(POLICY_YAML, encoding="utf-8")
    return p


CURRENT_LIST = "DL-2026-11-14"       # the list awaiting approval: made ten days before AS_OF
APPLIED_LIST = "DL-2026-10-01"       # carried out, with its certificate
CERTIFICATE_SHA = hashlib.sha256(b"cert").hexdigest()


def seed(layout: DataLayout, *, full: bool = True, messages_per_chat: int = 40) -> dict:
    """Fill the warehouse. ``full`` adds the tables other domains write (findings, retention, deletion
    lists and certificates, data-subject requests), created by the domains' own schema code and
    filled with their real statuses; without it only the core tables exist."""
    con = warehouse.connect(layout.warehouse)
    try:
        received = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
        for i, name in enumerate(FILE_NAMES):
            status = ("ingested", "duplicate", "quarantined")[i]
            reason = {"duplicate": "byte-identical to an archive already registered",
                      "quarantined": QUARANTINE_REASON}.get(status)
            con.execute("INSERT INTO archives (archive_id, file_name, sha256, status, reason, message_count, "
                        "source_format, chat_id, chat_name, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [f"arch{i:016d}", name, hashlib.sha256(name.encode()).hexdigest(), status, reason,
                         messages_per_chat if status == "ingested" else 0, "android",
                         chat_id(CHATS[0]) if status == "ingested" else None,
                         CHATS[0] if status == "ingested" else None, received + timedelta(hours=i)])
        rows = []
        ids = []
        for c, chat in enumerate(CHATS):
            for k in range(messages_per_chat):
                author, phone = AUTHORS[k % len(AUTHORS)]
                body = BODIES[k % len(BODIES)]
                local = datetime(2025, 1 + (k % 12), 1 + (k % 27), 10, k % 60)
                mid = hashlib.sha256(f"{chat}|{k}".encode()).hexdigest()[:32]
                ids.append((mid, chat, k, local.date()))
                rows.append([mid, "arch0000000000000000", chat_id(chat), chat, "android",
                             local.replace(tzinfo=timezone.utc), local, local.date(), local.strftime("%Y-%m"),
                             author, phone, "media" if k % 10 == 9 else "text", body,
                             "IMG-20250101-WA0001.jpg" if k % 10 == 9 else None, None, False,
                             ("nl", "fr", "en")[k % 3], k + 1, None, None])   # author_id, content_key
        _insert(con, "messages", [c for c, _ in warehouse.MESSAGE_COLUMNS], rows)
        audit.append(con, "archive_ingested", {"archive_id": "arch0000000000000000", "messages": len(rows)}, ts=NOW)
        if not full:
            return {"message_ids": [m for m, *_ in ids]}
        store.ensure_schema(con)
        kinds = {0: [("BE_NATIONAL_NUMBER", 28, 43), ("PERSON", 0, 4)], 1: [("IBAN_CODE", 27, 46)],
                 2: [("EMAIL_ADDRESS", 20, 42), ("PHONE_NUMBER", 50, 63)], 3: [("HEALTH_DATA", 14, 18)],
                 4: [("PERSON", 0, 14), ("LOCATION", 19, 34)], 5: [("CRIMINAL_OFFENCE", 7, 24)]}
        findings = []
        for mid, chat, k, _ in ids:
            for entity, s, e in kinds[k % len(BODIES)]:
                findings.append([mid, entity, s, e, 0.85, "test"])
        _insert(con, "findings", ["message_id", "entity_type", "start", "end", "score", "recognizer"], findings)
        decide.ensure_schema(con)
        ret, items = [], []
        for n, (mid, chat, k, local_date) in enumerate(ids):
            hold = "dispute-bruxelles" if chat == "Client Bruxelles" else None
            rule = "sensitive-data" if k % 6 in (3, 5) else "default"
            action = "anonymise" if rule == "sensitive-data" else "delete"
            until = AS_OF + timedelta(days=(n % 400) - 30)
            eligible = hold is None and until <= AS_OF
            ret.append([mid, chat_id(chat), rule, action, 30 if rule == "sensitive-data" else 730, local_date, until,
                        hold, False, False, eligible, AS_OF, NOW, "policy-sha"])
            if eligible:
                items.append([CURRENT_LIST, mid, chat_id(chat), rule, action, until, local_date])
        _insert(con, "retention", ["message_id", "chat_id", "rule", "action", "retain_days", "local_date",
                                   "retain_until", "legal_hold", "restricted", "anonymised", "eligible", "as_of",
                                   "decided_at", "policy_sha256"], ret)
        _insert(con, "deletion_list_items", ["list_id", "message_id", "chat_id", "rule", "action", "retain_until",
                                             "local_date"], items)
        con.execute("INSERT INTO deletion_lists (list_id, list_hash, created_at, as_of, status, item_count, delete_count, "
                    "anonymise_count, chat_count, approved_by, approved_at, applied_at) VALUES "
                    "(?, 'h1', '2026-11-14 02:00:00+00', DATE '2026-11-14', 'awaiting_approval', ?, ?, ?, 1, NULL, NULL, NULL), "
                    "(?, 'h2', '2026-10-01 02:00:00+00', DATE '2026-10-01', 'applied', 30, 30, 0, 1, 'Jan Peeters', "
                    "'2026-10-02 09:00:00+00', '2026-10-02 10:00:00+00')",
                    [CURRENT_LIST, len(items), sum(i[4] == "delete" for i in items), sum(i[4] == "anonymise" for i in items),
                     APPLIED_LIST])
        con.execute("INSERT INTO deletion_certificates (list_id, list_hash, status, approved_by, approved_at, started_at, "
                    "completed_at, as_of, policy_sha256, purge_id, counts, certificate_sha256, certificate_path, run_id) "
                    "VALUES (?, 'h2', 'complete', 'Jan Peeters', '2026-10-02 09:00:00+00', '2026-10-02 09:30:00+00', "
                    "'2026-10-02 10:00:00+00', DATE '2026-10-01', 'policy-sha', 'purge-1', ?, ?, ?, 'run-0')",
                    [APPLIED_LIST, json.dumps({"listed": 30, "executed": {"delete": 30, "anonymise": 0},
                                               "skipped": {"held": 0}, "note": "chats of Marie Dubois"}),
                     CERTIFICATE_SHA, f"reports/certificates/deletion-certificate-{APPLIED_LIST}.json"])
        register.ensure_schema(con)
        con.execute("INSERT INTO dsr_requests (request_id, kind, received_at, received_on, due_date, status, subject_key, "
                    "completed_at) VALUES "
                    "('REQ-1', 'access', '2026-10-01 08:00:00+00', DATE '2026-10-01', DATE '2026-11-01', 'in_progress', ?, NULL), "
                    "('REQ-2', 'erasure', '2026-11-20 08:00:00+00', DATE '2026-11-20', DATE '2026-12-20', 'received', 'x', NULL), "
                    "('REQ-3', 'access', '2026-09-01 08:00:00+00', DATE '2026-09-01', DATE '2026-10-01', 'completed', 'y', "
                    "'2026-09-15 08:00:00+00')", [hashlib.sha256(b"k").hexdigest()])
        con.execute("INSERT INTO dsr_subjects (request_id, phone, name, email) VALUES "
                    "('REQ-1', '+32485123456', 'Marie Dubois', NULL), ('REQ-2', '+32471556677', 'Pieter Claes', ?)",
                    [SUBJECT_EMAIL])
        return {"message_ids": [m for m, *_ in ids], "current_list_items": len(items)}
    finally:
        con.close()


def restrict(layout: DataLayout, message_ids: list[str]) -> None:
    """An active Art. 18 restriction on these messages, recorded as the rights domain records it."""
    with warehouse.open_warehouse(layout.warehouse) as con:
        register.ensure_schema(con)
        con.execute("INSERT INTO restrictions (restriction_id, subject_key, kind, review_required, started_at) "
                    "VALUES ('REQ-R', 'key', 'restriction', false, ?)", [NOW])
        con.executemany("INSERT INTO restricted_messages VALUES ('REQ-R', ?)", [[m] for m in message_ids])


def build(layout: DataLayout, as_of: date = AS_OF, policy: Path | None = None, **kwargs):
    """``build_report`` with what the entry point would pass: the night's clock and the default settings."""
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("keep_days", 365)
    kwargs.setdefault("raw_retention_days", 0)
    kwargs.setdefault("approval_warn_days", 7)
    return build_report(layout, as_of, policy or DEFAULT_POLICY_FILE, **kwargs)


def _insert(con, table: str, names: list[str], rows: list[list]) -> None:
    """Bulk insert through a DataFrame: executemany is slow in DuckDB."""
    frame = pd.DataFrame(rows, columns=names)
    con.register("seed_rows", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM seed_rows")  # tables may have more columns
    con.unregister("seed_rows")


def all_report_text(reports: Path) -> dict[str, str]:
    return {str(p.relative_to(reports)): p.read_bytes().decode("utf-8", errors="replace")
            for p in sorted(reports.rglob("*")) if p.is_file()}


def demo_night(layout: DataLayout, seed_value: int = 7) -> int:
    """The project's demo inbox ingested for real, with the scanner's findings placed where the demo
    planted them (offsets only, in the scanner's own table) and the retention engine's decisions for
    the default policy. Returns the number of findings placed."""
    write_demo_inbox(layout.inbox, seed=seed_value)
    ingest.ingest_inbox(layout, now=NOW)
    placed = 0
    with warehouse.open_warehouse(layout.warehouse) as con:
        store.ensure_schema(con)
        for sentence in SENTENCES:
            for message_id, body in con.execute("SELECT message_id, body FROM messages WHERE contains(body, ?)",
                                                [sentence.text]).fetchall():
                offset = body.index(sentence.text)
                for kind, start, end in sentence.spans():
                    con.execute("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) VALUES (?, ?, ?, ?, 0.9, 'demo')",
                                [message_id, kind, offset + start, offset + end])
                    placed += 1
        decide.compute(con, load_policy(DEFAULT_POLICY_FILE), AS_OF, now=NOW)
    return placed
