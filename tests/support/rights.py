"""Shared material for the rights tests (a small inbox with a data subject in it), and the tests of
the identity helpers and the request register."""
from __future__ import annotations

import os
import stat
import zipfile
from datetime import date
from pathlib import Path

import pytest

from o3_governance import ingest
from o3_governance.storage import warehouse
from o3_governance.config import DataLayout
from o3_governance.identity import matching as identity
from o3_governance.rights import register, service

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

FINDINGS_DDL = ('CREATE TABLE IF NOT EXISTS findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, '
                '"end" INTEGER, score DOUBLE, recognizer VARCHAR)')


def write_inbox(layout: DataLayout, *, with_bxl: bool = True) -> None:
    with zipfile.ZipFile(layout.inbox / "WhatsApp Chat with Werf Leuven.zip", "w") as z:
        z.writestr("WhatsApp Chat with Werf Leuven.txt", WERF)
        z.writestr("IMG-20220323-WA0002.jpg", PHOTO)
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
    import re

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
        con.executemany("INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?)", rows)


def record(layout: DataLayout, request_id: str, kind: str, *, phone: str = "0471 23 45 67",
           name: str | None = SUBJECT_NAME, email: str | None = SUBJECT_EMAIL, received_on: date = date(2026, 11, 2),
           **extra) -> register.Request:
    with warehouse.open_warehouse(layout.warehouse) as con:
        return register.record_request(con, layout, request_id=request_id, kind=kind,
                                       phone=identity.require_phone(phone), name=name, email=email,
                                       received_on=received_on, **extra)


def run(layout: DataLayout, request_id: str, kind: str, **kw) -> service.Result:
    record(layout, request_id, kind, **kw)
    return service.carry_out(layout, request_id)


def messages(layout: DataLayout) -> list[tuple]:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute("SELECT message_id, chat_name, author, author_phone, body FROM messages "
                           "ORDER BY sent_at, line_no").fetchall()


# ------------------------------------------------------------------------------- identity helpers

@pytest.mark.parametrize("spelling", PHONE_SPELLINGS[:7] + ["\u202a+32\u00a0471\u00a023\u00a045\u00a067\u202c",
                                                            "0032 (0)471-23-45-67", "+32.471.23.45.67"])
def test_every_usual_spelling_normalizes_to_e164(spelling):
    assert identity.normalize_phone(spelling) == SUBJECT_PHONE


@pytest.mark.parametrize("text", ["", "abc", "12", "call me", None])
def test_non_numbers_do_not_normalize(text):
    assert identity.normalize_phone(text) is None


def test_phone_pattern_finds_spellings_in_text_and_not_other_numbers():
    import re

    rx = re.compile(identity.phone_pattern(SUBJECT_PHONE))
    text = ("bel 0471 23 45 67 of 0471/23.45.67, +32 471 23 45 67; 0032471234567; wa.me/32471234567 "
            "+32 (0)471 234567, niet 0472 11 22 33 of 0471 23 45 68")
    assert len(rx.findall(text)) == 6
    assert not rx.search("0472 11 22 33 en 0471 23 45 68")


def test_require_phone_rejects_garbage_without_echoing_it():
    with pytest.raises(identity.InvalidIdentifier) as exc:
        identity.require_phone("not-a-phone-xyz")
    assert "xyz" not in str(exc.value)


def test_invalid_email_is_refused_without_echoing_it():
    with pytest.raises(identity.InvalidIdentifier) as exc:
        identity.normalize_email("jan at example")
    assert "jan" not in str(exc.value)


def test_names_compare_without_case_accents_spacing_or_tilde():
    assert identity.normalize_name("~ Hélène  DUPONT") == identity.normalize_name("helene dupont") == "helene dupont"
    assert identity.normalize_name("Anne-Sophie Lambert") == "anne sophie lambert"


def test_name_regex_maps_matches_back_to_original_offsets():
    body = "Vu avec HÉLÈNE Dupont et dupont, hélène hier"
    folded, index = identity.mapped_text(body)
    spans = [(index[m.start()], index[m.end() - 1] + 1) for m in identity.name_regex("helene dupont").finditer(folded)]
    assert [body[s:e] for s, e in spans] == ["HÉLÈNE Dupont", "dupont, hélène"]


def test_directory_yaml_list_mapping_and_csv(tmp_path):
    y = tmp_path / "d.yaml"
    y.write_text(DIRECTORY, encoding="utf-8")
    entries = identity.load_directory(y)
    assert (entries[0].name, entries[0].phone, entries[0].email) == ("Jan Peeters", SUBJECT_PHONE, SUBJECT_EMAIL)
    m = tmp_path / "m.yml"
    m.write_text("Jan Peeters: '0471/23.45.67'\n", encoding="utf-8")
    assert identity.load_directory(m)[0].phone == SUBJECT_PHONE
    c = tmp_path / "d.csv"
    c.write_text("name,phone,email\nJan Peeters,0032471234567,JAN.PEETERS@example.be\n", encoding="utf-8")
    assert identity.load_directory(c)[0] == identity.DirectoryEntry("Jan Peeters", SUBJECT_PHONE, SUBJECT_EMAIL)


