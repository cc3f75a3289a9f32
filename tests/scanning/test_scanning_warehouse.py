"""The scan of the warehouse: findings without text, incremental nights, rescans on a new
configuration, language updates, the Dagster asset and its checks, and no network access."""
import hashlib
import json
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from support.dagster_resources import resources
from o3_governance.storage import warehouse
from o3_governance.scanning import special_category_message_ids
from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES
from o3_governance.scanning.store import (known_people_from_authors, read_staff_directory, scan_warehouse,
                                          scannable_text)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
WERF = ("Werf Leuven", "nl")
CLIENT = ("Client Bruxelles", "fr")

SECRETS = ["0477 04 71 87", "wout.vandenbroeck@o3group.be", "BE62 1222 0297 2961", "85.07.30-033.28"]


def chat_id(name):
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def add(con, rows, start=0):
    """rows: (chat, author, message_type, body)."""
    for i, ((chat, lang), author, mtype, body) in enumerate(rows, start):
        t = T0 + timedelta(minutes=i)
        con.execute("INSERT INTO messages (message_id, archive_id, chat_id, chat_name, source_format, sent_at, "
                    "sent_local, local_date, month, author, author_phone, message_type, body, attachment, "
                    "media_sha256, edited, language, line_no) VALUES (?, 'a1', ?, ?, 'android', ?, ?, ?, ?, ?, NULL, "
                    "?, ?, NULL, NULL, false, ?, ?)",
                    [f"m{i:04d}", chat_id(chat), chat, t, t.replace(tzinfo=None), t.date(), t.strftime("%Y-%m"),
                     author, mtype, body, lang, i])


BASE = [
    (WERF, "Wout Van den Broeck", "text", f"Bel me op {SECRETS[0]} of mail {SECRETS[1]}"),
    (WERF, "Sofie Janssens", "text", f"Voorschot naar {SECRETS[2]} aub"),
    (WERF, "Sofie Janssens", "text", f"Rijksregisternummer van Kevin: {SECRETS[3]}"),
    (WERF, "Kevin De Smet", "text", "Wout is ziek vandaag, hij komt niet"),
    (WERF, "Kevin De Smet", "text", "ok"),
    (WERF, "Wout Van den Broeck", "text", "ok"),
    (WERF, "Wout Van den Broeck", "text", "On se voit demain au chantier avec le client?"),
    (WERF, "Sofie Janssens", "media", "<Media weggelaten>"),
    (WERF, "Sofie Janssens", "media", "IMG-20250301-WA0002.jpg (bestand bijgevoegd)\nFoto voor Wout"),
    (WERF, None, "system", "Berichten en oproepen worden end-to-end versleuteld. Bel 0477 04 71 87"),
    (WERF, "Kevin De Smet", "deleted", None),
    (CLIENT, "Marc Lemaire", "text", "Il a un casier judiciaire, la direction doit décider"),
    (CLIENT, "+32 497 61 61 24", "text", "Merci Marc !"),
]


@pytest.fixture
def con(data_layout):
    c = warehouse.connect(data_layout.warehouse)
    add(c, BASE)
    yield c
    c.close()


def state(con):
    return dict(con.execute("SELECT message_id, config_hash FROM scan_state").fetchall())


def test_findings_hold_offsets_never_text(con):
    s = scan_warehouse(con, workers=1)
    assert s.due == 11 and s.scanned == 10 and s.skipped == 1  # system and deleted are not even due
    cols = [r[0] for r in con.execute("DESCRIBE findings").fetchall()]
    assert cols == ["message_id", "entity_type", "start", "end", "score", "recognizer", "source", "page"]
    dump = json.dumps(con.execute("SELECT * FROM findings").fetchall() + con.execute(
        "SELECT * FROM scan_state").fetchall(), default=str)
    for secret in SECRETS + ["ziek", "casier"]:
        assert secret not in dump
    rows = con.execute('SELECT m.body, f.entity_type, f.start, f."end" FROM findings f JOIN messages m USING (message_id)'
                       ).fetchall()
    spans = {(t, body[a:b]) for body, t, a, b in rows}
    assert {("PHONE_NUMBER", SECRETS[0]), ("EMAIL_ADDRESS", SECRETS[1]), ("IBAN_CODE", SECRETS[2]),
            ("BE_NATIONAL_NUMBER", SECRETS[3]), ("HEALTH_DATA", "ziek"), ("PERSON", "Wout")} <= spans
    assert ("PERSON", "Wout") in spans  # the caption of a media message is scanned, at its offsets


