"""Erasure: nothing of the subject is left anywhere in the data folder, except what a legal hold keeps."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from o3_governance.storage import audit, warehouse
from o3_governance.retention.policy import PolicyError
from o3_governance.rights import register
from support.rights import (PHONE_SPELLINGS, PHOTO, SUBJECT_EMAIL, SUBJECT_NAME, SUBJECT_PHONE, build_warehouse,
                            carry_out, messages, record, run, secret)

POLICY = """timezone: Europe/Brussels
rules:
  - name: default
    retain_days: 730
    action: delete
legal_holds: {holds}
"""
HOLD = """
  - name: dispute-bruxelles
    chats: ["Client Bruxelles"]
    reason: "Open dispute with the client"
    until: {until}
"""
NEEDLES = [SUBJECT_NAME, "Peeters", "PEETERS", "peeters", SUBJECT_EMAIL, "jan.peeters", *PHONE_SPELLINGS]


def _policy(tmp_path: Path, monkeypatch, holds: str = "[]") -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY.format(holds=holds), encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(path))


def leftovers(root: Path, texts: list[str] | None = None, blobs: tuple[bytes, ...] = (PHOTO,)) -> list[tuple[str, str]]:
    """Every (file, needle) where a needle is found: in the raw bytes of every file, and in the decoded
    values of Parquet files and DuckDB tables (whose pages are compressed, so raw bytes alone could miss)."""
    found = []
    texts = NEEDLES if texts is None else texts
    needles = [n.encode("utf-8") for n in texts] + list(blobs)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [(str(path.relative_to(root)), n.decode("utf-8", "replace")) for n in needles if n in data]
        decoded = ""
        if path.suffix == ".parquet":
            decoded = json.dumps(pq.read_table(path).to_pylist(), default=str, ensure_ascii=False)
        elif path.suffix == ".duckdb":
            con = duckdb.connect(str(path), read_only=True)
            try:
                tables = [r[0] for r in con.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
                decoded = json.dumps({t: con.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables},
                                     default=str, ensure_ascii=False)
            finally:
                con.close()
        found += [(str(path.relative_to(root)) + " (decoded)", n) for n in texts if n in decoded]
    return found


def test_after_erasure_no_byte_of_the_subject_is_left(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch, raw_retention_days=30)   # raw archives kept: they must go too
    assert run(data_layout, "ACC-1", "access").status == "completed"
    run(data_layout, "RES-1", "restriction")
    assert leftovers(data_layout.root), "the fixture must hold the subject's data before erasure"
    assert list(data_layout.raw.iterdir())

    result = run(data_layout, "ERA-1", "erasure", phone="+32 471 23 45 67")

    assert result.status == "completed", result.outcome
    assert leftovers(data_layout.root) == []
    assert result.outcome["messages_deleted"] == 3 and result.outcome["mentions_redacted"] == 5
    assert result.outcome["messages_held"] == 0 and "holds" not in result.outcome
    assert not (data_layout.exports / "ACC-1").exists()
    assert not list(data_layout.media.rglob("*.jpg"))
    assert not list(data_layout.raw.iterdir())


def test_erasure_redacts_mentions_in_place_and_keeps_other_people_and_findings(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    before = {m[0]: m for m in messages(data_layout)}
    run(data_layout, "ERA-2", "erasure")
    after = {m[0]: m for m in messages(data_layout)}
    assert len(before) - len(after) == 2
    bodies = [m[4] for m in after.values()]
    assert "Ok! [erased] zijn nummer is [erased] en mail [erased]" in bodies
    assert "[erased] komt morgen, [erased] heeft griep" in bodies
    assert "Goeiemiddag" not in " ".join(b or "" for b in bodies)
    assert "Niets over hem hier, Anna Maes komt om 15u" in bodies   # others untouched
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        health = con.execute("SELECT m.body, f.start, f.\"end\" FROM findings f JOIN messages m USING (message_id) "
                             "WHERE f.entity_type = 'HEALTH_DATA'").fetchall()
        lake_bodies = {r[0] for r in con.execute(
            f"SELECT body FROM read_parquet('{data_layout.lake_messages}/*/*/*.parquet')").fetchall()}
    assert [(b[s:e]) for b, s, e in health] == ["heeft griep"]   # moved with the text, not lost
    assert lake_bodies == set(bodies)


def test_erasure_under_a_legal_hold_keeps_the_held_data_and_says_why(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch, HOLD.format(until="null"))
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ERA-3", "erasure")
    assert result.status == "completed"
    assert result.outcome["messages_held"] == 2
    assert result.outcome["holds"] == [{"name": "dispute-bruxelles", "reason": "Open dispute with the client",
                                        "until": None, "messages": 2}]
    assert "17(3)(e)" in result.outcome["legal_basis_for_keeping"]
    left = messages(data_layout)
    assert {m[1] for m in left if m[2] == SUBJECT_NAME} == {"Client Bruxelles"}
    assert any(m[4] == "Merci Jan Peeters, je note" for m in left)     # held mention not redacted
    assert result.outcome["messages_deleted"] == 2
    werf = [m for m in left if m[1] == "Werf Leuven"]
    assert not any("Peeters" in (m[4] or "") or "471" in (m[4] or "") for m in werf)


def test_a_hold_that_has_ended_does_not_keep_data(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch, HOLD.format(until="2026-01-31"))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ERA-4", "erasure")
    assert result.outcome["messages_held"] == 0 and result.outcome["messages_deleted"] == 3


def test_a_hold_on_the_subject_keeps_all_their_messages(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch, """
  - name: labour-court
    subjects: ["0471/23.45.67"]
    reason: "Pending labour court case"
    until: null