def test_directory_missing_file_or_bad_shape_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        identity.load_directory(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- phone: '0471 23 45 67'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs a name"):
        identity.load_directory(bad)
    assert identity.load_directory(None) == []


# ------------------------------------------------------------------------------------ the register

@pytest.mark.parametrize("received, due", [(date(2026, 1, 31), date(2026, 2, 28)), (date(2028, 1, 31), date(2028, 2, 29)),
                                           (date(2026, 12, 15), date(2027, 1, 15)), (date(2026, 3, 1), date(2026, 4, 1))])
def test_due_date_is_one_calendar_month_later(received, due):
    assert register.add_one_month(received) == due


def test_subject_key_file_is_created_private_and_stable(data_layout, monkeypatch):
    monkeypatch.delenv("O3_SUBJECT_KEY", raising=False)
    k1 = register.subject_key(data_layout, SUBJECT_PHONE)
    path = register.secret_path(data_layout)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert register.subject_key(data_layout, SUBJECT_PHONE) == k1 != register.subject_key(data_layout, "+32471234568")
    assert len(k1) == 64 and SUBJECT_PHONE not in k1


def test_subject_key_from_environment_differs_from_a_plain_hash(data_layout, monkeypatch):
    import hashlib

    monkeypatch.setenv("O3_SUBJECT_KEY", "k-one")
    k1 = register.subject_key(data_layout, SUBJECT_PHONE)
    monkeypatch.setenv("O3_SUBJECT_KEY", "k-two")
    assert register.subject_key(data_layout, SUBJECT_PHONE) != k1
    assert k1 != hashlib.sha256(SUBJECT_PHONE.encode()).hexdigest()
    assert not register.secret_path(data_layout).exists()


def test_record_request_keeps_identifiers_only_in_dsr_subjects(data_layout):
    req = record(data_layout, "DSR-1", "access")
    assert (req.status, req.due_date, req.kind) == ("received", date(2026, 12, 2), "access")
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT phone, name, email FROM dsr_subjects").fetchall() == [
            (SUBJECT_PHONE, SUBJECT_NAME, SUBJECT_EMAIL)]
        row = " ".join(str(v) for v in con.execute("SELECT * FROM dsr_requests").fetchone())
        audit_text = " ".join(r[0] for r in con.execute("SELECT details FROM audit_log").fetchall())
    for ident in (SUBJECT_PHONE, "471234567", "Peeters", SUBJECT_EMAIL):
        assert ident not in row and ident not in audit_text
    assert req.subject_key in audit_text


@pytest.mark.parametrize("request_id, reason", [("", "1-64 characters"), ("a b", "1-64 characters"),
                                                ("x" * 65, "1-64 characters"), ("DSR-0471234567", "phone"),
                                                ("DSR-peeters", "name"), ("jan.peeters", "email")])
def test_bad_or_identifying_request_ids_are_refused(data_layout, request_id, reason):
    with pytest.raises(register.RequestError, match=reason):
        record(data_layout, request_id, "access")


def test_request_kind_and_options_are_checked(data_layout):
    with pytest.raises(register.RequestError, match="unknown request kind"):
        record(data_layout, "R1", "deletion")
    with pytest.raises(register.RequestError, match="--lift"):
        record(data_layout, "R2", "access", lift=True)
    with pytest.raises(register.RequestError, match="needs --new-name"):
        record(data_layout, "R3", "rectification")
    with pytest.raises(register.RequestError, match="rectification requests only"):
        record(data_layout, "R4", "erasure", new_name="X Y")


def test_a_request_id_is_used_once(data_layout):
    record(data_layout, "R1", "access")
    with pytest.raises(register.RequestError, match="already exists"):
        record(data_layout, "R1", "erasure")


def test_deadline_status_lists_due_soon_and_overdue_open_requests(data_layout):
    record(data_layout, "OLD", "access", received_on=date(2026, 10, 1))      # due 1 Nov
    record(data_layout, "SOON", "access", received_on=date(2026, 10, 28))    # due 28 Nov
    record(data_layout, "LATER", "access", received_on=date(2026, 11, 20))   # due 20 Dec
    record(data_layout, "DONE", "access", received_on=date(2026, 9, 1))
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        register.close_request(con, "DONE", status="completed", outcome={"messages_exported": 0}, run_id=None)
        status = register.deadline_status(con, date(2026, 11, 24))
    assert (status.open_requests, status.due_soon, status.overdue) == (3, ["SOON"], ["OLD"])


def test_carrying_out_an_unknown_request_fails_cleanly(data_layout):
    with pytest.raises(register.RequestError, match="no request with this id"):
        service.carry_out(data_layout, "NOPE")


def test_closed_request_is_not_redone(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    first = run(data_layout, "R1", "access")
    again = service.carry_out(data_layout, "R1")
    assert first.status == again.status == "completed" and again.already_closed
    assert again.outcome == first.outcome


def test_kind_mismatch_between_job_and_request_is_refused(data_layout):
    record(data_layout, "R1", "access")
    with pytest.raises(register.RequestError, match="not erasure"):
        service.carry_out(data_layout, "R1", expected_kind="erasure")


def test_secret_dir_is_inside_data_folder(data_layout, monkeypatch):
    monkeypatch.delenv("O3_SUBJECT_KEY", raising=False)
    register.secret_key(data_layout)
    assert register.secret_path(data_layout).is_relative_to(data_layout.root)
    assert os.access(register.secret_path(data_layout), os.R_OK)