def test_system_deleted_and_placeholders_are_not_scanned(con):
    scan_warehouse(con, workers=1)
    types = dict(con.execute("SELECT m.message_type, count(*) FROM findings f JOIN messages m USING (message_id) "
                             "GROUP BY ALL").fetchall())
    assert "system" not in types and "deleted" not in types
    outcome = dict(con.execute("SELECT message_id, outcome FROM scan_state").fetchall())
    assert outcome["m0007"] == "skipped" and outcome["m0008"] == "scanned"
    assert scannable_text("<Media omitted>", "media") is None
    assert scannable_text("image absente", "media") is None
    assert scannable_text("👍👍", "text") is None


def test_identical_bodies_are_analysed_once(con):
    s = scan_warehouse(con, workers=1)
    assert s.unique_texts == s.scanned - 1  # the two "ok" messages of one chat


def test_a_second_night_scans_only_new_messages(con):
    first = scan_warehouse(con, workers=1)
    before = con.execute("SELECT * FROM findings ORDER BY ALL").fetchall()
    again = scan_warehouse(con, workers=1)
    assert again.due == 0 and again.config_hash == first.config_hash
    assert con.execute("SELECT * FROM findings ORDER BY ALL").fetchall() == before
    add(con, [(WERF, "Kevin De Smet", "text", "Nieuwe gsm: 0496 33 19 12"), (WERF, "Kevin De Smet", "text", "ok")],
        start=100)
    third = scan_warehouse(con, workers=1)
    assert third.due == 2 and third.unique_texts == 1 and third.reused_texts == 1
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0100' AND entity_type = 'PHONE_NUMBER'"
                       ).fetchone()[0] == 1


def test_new_known_person_rescans_only_the_messages_naming_them(con):
    first = scan_warehouse(con, workers=1)
    add(con, [(WERF, "Zeynep Aksoy", "text", "Ik neem het over van Lotte"),
              (WERF, "Kevin De Smet", "text", "Welkom Zeynep")], start=200)
    second = scan_warehouse(con, workers=1)
    # the two new messages; no earlier message names Zeynep Aksoy: all carried over to the new configuration
    assert second.config_hash != first.config_hash and second.due == 2
    assert second.carried_forward == first.scanned + first.skipped
    assert set(state(con).values()) == {second.config_hash}


def test_changed_body_is_scanned_again(con):
    scan_warehouse(con, workers=1)
    con.execute("UPDATE messages SET body = 'geanonimiseerd' WHERE message_id = 'm0000'")
    s = scan_warehouse(con, workers=1)
    assert s.due == 1
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0000'").fetchone()[0] == 0


def test_removed_messages_lose_their_findings(con):
    scan_warehouse(con, workers=1)
    con.execute("DELETE FROM messages WHERE message_id = 'm0003'")
    scan_warehouse(con, workers=1)
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0003'").fetchone()[0] == 0
    assert "m0003" not in state(con)


def test_language_is_detected_per_message(con):
    scan_warehouse(con, workers=1)
    lang = dict(con.execute("SELECT message_id, language FROM messages").fetchall())
    assert lang["m0006"] == "fr" and lang["m0003"] == "nl" and lang["m0004"] == "nl"  # "ok": the chat's language
    assert lang["m0011"] == "fr"