""")
    build_warehouse(data_layout, tmp_path, monkeypatch)
    result = run(data_layout, "ERA-5", "erasure")
    # as in the retention run, a hold on a person also keeps what others wrote about them
    assert result.outcome["messages_deleted"] == 0 and result.outcome["messages_held"] == 8
    assert result.outcome["holds"][0]["name"] == "labour-court"
    assert result.outcome["mentions_redacted"] == 0


def test_audit_log_names_the_request_and_keyed_hash_only(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch)
    run(data_layout, "ERA-6", "erasure")
    key = register.subject_key(secret(data_layout), SUBJECT_PHONE)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        rows = con.execute("SELECT event, details FROM audit_log ORDER BY seq").fetchall()
        assert audit.verify(con).ok
        req = register.get_request(con, "ERA-6")
        assert con.execute("SELECT count(*) FROM dsr_subjects").fetchone()[0] == 0
    events = {e: json.loads(d) for e, d in rows}
    assert events["dsr.received"]["subject_key"] == key
    assert events["dsr.erasure"]["request_id"] == "ERA-6" and events["dsr.erasure"]["purge"]["messages_deleted"] == 3
    assert events["dsr.erasure.completed"]["subject_key"] == key
    text = json.dumps(rows)
    for needle in NEEDLES:
        assert needle not in text
    assert (req.status, req.identifiers) == ("completed", "deleted")


def test_erasure_of_someone_with_no_data_completes_without_purging(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch)
    n = len(messages(data_layout))
    result = run(data_layout, "ERA-7", "erasure", phone="0499 99 88 77", name="Nobody Here", email=None)
    assert result.status == "completed" and result.outcome["messages_deleted"] == 0
    assert len(messages(data_layout)) == n


def test_a_broken_policy_fails_the_erasure_and_changes_nothing(data_layout, tmp_path, monkeypatch):
    build_warehouse(data_layout, tmp_path, monkeypatch)
    bad = tmp_path / "bad.yaml"
    bad.write_text("legal_holds: [\n", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(bad))
    n = len(messages(data_layout))
    record(data_layout, "ERA-8", "erasure")
    with pytest.raises(PolicyError, match="line"):
        carry_out(data_layout, "ERA-8")
    assert len(messages(data_layout)) == n
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        req = register.get_request(con, "ERA-8")
        assert req.status == "failed" and req.identifiers == "held"   # can be retried


ONE_TO_ONE = """02/05/2023, 10:00 - Piet Claes: Dag, de planning voor volgende week staat klaar
02/05/2023, 10:05 - Jan Peeters: Top, dank je
02/05/2023, 10:06 - Piet Claes: Graag gedaan
"""


def test_one_to_one_chat_named_after_the_subject_goes_whole(data_layout, tmp_path, monkeypatch):
    _policy(tmp_path, monkeypatch)
    (data_layout.inbox / "WhatsApp Chat with Jan Peeters.txt").write_text(ONE_TO_ONE, encoding="utf-8")
    build_warehouse(data_layout, tmp_path, monkeypatch)
    access = run(data_layout, "ACC-9", "access")
    assert access.outcome["messages_in_conversations"] == 2      # Piet's side of the conversation
    records = json.loads((data_layout.exports / "ACC-9" / "messages.json").read_text(encoding="utf-8"))
    assert {r["author"] for r in records if r["relation"] == "conversation"} == {"Other participant 1"}
    result = run(data_layout, "ERA-9", "erasure")
    assert result.outcome["messages_deleted"] == 3 + 3 and result.outcome["archive_names_erased"] == 1
    assert not any(m[1] == SUBJECT_NAME for m in messages(data_layout))
    assert leftovers(data_layout.root) == []
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM archives WHERE file_name = '[erased]'").fetchone()[0] == 1
