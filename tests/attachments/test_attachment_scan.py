"""The issue's end-to-end case: exports in three languages whose messages carry a PDF (IBAN and national
number), a DOCX (phone), a photo of printed text (e-mail and name), a photo with a face, a cat, a
landscape, a contact card and unreadable files yield exactly the expected attachment findings on the
right messages, the register says why a file could not be read, and the night stays green."""
from __future__ import annotations

import json

import dagster as dg
import pytest

from o3_governance.attachments import register
from o3_governance.scanning import attachment_scan, store
from o3_governance.storage import warehouse
from support.dagster_resources import resources

from support.attachment_exports import exports  # noqa: F401 - the fixture
from support.attachment_exports import INGESTED_AT, IBAN, NATIONAL_NUMBER, SUBJECT_EMAIL, by_attachment, files

EXPECTED = {
    ("Werf Gent", "factuur-2024-17.pdf"): {"IBAN_CODE", "BE_NATIONAL_NUMBER", "PERSON"},
    ("Werf Gent", "offerte.docx"): {"PHONE_NUMBER"},
    ("Werf Gent", "Jan Peeters.vcf"): {"PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS"},
    ("Werf Gent", "IMG-20230605-WA0001.jpg"): {"FACE", "LOCATION"},          # a face, and the EXIF position
    ("Chantier Namur", "IMG-20230412-WA0001.jpg"): {"EMAIL_ADDRESS", "PERSON"},   # photo of a delivery note
    ("Chantier Namur", "attestation.pdf"): {"PERSON", "HEALTH_DATA"},
    ("Site Antwerp", "IMG-20230920-WA0001.jpg"): {"PERSON"},                 # a cat; the EXIF artist is a name
    ("Site Antwerp", "IMG-20230605-WA0001.jpg"): {"FACE", "LOCATION"},       # the forwarded photo
}


def _scan(layout, **kw):
    with warehouse.open_warehouse(layout.warehouse) as con:
        store.scan_warehouse(con, workers=1)
        return attachment_scan.scan_attachments(con, layout, now=INGESTED_AT, **{"workers": 1, **kw})


def _rows(layout, sql, params=()):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_exactly_the_expected_attachment_findings_on_the_right_messages(exports):
    summary = _scan(exports, document_terms=["Factuur", "offerte"])
    assert by_attachment(exports) == EXPECTED
    # the cat, the landscape and the cat with an artist have no face
    faces = dict(_rows(exports, "SELECT m.attachment, a.faces FROM attachments a JOIN messages m USING (media_sha256) "
                                "WHERE m.chat_name = 'Chantier Namur'"))
    assert faces["IMG-20230412-WA0002.jpg"] == 0 and faces["IMG-20230412-WA0003.jpg"] == 0
    # findings are offsets, never text; pages where the file has them
    assert _rows(exports, "SELECT DISTINCT page FROM findings f JOIN messages m USING (message_id) "
                          "WHERE f.source = 'attachment' AND m.attachment = 'factuur-2024-17.pdf'") == [(1,)]
    assert _rows(exports, "SELECT count(*) FROM findings WHERE source = 'body' AND entity_type = 'FACE'") == [(0,)]
    # the forwarded photo was read once
    assert summary.faces == 1 and summary.due == len({d for f in files().values() for d in f.values()})
    # document terms: which of the policy's terms a file holds, lower case, never the text
    terms = _rows(exports, "SELECT m.attachment, t.term FROM attachment_terms t JOIN messages m USING (media_sha256)")
    assert set(terms) == {("factuur-2024-17.pdf", "factuur")}
    # no byte of what was read is in the warehouse beyond the files' own rows
    with warehouse.open_warehouse(exports.warehouse, read_only=True) as con:
        dump = json.dumps(con.execute("SELECT * FROM findings").fetchall() +
                          con.execute("SELECT * FROM attachments").fetchall(), default=str)
    assert IBAN not in dump and NATIONAL_NUMBER not in dump and SUBJECT_EMAIL not in dump


