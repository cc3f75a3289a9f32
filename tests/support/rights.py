"""Shared material for the rights tests: a small inbox with a data subject in it, and recording and
carrying out requests the way the shell does (settings and the clock's reading handed over)."""
from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

from o3_governance import ingest, settings
from o3_governance.storage.layout import DataLayout
from o3_governance.identity import matching as identity
from o3_governance.rights import register, service
from o3_governance.storage import warehouse

import datetime as _dt

INGESTED_AT = _dt.datetime(2026, 1, 5, 2, 0, tzinfo=_dt.timezone.utc)   # the ingest night's clock

SUBJECT_PHONE = "+32471234567"
SUBJECT_NAME = "Jan Peeters"
SUBJECT_EMAIL = "jan.peeters@example.be"
# Every way the subject's phone is written in the test chats, and more (the byte search looks for all).
PHONE_SPELLINGS = ["+32471234567", "0471 23 45 67", "0471/23.45.67", "+32 471 23 45 67", "0032471234567",
                   "0471234567", "+32 (0)471 23 45 67", "471 23 45 67", "471234567"]
PHOTO = b"\xff\xd8\xff\xe0 photo-bytes of the subject's picture 0123456789"

WERF = """23/03/2022, 13:30 - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.
23/03/2022, 13:31 - Jan Peeters: Goeiemiddag, ik ben er om 14u. Bel Piet Claes op 0472 11 22 33 als ik laat ben.
23/03/2022, 13:35 - Piet Claes: Ok! Jan Peeters zijn nummer is 0471/23.45.67 en mail jan.peeters@example.be
23/03/2022, 13:36 - Piet Claes: Niets over hem hier, Anna Maes komt om 15u
23/03/2022, 13:37 - +32 471 23 45 67: IMG-20220323-WA0002.jpg (file attached)
23/03/2022, 13:38 - Anna Maes: Stuur naar +32 471 23 45 67 of 0032471234567
23/03/2022, 13:39 - Piet Claes: peeters jan komt morgen, Jan heeft griep
23/03/2022, 13:40 - Anna Maes: Wie heeft de sleutel? Bel 0471 23 45 67
"""

BXL = """12/04/2023, 09:00 - Anna Maes: Bonjour, le chantier reprend lundi
12/04/2023, 09:05 - Jan Peeters: Je serai là à 8h, mon numéro 0471 23 45 67
12/04/2023, 09:10 - Anna Maes: Merci Jan Peeters, je note
"""

DIRECTORY = """- name: Jan Peeters
  phone: 0471 23 45 67
  email: jan.peeters@example.be
- name: Piet Claes
  phone: +32 472 11 22 33
- name: Anna Maes
  phone: "0476 00 11 22"
"""

# The clock's reading and "today" handed to the rights core in these tests (never the real date).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
AS_OF = date(2026, 11, 24)

FINDINGS_DDL = ('CREATE TABLE IF NOT EXISTS findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, '
                '"end" INTEGER, score DOUBLE, recognizer VARCHAR)')


def write_inbox(layout: DataLayout, *, with_bxl: bool = True) -> None:
    # Fixed member times: the same call writes the same bytes on any clock (a second write is a duplicate).
    with zipfile.ZipFile(layout.inbox / "WhatsApp Chat with Werf Leuven.zip", "w") as z:
        z.writestr(zipfile.ZipInfo("WhatsApp Chat with Werf Leuven.txt", (2022, 3, 23, 13, 31, 0)), WERF)
        z.writestr(zipfile.ZipInfo("IMG-20220323-WA0002.jpg", (2022, 3, 23, 13, 31, 0)), PHOTO)
    if with_bxl:
        (layout.inbox / "WhatsApp Chat with Client Bruxelles.txt").write_text(BXL, encoding="utf-8")


