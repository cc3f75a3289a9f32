"""Shared inputs for the reporting tests (no tests here): a small warehouse with every table the
report reads, full of planted identifiers and message texts that must never reach a report."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from o3_governance.storage import audit, warehouse
from o3_governance.config import DataLayout

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


def seed(layout: DataLayout, *, full: bool = True, messages_per_chat: int = 40) -> dict:
    """Fill the warehouse. ``full`` adds the tables other domains write (findings, retention, deletion
    lists and certificates, data-subject requests); without it only the core tables exist."""
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
                ids.append((mid, chat, k))
                rows.append([mid, "arch0000000000000000", chat_id(chat), chat, "android",
                             local.replace(tzinfo=timezone.utc), local, local.date(), local.strftime("%Y-%m"),
                             author, phone, "media" if k % 10 == 9 else "text", body,
                             "IMG-20250101-WA0001.jpg" if k % 10 == 9 else None, None, False,
                             ("nl", "fr", "en")[k % 3], k + 1])
        _insert(con, "messages", [c for c, _ in warehouse.MESSAGE_COLUMNS], rows)
        audit.append(con, "archive_ingested", {"archive_id": "arch0000000000000000", "messages": len(rows)}, ts=NOW)
        if not full:
            return {"message_ids": [m for m, _, _ in ids]}
        con.execute('CREATE TABLE findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, "end" INTEGER, '
                    'score DOUBLE, recognizer VARCHAR)')
        kinds = {0: [("BE_NATIONAL_NUMBER", 28, 43), ("PERSON", 0, 4)], 1: [("IBAN_CODE", 27, 46)],
                 2: [("EMAIL_ADDRESS", 20, 42), ("PHONE_NUMBER", 50, 63)], 3: [("HEALTH_DATA", 14, 18)],
                 4: [("PERSON", 0, 14), ("LOCATION", 19, 34)], 5: [("CRIMINAL_OFFENCE", 7, 24)]}
        findings = []
        for mid, chat, k in ids:
            for entity, s, e in kinds[k % len(BODIES)]:
                findings.append([mid, entity, s, e, 0.85, "test"])
        _insert(con, "findings", ["message_id", "entity_type", "start", "end", "score", "recognizer"], findings)
        con.execute("CREATE TABLE retention (message_id VARCHAR, rule VARCHAR, action VARCHAR, retain_until DATE, "
                    "legal_hold VARCHAR, eligible BOOLEAN)")
        ret = []
        for n, (mid, chat, k) in enumerate(ids):
            hold = "dispute-bruxelles" if chat == "Client Bruxelles" else None
            rule = "sensitive-data" if k % 6 in (3, 5) else "default"
            until = AS_OF + timedelta(days=(n % 400) - 30)
            ret.append([mid, rule, "anonymise" if rule == "sensitive-data" else "delete", until, hold,
                        hold is None and until <= AS_OF])
        _insert(con, "retention", ["message_id", "rule", "action", "retain_until", "legal_hold", "eligible"], ret)
        con.execute("CREATE TABLE deletion_list AS SELECT message_id, rule, action, retain_until FROM retention "
                    "WHERE eligible")
        con.execute("CREATE TABLE deletion_lists (list_id VARCHAR, created_at TIMESTAMPTZ, status VARCHAR, "
                    "message_count BIGINT, approved_by VARCHAR, approved_at TIMESTAMPTZ)")
        con.execute("INSERT INTO deletion_lists VALUES ('DL-2026-11-14', '2026-11-14 02:00:00+00', 'pending', 12, NULL, NULL), "
                    "('DL-2026-10-01', '2026-10-01 02:00:00+00', 'executed', 30, 'Jan Peeters', '2026-10-02 09:00:00+00')")
        con.execute("CREATE TABLE deletion_certificates (certificate_id VARCHAR, list_id VARCHAR, executed_at TIMESTAMPTZ, "
                    "messages_deleted BIGINT, manifest_sha256 VARCHAR, approved_by VARCHAR, note VARCHAR)")
        con.execute("INSERT INTO deletion_certificates VALUES ('CERT-0001', 'DL-2026-10-01', '2026-10-02 10:00:00+00', 30, "
                    "?, 'Jan Peeters', 'deleted chats of Marie Dubois')", [hashlib.sha256(b"cert").hexdigest()])
        con.execute("CREATE TABLE dsr_requests (request_id VARCHAR, kind VARCHAR, received_at TIMESTAMPTZ, due_date DATE, "
                    "status VARCHAR, subject_phone VARCHAR, subject_name VARCHAR, subject_key VARCHAR, completed_at TIMESTAMPTZ)")
        con.execute("INSERT INTO dsr_requests VALUES "
                    "('REQ-1', 'access', '2026-10-01 08:00:00+00', '2026-11-01', 'open', '+32485123456', 'Marie Dubois', ?, NULL), "
                    "('REQ-2', 'erasure', '2026-11-20 08:00:00+00', '2026-12-20', 'received', ?, ?, 'x', NULL), "
                    "('REQ-3', 'access', '2026-09-01 08:00:00+00', '2026-10-01', 'completed', '+32471556677', NULL, 'y', '2026-09-15 08:00:00+00')",
                    [hashlib.sha256(b"k").hexdigest(), SUBJECT_EMAIL, "Pieter Claes"])
        return {"message_ids": [m for m, _, _ in ids]}
    finally:
        con.close()


def _insert(con, table: str, names: list[str], rows: list[list]) -> None:
    """Bulk insert through a DataFrame: executemany is slow in DuckDB."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=names)
    con.register("seed_rows", frame)
    con.execute(f"INSERT INTO {table} SELECT * FROM seed_rows")
    con.unregister("seed_rows")


def all_report_text(reports: Path) -> dict[str, str]:
    return {str(p.relative_to(reports)): p.read_bytes().decode("utf-8", errors="replace")
            for p in sorted(reports.rglob("*")) if p.is_file()}


def demo_night(layout: DataLayout, seed_value: int = 7) -> int:
    """The project's demo inbox ingested for real, with the scanner's findings placed where the demo
    planted them (offsets only) and, when the retention engine is importable, its decisions for the
    default policy. Returns the number of findings placed."""
    from o3_governance import ingest
    from o3_governance.demo import SENTENCES, write_demo_inbox

    write_demo_inbox(layout.inbox, seed=seed_value)
    ingest.ingest_inbox(layout, now=INGESTED_AT)
    placed = 0
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute('CREATE TABLE IF NOT EXISTS findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, '
                    '"end" INTEGER, score DOUBLE, recognizer VARCHAR)')
        for sentence in SENTENCES:
            for message_id, body in con.execute("SELECT message_id, body FROM messages WHERE contains(body, ?)",
                                                [sentence.text]).fetchall():
                offset = body.index(sentence.text)
                for kind, start, end in sentence.spans():
                    con.execute("INSERT INTO findings VALUES (?, ?, ?, ?, 0.9, 'demo')",
                                [message_id, kind, offset + start, offset + end])
                    placed += 1
        try:
            from o3_governance.retention import decide
            from o3_governance.retention.policy import load_policy
        except ImportError:
            return placed
        from o3_governance.config import DEFAULT_POLICY_FILE

        decide.compute(con, load_policy(DEFAULT_POLICY_FILE), AS_OF, now=NOW)
    return placed