def test_special_category_messages_for_retention(con):
    assert special_category_message_ids(con) == set()  # before any scan: no table, no error
    scan_warehouse(con, workers=1)
    assert special_category_message_ids(con) == {"m0003", "m0011"}
    assert {r[0] for r in con.execute("SELECT message_id FROM special_category_messages").fetchall()} == {"m0003", "m0011"}
    assert len(SPECIAL_CATEGORY_TYPES) == 9


def test_known_people_are_author_names_not_numbers(con):
    assert known_people_from_authors(con) == ["Kevin De Smet", "Marc Lemaire", "Sofie Janssens", "Wout Van den Broeck"]


def test_staff_directory_formats(tmp_path):
    (tmp_path / "s.yaml").write_text("Wout Van den Broeck: '+32478316254'\nSofie Janssens: '+32476639233'\n")
    (tmp_path / "s.csv").write_text("name,phone\nWout Van den Broeck,+32478316254\n")
    assert read_staff_directory(tmp_path / "s.yaml") == ["Sofie Janssens", "Wout Van den Broeck"]
    assert read_staff_directory(tmp_path / "s.csv") == ["Wout Van den Broeck"]
    (tmp_path / "bad.yaml").write_text("- phone: '+32478316254'\n")
    with pytest.raises(ValueError, match="name"):
        read_staff_directory(tmp_path / "bad.yaml")
    with pytest.raises(FileNotFoundError):
        read_staff_directory(tmp_path / "missing.yaml")


def test_staff_directory_names_are_recognised(con, tmp_path):
    (tmp_path / "staff.yaml").write_text("- name: Zeynep Aksoy\n")
    add(con, [(WERF, "Kevin De Smet", "text", "Vraag het aan Zeynep")], start=300)
    scan_warehouse(con, workers=1, staff_directory=tmp_path / "staff.yaml")
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0300' AND entity_type = 'PERSON'"
                       ).fetchone()[0] == 1


def test_scan_attempts_no_network_access(con, no_network, monkeypatch):
    from o3_governance.scanning import recognizers, worker

    # Build the engine and the public-suffix extractor afresh, under the guard.
    monkeypatch.setattr(worker, "_LOCAL", {})
    monkeypatch.setattr(recognizers.OfflineEmailRecognizer, "_extract", None)
    monkeypatch.setenv("TLDEXTRACT_CACHE", "/nonexistent")
    s = scan_warehouse(con, workers=1)
    assert s.by_type.get("EMAIL_ADDRESS") == 1
    assert no_network == []


def test_two_worker_processes_give_the_same_findings(con, monkeypatch):
    from o3_governance.scanning import pool

    many = [(WERF, "Kevin De Smet", "text", f"Levering {i} aan de werf, bel Wout op 0477 04 71 87") for i in range(40)]
    add(con, many, start=400)
    monkeypatch.setattr(pool, "PARALLEL_MIN", 10)
    monkeypatch.setattr(pool, "CHUNK", 16)
    s = scan_warehouse(con, workers=2)
    assert s.workers == 2
    parallel = con.execute("SELECT * EXCLUDE (scanned_at) FROM scan_state ORDER BY ALL").fetchall(), \
        con.execute("SELECT * FROM findings ORDER BY ALL").fetchall()
    con.execute("DELETE FROM scan_state")
    con.execute("DELETE FROM findings")
    assert scan_warehouse(con, workers=1).workers == 1
    assert (con.execute("SELECT * EXCLUDE (scanned_at) FROM scan_state ORDER BY ALL").fetchall(),
            con.execute("SELECT * FROM findings ORDER BY ALL").fetchall()) == parallel