def test_unreadable_files_are_registered_with_a_reason(exports):
    _scan(exports)
    status = dict(((a, (s, r)) for a, s, r in _rows(
        exports, "SELECT m.attachment, a.status, a.reason FROM attachments a JOIN messages m USING (media_sha256)")))
    assert status["PTT-20230920-WA0002.opus"] == ("unsupported", "audio cannot be transcribed offline")
    assert status["locked.pdf"] == ("failed", "encrypted")
    assert status["broken.pdf"][0] == "failed" and status["broken.pdf"][1].startswith("corrupt or unreadable")
    assert status["plan-scan.png"] == ("too_large", "more than 80 megapixels")
    assert status["bomb.docx"] == ("failed", "zip bomb (expands too far)")
    with warehouse.open_warehouse(exports.warehouse, read_only=True) as con:
        check = register.check_register(con, attachment_scan.scanned_with(store.current_people(con), ()))
    assert check.every_attachment_registered
    assert check.unreadable["failed: encrypted"] == 1 and check.unreadable["too_large: more than 80 megapixels"] == 1


def test_a_file_is_read_once_per_configuration_and_a_new_configuration_reads_again(exports):
    first = _scan(exports)
    assert first.due > 0
    assert _scan(exports).due == 0
    before = by_attachment(exports)
    again = _scan(exports, document_terms=["certificat"])          # the policy's terms are part of the configuration
    assert again.due == first.due and by_attachment(exports) == before
    assert _rows(exports, "SELECT count(*) FROM attachment_terms") == [(1,)]


def test_a_message_that_newly_carries_a_file_already_read_gets_its_findings(data_layout):
    from o3_governance import ingest

    from support.attachment_exports import write_exports

    write_exports(data_layout.inbox, only=("Werf Gent",))
    ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    _scan(data_layout)
    write_exports(data_layout.inbox, only=("Site Antwerp",))
    ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    _scan(data_layout)
    assert by_attachment(data_layout)[("Site Antwerp", "IMG-20230605-WA0001.jpg")] == {"FACE", "LOCATION"}


def test_a_message_that_loses_its_file_loses_its_attachment_findings(exports):
    _scan(exports)
    with warehouse.open_warehouse(exports.warehouse) as con:
        con.execute("UPDATE messages SET media_sha256 = NULL WHERE attachment = 'offerte.docx'")
    _scan(exports)
    assert ("Werf Gent", "offerte.docx") not in by_attachment(exports)
    assert _rows(exports, "SELECT count(*) FROM attachments WHERE mime LIKE '%wordprocessingml%' AND status = 'scanned'") == [(0,)]


def test_a_body_rescan_keeps_attachment_findings(exports):
    _scan(exports)
    with warehouse.open_warehouse(exports.warehouse) as con:
        con.execute("UPDATE messages SET body = body || ' ' WHERE attachment = 'factuur-2024-17.pdf'")
        store.scan_warehouse(con, workers=1)
    assert by_attachment(exports)[("Werf Gent", "factuur-2024-17.pdf")] == EXPECTED[("Werf Gent", "factuur-2024-17.pdf")]


def test_an_existing_warehouse_gains_source_and_page(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute('CREATE TABLE findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, "end" INTEGER, '
                    "score DOUBLE, recognizer VARCHAR)")
        con.execute("INSERT INTO findings VALUES ('m1', 'PERSON', 0, 3, 0.9, 'x')")
        store.ensure_schema(con)
        assert con.execute("SELECT source, page FROM findings").fetchall() == [("body", None)]


def test_dagster_asset_checks_and_a_green_night(exports):
    from o3_governance.defs.scanning.assets import attachment_findings, findings

    assert attachment_findings.group_names_by_key[dg.AssetKey("attachment_findings")] == "scanning"
    result = dg.materialize([findings, attachment_findings], resources=resources(exports))
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["every_attachment_registered"].passed
    warn = checks["unreadable_attachments"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert warn.metadata["by_reason"].value["failed: encrypted"] == 1
    mats = {e.asset_key.path[-1]: e.materialization for e in result.get_asset_materialization_events()}
    meta = {k: str(v.value) for k, v in mats["attachment_findings"].metadata.items()}
    flat = json.dumps(meta) + json.dumps({k: str(v.value) for k, v in warn.metadata.items()})
    for secret in (IBAN, NATIONAL_NUMBER, SUBJECT_EMAIL, "Jan Peeters", "factuur", "Sofie"):
        assert secret not in flat
    assert by_attachment(exports) == EXPECTED