def build_warehouse(layout: DataLayout, tmp_path: Path, monkeypatch, *, with_bxl: bool = True,
                    findings: bool = True, raw_retention_days: int = 0) -> None:
    """Ingest the two chats (lake, warehouse, media) and add scanner-like findings."""
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(directory))
    write_inbox(layout, with_bxl=with_bxl)
    summary = ingest.ingest_inbox(layout, now=INGESTED_AT, raw_retention_days=raw_retention_days)
    assert all(a.status == "ingested" for a in summary.archives)
    if findings:
        add_findings(layout)


def add_findings(layout: DataLayout) -> None:
    """Findings like the scanner's: offsets of names, phones and e-mails; one health finding."""
    patterns = {"PERSON": r"Jan Peeters|Piet Claes|Anna Maes|Jan(?= heeft)",
                "PHONE_NUMBER": r"0472 11 22 33|0471/23\.45\.67|\+32 471 23 45 67|0032471234567|0471 23 45 67",
                "EMAIL_ADDRESS": r"[\w.]+@example\.be", "HEALTH_DATA": r"heeft griep"}
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute(FINDINGS_DDL)
        rows = []
        for mid, body in con.execute("SELECT message_id, body FROM messages WHERE body IS NOT NULL").fetchall():
            for entity, rx in patterns.items():
                for m in re.finditer(rx, body):
                    rows.append((mid, entity, m.start(), m.end(), 0.9, "test"))
        con.executemany("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) VALUES (?, ?, ?, ?, ?, ?)", rows)


def record(layout: DataLayout, request_id: str, kind: str, *, phone: str = "0471 23 45 67",
           name: str | None = SUBJECT_NAME, email: str | None = SUBJECT_EMAIL, received_on: date = date(2026, 11, 2),
           now: datetime = NOW, **extra) -> register.Request:
    with warehouse.open_warehouse(layout.warehouse) as con:
        return register.record_request(con, secret(layout), request_id=request_id, kind=kind,
                                       phone=identity.require_phone(phone), name=name, email=email,
                                       received_on=received_on, now=now, **extra)


def secret(layout: DataLayout) -> bytes:
    """The key the shell would use: the configured O3_SUBJECT_KEY, or the data folder's key file."""
    return register.secret_key(layout, settings.load().subject_key)


def carry_out(layout: DataLayout, request_id: str, *, policy_file: Path | None = None, as_of: date | None = None,
              now: datetime = NOW, **kw) -> service.Result:
    """``service.carry_out`` with what the Dagster op hands it: the settings' policy and directory files
    and subject key (unless given), ``as_of`` (default: O3_AS_OF, else AS_OF) and ``now``."""
    s = settings.load()
    return service.carry_out(layout, request_id, now=now, as_of=as_of or s.as_of or AS_OF,
                             policy_file=policy_file or s.policy_file, directory_file=s.directory_file,
                             subject_key=s.subject_key, **kw)


def regenerate(layout: DataLayout, request_id: str, *, now: datetime = NOW) -> service.Result:
    s = settings.load()
    return service.regenerate(layout, request_id, now=now, directory_file=s.directory_file,
                              subject_key=s.subject_key)


def run(layout: DataLayout, request_id: str, kind: str, **kw) -> service.Result:
    record(layout, request_id, kind, **kw)
    return carry_out(layout, request_id)


def configured_directory() -> list[identity.DirectoryEntry]:
    """The entries of the directory file the settings name (``build_warehouse`` sets it), as the shell loads it."""
    return service.load_directory(settings.load().directory_file)


def messages(layout: DataLayout) -> list[tuple]:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute("SELECT message_id, chat_name, author, author_phone, body FROM messages "
                           "ORDER BY sent_at, line_no").fetchall()

# What of the subject must never reach the orchestrator's records (names, e-mail, phone spellings).
NEEDLES_OF_SUBJECT = ["Jan Peeters", "Peeters", SUBJECT_EMAIL, *PHONE_SPELLINGS[:6]]