def test_dagster_asset_and_checks(data_layout):
    from o3_governance.defs.scanning.assets import findings

    with warehouse.open_warehouse(data_layout.warehouse) as c:
        add(c, BASE)
    asset = findings
    assert asset.group_names_by_key[dg.AssetKey("findings")] == "scanning"
    assert dg.AssetKey("messages") in asset.asset_deps[dg.AssetKey("findings")]
    result = dg.materialize([asset], selection=[asset], resources=resources())
    assert result.success
    mat = result.get_asset_materialization_events()[0].materialization
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["dagster/row_count"] > 0 and meta["messages_with_special_category"] == 2
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["every_text_message_scanned"].passed
    warn = checks["no_special_category_data"]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    flat = json.dumps({k: str(v.value) for k, v in warn.metadata.items()}) + json.dumps(
        {k: str(v) for k, v in meta.items()})
    assert chat_id("Werf Leuven") in flat and "Werf Leuven" not in flat and "Client" not in flat
    for secret in SECRETS:
        assert secret not in flat
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as c:
        (details,) = c.execute("SELECT details FROM audit_log WHERE event = 'scan'").fetchone()
    assert json.loads(details)["scanned"] == 10


def test_unscanned_check_fails_when_a_message_is_left_out(data_layout):
    from o3_governance.scanning.store import unscanned_text_messages

    with warehouse.open_warehouse(data_layout.warehouse) as c:
        add(c, BASE)
        s = scan_warehouse(c, workers=1)
        c.execute("DELETE FROM scan_state WHERE message_id = 'm0000'")
        assert unscanned_text_messages(c, s.config_hash) == 1


def test_cli_scan_prints_counts_only(data_layout, capsys):
    from o3_governance.cli import main

    with warehouse.open_warehouse(data_layout.warehouse) as c:
        add(c, BASE)
    assert main(["scan", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["scanned"] == 10
    for secret in SECRETS:
        assert secret not in out
    assert main(["scan", "--workers", "0"]) == 1


def test_no_message_text_in_logs_even_at_debug_level(con, caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        scan_warehouse(con, workers=1)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in SECRETS + ["ziek vandaag", "casier"]:
        assert secret not in logged


def test_restricted_messages_are_stored_but_not_scanned(con):
    """Art. 18: a restricted subject's messages are only stored; the scan leaves them until lifted."""
    add(con, [(WERF, "Kevin De Smet", "text", "Mijn nummer is 0478 31 62 54")], start=400)
    # The marks as the rights domain records them (storage.restrictions: created with the warehouse).
    con.execute("INSERT INTO restrictions VALUES ('RES-1', 'key', 'restriction', false, ?, NULL, NULL)", [T0])
    con.execute("INSERT INTO restricted_messages VALUES ('RES-1', 'm0400')")
    summary = scan_warehouse(con, workers=1)
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0400'").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM scan_state WHERE message_id = 'm0400'").fetchone()[0] == 0
    assert summary.due > 0
    con.execute("UPDATE restrictions SET lifted_at = ? WHERE restriction_id = 'RES-1'", [T0])  # lifted: now scanned
    scan_warehouse(con, workers=1)
    assert con.execute("SELECT count(*) FROM findings WHERE message_id = 'm0400' "
                       "AND entity_type = 'PHONE_NUMBER'").fetchone()[0] == 1


def test_scan_checks_are_plain_numbers_from_the_domain(con):
    from o3_governance.scanning.store import check_scan

    summary = scan_warehouse(con, workers=1)
    check = check_scan(con, summary)
    assert check.every_text_message_scanned and check.unscanned_text_messages == 0 and not check.budget_exhausted
    assert check.findings_total == sum(check.findings_by_type.values()) > 0
    assert check.messages_with_special_category == 2
    assert sum(check.special_by_category.values()) == sum(n for _, _, n in check.special_by_chat) >= 2
    assert set(check.special_by_category) == set(SPECIAL_CATEGORY_TYPES)
    add(con, [(WERF, "Kevin De Smet", "text", "Bel me op 0478 31 62 54")], start=500)
    assert check_scan(con, summary).unscanned_text_messages == 1
