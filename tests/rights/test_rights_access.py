"""Access and portability: the export is complete, redacts other people, and carries a true manifest."""
from __future__ import annotations

import csv
import hashlib
import json

import duckdb

from o3_governance.storage import warehouse
from o3_governance.identity import matching as identity
from o3_governance.rights import access, finder
from support.rights import PHOTO, SUBJECT_PHONE, build_warehouse, configured_directory, run


def _export(layout, request_id="ACC-1"):
    folder = layout.exports / request_id
    return folder, json.loads((folder / "messages.json").read_text(encoding="utf-8"))


def _independent_subject_ids(layout) -> tuple[set[str], set[str]]:
    """Written by / mentioning the subject, by a query that shares no code with the finder."""
    con = duckdb.connect(str(layout.warehouse), read_only=True)
    try:
        written = {r[0] for r in con.execute(
            "SELECT message_id FROM messages WHERE author_phone = '+32471234567' OR author = 'Jan Peeters'").fetchall()}
        digits = "regexp_replace(body, '[^0-9]', '', 'g')"
        mentioning = {r[0] for r in con.execute(
            f"SELECT message_id FROM messages WHERE (contains({digits}, '471234567') "
            "OR contains(lower(body), 'jan.peeters@example.be') OR regexp_matches(lower(body), 'jan peeters|peeters jan') "
            "OR regexp_matches(body, '\\bJan\\b')) AND message_id NOT IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(written)]).fetchall()}
    finally:
        con.close()
    return written, mentioning


def test_access_export_is_complete_against_an_independent_query(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ACC-1", "access")
    assert result.status == "completed"
    _, records = _export(data_layout)
    written, mentioning = _independent_subject_ids(data_layout)
    assert len(written) == 3 and len(mentioning) == 5   # guards against a vacuous comparison
    assert {r["message_id"] for r in records if r["relation"] == "author"} == written
    assert {r["message_id"] for r in records if r["relation"] == "mentioned"} == mentioning
    assert result.outcome["messages_exported"] == len(records) == 8
    for r in records:
        assert set(access.FIELDS) <= set(r)


def test_export_redacts_other_people_but_keeps_the_subject(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    run(data_layout, "ACC-1", "access")
    folder, records = _export(data_layout)
    text = (folder / "messages.json").read_text(encoding="utf-8") + (folder / "messages.csv").read_text(encoding="utf-8")
    for other in ("Piet Claes", "Anna Maes", "0472 11 22 33", "Piet", "Anna"):
        assert other not in text
    own = [r for r in records if r["relation"] == "author"]
    assert {r["author"] for r in own} == {"Jan Peeters", "+32 471 23 45 67"}
    assert {r["author"] for r in records if r["relation"] == "mentioned"} <= {"Other participant 1", "Other participant 2"}
    first = next(r for r in own if r["body"].startswith("Goeiemiddag"))
    assert first["body"] == "Goeiemiddag, ik ben er om 14u. Bel [redacted] op [redacted] als ik laat ben."
    mention = next(r for r in records if "zijn nummer" in (r["body"] or ""))
    assert mention["body"] == "Ok! Jan Peeters zijn nummer is 0471/23.45.67 en mail jan.peeters@example.be"
    assert all(r["chat_name"] in ("Werf Leuven", "Client Bruxelles") for r in records)


def test_export_media_csv_and_manifest_agree(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    run(data_layout, "ACC-1", "access")
    folder, records = _export(data_layout)
    media = [r for r in records if r["media_file"]]
    assert len(media) == 1 and (folder / media[0]["media_file"]).read_bytes() == PHOTO
    with (folder / "messages.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["message_id"] for r in rows] == [r["message_id"] for r in records]
    assert [r["body"] for r in rows] == [r["body"] or "" for r in records]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    assert set(listed) == {"messages.json", "messages.csv", media[0]["media_file"]}
    for path, sha in listed.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == sha
    assert access.verify_manifest(folder) == []
    (folder / "messages.csv").write_text("tampered", encoding="utf-8")
    assert access.verify_manifest(folder) == ["messages.csv"]


def test_access_by_phone_only_uses_the_directory_for_authors_shown_by_name(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ACC-2", "access", phone="0032 471 23 45 67", name=None, email=None)
    _, records = _export(data_layout, "ACC-2")
    assert result.outcome["messages_written"] == 3
    assert "Jan Peeters" in {r["author"] for r in records}
    # the e-mail comes from the directory too: the mention holding only it is found
    assert any("jan.peeters@example.be" in (r["body"] or "") for r in records)


def test_without_directory_a_name_given_with_the_request_still_finds_authored_messages(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    monkeypatch.delenv("O3_DIRECTORY_FILE")
    by_phone_only = run(data_layout, "ACC-3", "access", name=None, email=None)
    with_name = run(data_layout, "ACC-4", "access")
    assert by_phone_only.outcome["messages_written"] == 1     # only the message shown with the number
    assert with_name.outcome["messages_written"] == 3


def test_namesake_in_directory_is_not_taken_as_the_subject(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ACC-5", "access", phone="0499 99 88 77", name="Piet Claes", email=None)
    assert result.outcome["messages_written"] == 0 and result.outcome["messages_exported"] == 0
    assert "name_not_used" in result.outcome


def test_subject_with_no_data_gets_an_empty_but_valid_export(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ACC-6", "access", phone="0499 99 88 77", name="Nobody Here", email=None)
    folder, records = _export(data_layout, "ACC-6")
    assert result.status == "completed" and records == [] and access.verify_manifest(folder) == []


def test_finder_uses_scanner_findings_for_spellings_the_text_search_misses(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        mid = con.execute("SELECT message_id FROM messages WHERE author = 'Anna Maes' LIMIT 1").fetchone()[0]
        con.execute("UPDATE messages SET body = 'Nummer: 4 7 1 2 3 4 5 6 7 (landcode 32)' WHERE message_id = ?", [mid])
        con.execute("DELETE FROM findings WHERE message_id = ?", [mid])
        subject, data = finder.find_subject_data(con, SUBJECT_PHONE, directory=configured_directory())
        assert mid not in data.mentions
        # a scanner finding whose text normalizes to the subject's number counts as a mention
        # (full-width digits: the direct search does not read them, phonenumbers does)
        con.execute("UPDATE messages SET body = 'Nummer: \uff10\uff14\uff17\uff11 \uff12\uff13 \uff14\uff15 "
                    "\uff16\uff17 ok' WHERE message_id = ?", [mid])
        _, data = finder.find_subject_data(con, SUBJECT_PHONE, directory=configured_directory())
        assert mid not in data.mentions
        con.execute("INSERT INTO findings (message_id, entity_type, start, \"end\", score, recognizer) VALUES (?, 'PHONE_NUMBER', 8, 21, 0.5, 'test')", [mid])
        _, data = finder.find_subject_data(con, SUBJECT_PHONE, directory=configured_directory())
    assert data.mentions[mid] == [(8, 21)]


def test_first_name_alone_counts_only_when_no_one_else_has_it(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        subject, data = finder.find_subject_data(con, SUBJECT_PHONE, "Jan Peeters", directory=configured_directory())
        assert subject.first_names == {"jan"}
        griep = con.execute("SELECT message_id FROM messages WHERE body LIKE '%griep%'").fetchone()[0]
        assert griep in data.mentions
        # another known "Jan" makes the first name ambiguous
        dir2 = tmp_path / "dir2.yaml"
        dir2.write_text("- name: Jan Jansen\n  phone: '0475 12 34 56'\n", encoding="utf-8")
        subject, _ = finder.find_subject_data(con, SUBJECT_PHONE, "Jan Peeters",
                                              directory=identity.load_directory(dir2))
        assert subject.first_names == set()


def test_restricted_subject_still_gets_their_own_data(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    run(data_layout, "RES-1", "restriction")
    result = run(data_layout, "ACC-7", "access")
    assert result.outcome["messages_exported"] == 8


def test_identifiers_leave_the_register_when_the_access_request_closes(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    run(data_layout, "ACC-8", "access")
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 0
        assert con.execute("SELECT identifiers, status FROM dsr_requests").fetchone() == ("deleted", "completed")
