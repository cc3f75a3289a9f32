"""Governance follows attachment findings: retention's special_category, entity_types, attachment_kind
and faces matches; an erasure removes every file that names the person and leaves no byte of them; an
access export includes those files."""
from __future__ import annotations

import json
import textwrap
from datetime import date, datetime, timezone

import pytest

from o3_governance.retention import decide
from o3_governance.retention.policy import PolicyError, parse_policy
from o3_governance.scanning import attachment_scan, store
from o3_governance.storage import stores, warehouse
from support import rights as R
from support.attachment_exports import exports  # noqa: F401 - the fixture
from support.attachment_exports import (IBAN, INGESTED_AT, NATIONAL_NUMBER, SUBJECT_EMAIL, SUBJECT_NAME,
                                        SUBJECT_PHONE)

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
POLICY = """
timezone: Europe/Brussels
rules:
  - name: sensitive
    match: {special_category: true}
    retain_days: 30
    action: anonymise
  - name: people-in-photos
    match: {faces: true}
    retain_days: 60
    action: delete
  - name: contact-cards
    match: {attachment_kind: [contact]}
    retain_days: 90
    action: delete
  - name: identifiers-in-documents
    match: {attachment_kind: [document], entity_types: [IBAN_CODE]}
    retain_days: 3650
    action: delete
  - name: photos-without-faces
    match: {attachment_kind: [image], faces: false}
    retain_days: 365
    action: delete
  - name: default
    retain_days: 730
    action: delete
"""


def _scan(layout):
    with warehouse.open_warehouse(layout.warehouse) as con:
        store.scan_warehouse(con, workers=1)
        attachment_scan.scan_attachments(con, layout, now=INGESTED_AT, workers=1)


def test_retention_matches_see_attachments(exports):
    _scan(exports)
    policy = parse_policy(textwrap.dedent(POLICY))
    with warehouse.open_warehouse(exports.warehouse) as con:
        decide.compute(con, policy, date(2026, 11, 24), now=NOW)
        rules = dict(con.execute("SELECT coalesce(m.attachment, m.body), r.rule FROM retention r "
                                 "JOIN messages m USING (message_id) WHERE m.chat_name <> 'Site Antwerp'").fetchall())
    assert rules == {
        "attestation.pdf": "sensitive",                     # a medical certificate: special category
        "IMG-20230605-WA0001.jpg": "people-in-photos",
        "Jan Peeters.vcf": "contact-cards",
        "factuur-2024-17.pdf": "identifiers-in-documents",
        "IMG-20230412-WA0001.jpg": "photos-without-faces",  # photo of a delivery note
        "IMG-20230412-WA0002.jpg": "photos-without-faces",  # the cat
        "IMG-20230412-WA0003.jpg": "photos-without-faces",  # the landscape
        "offerte.docx": "default",
        "Mooi werk vandaag": "default",
    }


@pytest.mark.parametrize("match,problem", [
    ("{faces: maybe}", "faces"),
    ("{attachment_kind: [pdf]}", "attachment_kind"),
])
def test_bad_attachment_matches_are_refused_with_the_line(match, problem):
    text = f"rules:\n  - name: r\n    match: {match}\n    retain_days: 1\n    action: delete\n"
    with pytest.raises(PolicyError, match=r"line 3.*" + problem):
        parse_policy(text)


def _needles() -> list[str]:
    return [SUBJECT_NAME, SUBJECT_EMAIL, IBAN, NATIONAL_NUMBER, "Peeters"] + R.PHONE_SPELLINGS


def test_erasure_removes_every_file_that_names_the_person_and_leaves_no_byte(exports, monkeypatch, tmp_path):
    _scan(exports)
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - name: default\n    retain_days: 36500\n    action: delete\nlegal_holds: []\n")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    assert stores.find_bytes([exports.root], _needles())          # the PDF and the card hold him
    shas = dict(_rows(exports, "SELECT attachment, media_sha256 FROM messages WHERE attachment IS NOT NULL"))
    result = R.run(exports, "ERA-A1", "erasure", phone=SUBJECT_PHONE, name=SUBJECT_NAME, email=SUBJECT_EMAIL)
    assert result.status == "completed"
    for name in ("factuur-2024-17.pdf", "Jan Peeters.vcf"):
        assert not list((exports.media / shas[name][:2]).glob(f"{shas[name]}*"))
    # others' files stay
    assert list((exports.media / shas["offerte.docx"][:2]).glob(f"{shas['offerte.docx']}*"))
    # the next night: the messages without their files have no attachment findings left, and no register row
    _scan(exports)
    assert _rows(exports, "SELECT count(*) FROM attachments WHERE media_sha256 IN (?, ?)",
                 [shas["factuur-2024-17.pdf"], shas["Jan Peeters.vcf"]]) == [(0,)]
    warehouse.compact(exports.warehouse)
    assert stores.find_bytes([exports.root], _needles()) == []


def test_access_export_includes_the_files_that_name_the_person(exports):
    _scan(exports)
    result = R.run(exports, "ACC-A1", "access", phone=SUBJECT_PHONE, name=SUBJECT_NAME, email=SUBJECT_EMAIL)
    assert result.status == "completed"
    folder = exports.exports / "ACC-A1"
    records = json.loads((folder / "messages.json").read_text(encoding="utf-8"))
    files = {r["media_file"] for r in records if r["media_file"]}
    shas = dict(_rows(exports, "SELECT attachment, media_sha256 FROM messages WHERE attachment IS NOT NULL"))
    assert {f"media/{shas['factuur-2024-17.pdf']}.pdf", f"media/{shas['Jan Peeters.vcf']}.vcf"} <= files
    assert f"media/{shas['offerte.docx']}.docx" not in files
    for f in files:
        assert (folder / f).is_file()


def _rows(layout, sql, params=()):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_the_report_counts_attachments_by_kind_status_reason_and_faces_without_names(exports):
    from o3_governance.reporting import leakcheck
    from support.reporting import build

    _scan(exports)
    result = build(exports)
    html = result.html.read_text(encoding="utf-8")
    section = html[html.index('<section id="attachments">'):]
    section = section[:section.index("</section>")]
    assert "audio cannot be transcribed offline" in section and "zip bomb (expands too far)" in section
    assert "encrypted" in section and "more than 80 megapixels" in section
    assert "2 photos show 2 faces" not in section and "1 photos show 1 faces" in section
    assert ">IBAN_CODE<" in section and ">FACE<" in section and ">HEALTH_DATA<" in section
    for leak in ("factuur", "Jan Peeters", "locked.pdf", SUBJECT_EMAIL, IBAN):
        assert leak not in html
    with warehouse.open_warehouse(exports.warehouse, read_only=True) as con:
        assert leakcheck.scan_folder(con, result.folder).files == []
    assert result.counts["attachments"] == 14 and result.counts["attachments_unreadable"] == 5
