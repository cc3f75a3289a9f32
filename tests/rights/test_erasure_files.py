"""Erasure reaches files and names of files: others' attachment names, media that mention the person
(contact cards by their fields, other kinds through the reader hook), registry rows of every status,
and kept or quarantined copies that hold the person."""
from __future__ import annotations

import io
import zipfile

import duckdb

from o3_governance import ingest
from o3_governance.rights import media_texts
from o3_governance.storage import stores, warehouse
from support.rights import INGESTED_AT, SUBJECT_EMAIL, build_warehouse, run, write_inbox

CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Someone\r\nTEL:0471/23.45.67\r\nEND:VCARD\r\n"
OTHER_CARD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Piet Claes\r\nTEL:+32 472 11 22 33\r\nEND:VCARD\r\n"
CHAT = """05/06/2023, 10:00 - Piet Claes: Peeters, Jan.vcf (file attached)
05/06/2023, 10:01 - Anna Maes: IMG-Jan-0471234567.jpg (file attached)
05/06/2023, 10:02 - Piet Claes: contact.vcf (file attached)
05/06/2023, 10:03 - Anna Maes: piet.vcf (file attached)
05/06/2023, 10:04 - Anna Maes: plan.pdf (file attached)
"""
POLICY = "rules:\n  - name: default\n    retain_days: 36500\n    action: delete\nlegal_holds: {holds}\n"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


def _setup(layout, tmp_path, monkeypatch, holds: str = "[]"):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(holds=holds), encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))
    (layout.inbox / "WhatsApp Chat with Bestek.zip").write_bytes(_zip({
        "WhatsApp Chat with Bestek.txt": CHAT.encode(), "Peeters, Jan.vcf": b"BEGIN:VCARD\r\nFN:X\r\nEND:VCARD\r\n",
        "IMG-Jan-0471234567.jpg": b"\xff\xd8 photo", "contact.vcf": CARD, "piet.vcf": OTHER_CARD,
        "plan.pdf": b"%PDF-1.4 plan for jan.peeters@example.be"}))
    build_warehouse(layout, tmp_path, monkeypatch)


def _rows(layout, sql, params=()):
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_attachment_names_and_media_that_mention_the_person_are_erased(data_layout, tmp_path, monkeypatch):
    _setup(data_layout, tmp_path, monkeypatch)
    before = dict(_rows(data_layout, "SELECT attachment, media_sha256 FROM messages WHERE attachment IS NOT NULL"))
    result = run(data_layout, "ERA-F1", "erasure")
    assert result.status == "completed"
    after = dict(_rows(data_layout, "SELECT attachment, media_sha256 FROM messages WHERE chat_name = 'Bestek'"))
    # the personal part goes, the kind of file stays; the file named after him goes
    assert after["[erased].vcf"] is None and after["IMG-[erased]-[erased].jpg"] is None
    assert after["contact.vcf"] is None                    # his card under a neutral name: by its fields
    assert after["piet.vcf"] == before["piet.vcf"]         # someone else's card stays
    assert after["plan.pdf"] == before["plan.pdf"]         # no reader for PDFs yet: kept
    lake = {r[0] for r in duckdb.connect().execute(
        f"SELECT attachment FROM read_parquet('{data_layout.lake_messages}/*/*/*.parquet')").fetchall()}
    assert {"[erased].vcf", "IMG-[erased]-[erased].jpg"} <= lake and "Peeters, Jan.vcf" not in lake
    for name in ("Peeters, Jan.vcf", "IMG-Jan-0471234567.jpg", "contact.vcf"):
        assert not list((data_layout.media / before[name][:2]).glob(f"{before[name]}*"))
    assert list((data_layout.media / before["piet.vcf"][:2]).glob(f"{before['piet.vcf']}*"))
    assert result.outcome["attachment_names_erased"] == 2 and result.outcome["media_mentioning_removed"] == 3
    assert stores.unreferenced_media(data_layout, stores.referenced_media(data_layout)) == []


def test_the_media_reader_hook_lets_attachment_scanning_reach_other_kinds(data_layout, tmp_path, monkeypatch):
    _setup(data_layout, tmp_path, monkeypatch)
    monkeypatch.setitem(media_texts.READERS, ".pdf", lambda path: [path.read_bytes().decode("latin-1")])
    (sha,) = _rows(data_layout, "SELECT media_sha256 FROM messages WHERE attachment = 'plan.pdf'")[0]
    run(data_layout, "ERA-F2", "erasure")
    assert _rows(data_layout, "SELECT media_sha256 FROM messages WHERE attachment = 'plan.pdf'") == [(None,)]
    assert not list((data_layout.media / sha[:2]).glob(f"{sha}*"))


def test_texts_of_media_reads_cards_and_nothing_else_for_now(tmp_path):
    card = tmp_path / "c.vcf"
    card.write_bytes(CARD)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8 0471 23 45 67")
    assert media_texts.texts_of_media(card) == ["Someone", "0471/23.45.67"]
    assert media_texts.texts_of_media(photo) == []
    assert media_texts.texts_of_media(tmp_path / "gone.vcf") == []


def _quarantine_and_duplicate(layout):
    """A duplicate saved under his name, his chat's unreadable export, a corrupt zip naming him in a
    member name, and an unreadable file that is not about him."""
    (layout.inbox / "WhatsApp Chat - Jan Peeters.zip").write_bytes(
        _zip({"_chat.txt": f"Jan Peeters\n{SUBJECT_EMAIL}\n".encode()}))
    broken = _zip({"IMG-0471234567.jpg": b"\xff\xd8 photo bytes " * 20})
    (layout.inbox / "fotos.zip").write_bytes(broken[: len(broken) // 2])   # corrupt: cut in half
    (layout.inbox / "notes.zip").write_bytes(_zip({"_chat.txt": b"Anna Maes\nniets\n"}))
    ingest.ingest_inbox(layout, now=INGESTED_AT)


def test_registry_rows_of_every_status_and_quarantined_copies_lose_the_person(data_layout, tmp_path, monkeypatch):
    _setup(data_layout, tmp_path, monkeypatch)
    werf = data_layout.inbox / "Werf Leuven van Jan Peeters.zip"
    write_inbox(data_layout, with_bxl=False)   # the same bytes again: a duplicate, saved under his name
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.zip").rename(werf)
    _quarantine_and_duplicate(data_layout)
    statuses = dict(_rows(data_layout, "SELECT file_name, status FROM archives"))
    assert statuses[werf.name] == "duplicate"
    assert statuses["WhatsApp Chat - Jan Peeters.zip"] == "quarantined" and statuses["fotos.zip"] == "quarantined"
    quarantined = sorted(p.name for p in data_layout.quarantine.iterdir() if not p.name.endswith(".reason.txt"))
    assert len(quarantined) == 3

    result = run(data_layout, "ERA-F3", "erasure")
    names = {r[0] for r in _rows(data_layout, "SELECT file_name FROM archives")}
    assert "Werf Leuven van [erased].zip" in names and "WhatsApp Chat - [erased].zip" in names
    assert not any("Peeters" in n for n in names)
    left = sorted(p.name for p in data_layout.quarantine.iterdir())
    assert len(left) == 2 and left[1] == left[0] + ".reason.txt"          # only the file not about him stays
    assert result.outcome["kept_copies_removed"] == 2 and result.outcome["registry_file_names_erased"] >= 2
    paths = {r[0] for r in _rows(data_layout, "SELECT raw_path FROM archives WHERE raw_path IS NOT NULL")}
    assert paths == {f"quarantine/{left[0]}"}


def test_a_hold_on_the_person_keeps_the_copies_and_registry_names(data_layout, tmp_path, monkeypatch):
    _setup(data_layout, tmp_path, monkeypatch, holds='\n  - name: case\n    subjects: ["Peeters, Jan"]\n'
                                                     '    reason: "labour court"\n    until: null\n')
    _quarantine_and_duplicate(data_layout)
    result = run(data_layout, "ERA-F4", "erasure")
    assert result.outcome["messages_held"] > 0 and "kept_copies_removed" not in result.outcome
    assert len([p for p in data_layout.quarantine.iterdir() if not p.name.endswith(".reason.txt")]) == 3


def test_a_partial_row_is_renamed_and_a_symlinked_copy_is_never_followed(data_layout, tmp_path, monkeypatch):
    _setup(data_layout, tmp_path, monkeypatch)
    outside = tmp_path / "outside.txt"
    outside.write_text("Jan Peeters 0471 23 45 67", encoding="utf-8")
    (data_layout.quarantine / "link.txt").symlink_to(outside)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        con.execute("INSERT INTO archives (archive_id, file_name, sha256, status, received_at) "
                    "VALUES ('p1', 'Jan_Peeters_0471234567.txt', 'f00', 'partial', TIMESTAMPTZ '2026-01-05 02:00:00+00')")
    result = run(data_layout, "ERA-F5", "erasure")
    assert _rows(data_layout, "SELECT file_name FROM archives WHERE archive_id = 'p1'") == [("[erased]_[erased].txt",)]
    assert outside.read_text(encoding="utf-8").startswith("Jan Peeters")     # never followed out of the data folder
    assert (data_layout.quarantine / "link.txt").is_symlink() and result.outcome["kept_copies_removed"] == 0
