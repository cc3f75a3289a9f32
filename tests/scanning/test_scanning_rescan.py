"""Rescanning only what a change touches: an erasure, a known person added or removed, a term file
changed. Each night's result must equal a full rescan under the new configuration."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from o3_governance import ingest
from o3_governance.scanning import fingerprint
from o3_governance.scanning.fingerprint import TERMS_DIR, PeopleIndex, gate_words, person_key
from o3_governance.scanning.store import scan_warehouse
from o3_governance.storage import warehouse
from support.rights import DIRECTORY, INGESTED_AT, run, write_inbox

# A third chat where nobody mentions the subject (Jan Peeters): an erasure must leave it unscanned.
PLOEG = "\n".join(
    f"0{d}/05/2022, 08:{m:02d} - {who}: {text}"
    for d, (who, text) in enumerate([("Piet Claes", "Goeiemorgen, de stelling staat"),
                                     ("Anna Maes", "Piet, heb je de sleutels van de container?"),
                                     ("Piet Claes", "Ja, bel me op 0472 11 22 33"),
                                     ("Anna Maes", "Sofie Janssens is ziek thuis vandaag"),
                                     ("Piet Claes", "Ok, Anna neemt haar werk over"),
                                     ("Anna Maes", "Levering om 10u aan de Kerkstraat 5")], 1)
    for m in (0, 1)) + "\n"


def _policy(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("timezone: Europe/Brussels\nrules:\n  - name: default\n    retain_days: 730\n    action: delete\n"
                    "legal_holds: []\n", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(path))


def _findings(con) -> list[tuple]:
    return con.execute('SELECT message_id, entity_type, start, "end", score, recognizer FROM findings ORDER BY ALL'
                       ).fetchall()


def _full_rescan(con, **kw) -> list[tuple]:
    """The findings a scan from nothing gives under the same configuration."""
    con.execute("DELETE FROM findings")
    con.execute("DELETE FROM scan_state")
    con.execute("DELETE FROM scan_config")
    scan_warehouse(con, workers=1, **kw)
    return _findings(con)


def test_an_erasure_then_a_night_rescans_only_the_messages_that_mentioned_the_person(data_layout, tmp_path,
                                                                                     monkeypatch):
    _policy(tmp_path, monkeypatch)
    (tmp_path / "directory.yaml").write_text(DIRECTORY, encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(tmp_path / "directory.yaml"))   # finds him from his phone
    write_inbox(data_layout, with_bxl=True)
    (data_layout.inbox / "WhatsApp Chat with Ploeg.txt").write_text(PLOEG, encoding="utf-8")
    ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        first = scan_warehouse(con, workers=1)
        before = dict(con.execute("SELECT message_id, body FROM messages").fetchall())
    assert first.due > 20

    assert run(data_layout, "ERA-1", "erasure", phone="+32 471 23 45 67").status == "completed"

    with warehouse.open_warehouse(data_layout.warehouse) as con:
        after = dict(con.execute("SELECT message_id, body FROM messages").fetchall())
        mentioned = {m for m, body in after.items() if body != before[m]}   # redacted: they named him
        night = scan_warehouse(con, workers=1)
        rescanned = {r[0] for r in con.execute("SELECT message_id FROM scan_state WHERE scanned_at > "
                                               "(SELECT min(scanned_at) FROM scan_state)").fetchall()}
        assert mentioned and night.config_hash != first.config_hash   # the author left the known people
        assert night.due == len(mentioned) == night.scanned
        assert rescanned == mentioned
        # carried over: every message the change of known people could not touch (a redacted body is
        # due again for its new text, whatever its configuration)
        assert night.carried_forward >= len(after) - len(mentioned) - con.execute(
            "SELECT count(*) FROM messages WHERE message_type NOT IN ('text', 'media')").fetchone()[0]
        kept = _findings(con)
        assert kept == _full_rescan(con)


@pytest.fixture
def con(data_layout):
    from test_scanning_warehouse import BASE, add  # the scanning tests' small warehouse

    c = warehouse.connect(data_layout.warehouse)
    add(c, BASE)
    yield c
    c.close()


PEOPLE = ["Wout Van den Broeck", "Sofie Janssens", "Kevin De Smet", "Marc Lemaire"]


def test_a_person_removed_rescans_only_the_messages_whose_text_could_name_them(con):
    scan_warehouse(con, known_people=PEOPLE, workers=1)
    night = scan_warehouse(con, known_people=[p for p in PEOPLE if p != "Wout Van den Broeck"], workers=1)
    # "Wout is ziek", "Foto voor Wout", "Bel me … wout.vandenbroeck@…": the three whose words hold "wout"
    assert night.due == 3 and night.carried_forward == 8
    assert _findings(con) == _full_rescan(con, known_people=[p for p in PEOPLE if p != "Wout Van den Broeck"])


def test_a_person_added_rescans_only_the_messages_holding_a_word_of_their_name(con):
    scan_warehouse(con, known_people=PEOPLE, workers=1)
    night = scan_warehouse(con, known_people=PEOPLE + ["Kevin Peeters"], workers=1)
    assert night.due == 1   # "Rijksregisternummer van Kevin: …"
    assert _findings(con) == _full_rescan(con, known_people=PEOPLE + ["Kevin Peeters"])


def test_an_unchanged_configuration_carries_nothing_and_scans_nothing(con):
    first = scan_warehouse(con, known_people=PEOPLE, workers=1)
    again = scan_warehouse(con, known_people=list(reversed(PEOPLE)), workers=1)
    assert again.config_hash == first.config_hash and again.due == 0 and again.carried_forward == 0


def test_a_code_change_makes_every_message_due(con, monkeypatch):
    first = scan_warehouse(con, known_people=PEOPLE, workers=1)
    monkeypatch.setattr(fingerprint, "SCANNER_VERSION", "test-bump")
    night = scan_warehouse(con, known_people=PEOPLE, workers=1)
    assert night.due == first.due and night.carried_forward == 0


def test_a_night_cut_short_leaves_the_touched_messages_due_the_next_night(con):
    scan_warehouse(con, known_people=PEOPLE, workers=1)
    con.execute("DELETE FROM findings")   # what an interrupted night could leave: the parts recorded, no scan
    smaller = [p for p in PEOPLE if p != "Wout Van den Broeck"]
    from o3_governance.scanning.store import carry_forward

    parts = fingerprint.config_parts(smaller)
    assert carry_forward(con, parts, smaller) == 8
    night = scan_warehouse(con, known_people=smaller, workers=1)
    assert night.due == 3 and night.carried_forward == 0


@pytest.fixture
def terms(tmp_path) -> Path:
    root = tmp_path / "terms"
    shutil.copytree(TERMS_DIR, root)
    return root


def _rescanned(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT message_id FROM scan_state WHERE scanned_at = "
                                      "(SELECT max(scanned_at) FROM scan_state)").fetchall()}


def test_a_changed_term_file_rescans_only_what_its_terms_could_match(con, terms):
    first = scan_warehouse(con, workers=1, terms_dir=terms)
    judicial = terms / "fr" / "criminal.yaml"
    doc = yaml.safe_load(judicial.read_text(encoding="utf-8"))
    doc["rules"].append({"terms": ["chantier"], "needs_person": False})
    judicial.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    night = scan_warehouse(con, workers=1, terms_dir=terms)
    # "On se voit demain au chantier…" (the new term) and "Il a un casier judiciaire…" (a CRIMINAL finding),
    # and the few whose words start like a word of the file; not the rest
    assert {"m0006", "m0011"} <= _rescanned(con) and night.due < first.due - 5
    assert _findings(con) == _full_rescan(con, terms_dir=terms)


def test_a_term_removed_rescans_the_messages_it_matched(con, terms):
    scan_warehouse(con, workers=1, terms_dir=terms)
    health = terms / "nl" / "health.yaml"
    before = con.execute("SELECT count(*) FROM findings WHERE entity_type = 'HEALTH_DATA'").fetchone()[0]
    health.write_text(health.read_text(encoding="utf-8").replace("ziek", "zzzk"), encoding="utf-8")
    night = scan_warehouse(con, workers=1, terms_dir=terms)
    assert 1 <= night.due < 11 and before >= 1
    assert _findings(con) == _full_rescan(con, terms_dir=terms)


def test_a_term_file_that_does_not_load_makes_the_scan_fail_without_carrying_anything(con, terms):
    scan_warehouse(con, workers=1, terms_dir=terms)
    (terms / "nl" / "health.yaml").write_text("category: [not, valid\n", encoding="utf-8")
    hashes = set(con.execute("SELECT DISTINCT config_hash FROM scan_state").fetchall())
    with pytest.raises(Exception, match="health.yaml"):
        scan_warehouse(con, workers=1, terms_dir=terms)
    assert set(con.execute("SELECT DISTINCT config_hash FROM scan_state").fetchall()) == hashes


def test_people_keys_hold_hashes_never_names(con):
    scan_warehouse(con, known_people=PEOPLE, workers=1)
    dump = repr(con.execute("SELECT * FROM scan_state").fetchall()
                + con.execute("SELECT part, digest FROM scan_config").fetchall()).casefold()
    for person in PEOPLE:
        for word in person.split():
            assert len(word) < 4 or word.casefold() not in dump
    keys = {k for (ks,) in con.execute("SELECT people_keys FROM scan_state").fetchall() for k in ks}
    assert person_key("Wout Van den Broeck") in keys


@pytest.mark.parametrize("text, named", [
    ("Bel Wout morgen", True), ("WOUT belt", True), ("Jérôme komt", False), ("vandenbroeck", False),
    ("Van den Broeck komt", True), ("Woutje komt", False), ("Wout\u200eVan", True), ("", False),
])
def test_people_index_finds_the_words_of_a_name_in_any_case(text, named):
    index = PeopleIndex(["Wout Van den Broeck", "Jérôme"])
    assert (person_key("Wout Van den Broeck") in index.keys_in(text)) is named


@pytest.mark.parametrize("person, text", [("Emre Yılmaz", "yilmaz komt"), ("Emre Yilmaz", "YILMAZ"),
                                          ("Emre Yilmaz", "Yılmaz"), ("Jérôme Lefèvre", "JEROME"),
                                          ("Jérôme Lefèvre", "Lefe\u0300vre"), ("Ærøe Strauß", "STRAUSS")])
def test_every_spelling_a_case_insensitive_pattern_matches_holds_the_gate_word(person, text):
    """Case, accents (composed or not), dotless i and ß: a spelling the recognizer could match is never missed."""
    assert person_key(person) in PeopleIndex([person]).keys_in(text)


def test_gate_words_are_the_longest_word_of_the_first_name_and_of_the_surname():
    assert gate_words("Wout Van den Broeck") == {"wout", "broeck"}
    assert gate_words("Jean-Pierre Dupont") == {"pierre", "dupont"}
    assert gate_words("Zoë") == {"zoe"}
    assert gate_words("🙂 ") == set()


def test_workers_start_only_for_enough_new_distinct_texts(con, monkeypatch):
    from o3_governance.scanning import pool
    from test_scanning_warehouse import WERF, add

    scan_warehouse(con, workers=1)
    monkeypatch.setattr(pool, "PARALLEL_MIN", 10)

    def no_pool(*args, **kwargs):
        raise AssertionError("a pool for texts already scanned")

    monkeypatch.setattr(pool, "WorkerPool", no_pool)
    add(con, [(WERF, "Kevin De Smet", "text", "ok")] * 40 + [(WERF, "Kevin De Smet", "text", "Tot morgen")], start=500)
    s = scan_warehouse(con, workers=2)   # 41 due, one new distinct text: scanned here
    assert s.due == 41 and s.unique_texts == 1 and s.workers == 1


def test_a_night_with_nothing_new_never_loads_the_engine(con, monkeypatch):
    from o3_governance.scanning import pool

    scan_warehouse(con, workers=1)

    def no_engine(*args, **kwargs):
        raise AssertionError("the engine loaded on a night with nothing to scan")

    monkeypatch.setattr(pool, "start_pool", no_engine)
    monkeypatch.setattr(pool, "_here", no_engine)
    assert scan_warehouse(con, workers=2).due == 0


def test_cli_scan_counts_the_messages_carried_over(data_layout, capsys, tmp_path):
    import json

    from o3_governance.cli import main
    from test_scanning_warehouse import BASE, WERF, add

    with warehouse.open_warehouse(data_layout.warehouse) as c:
        add(c, BASE)
    assert main(["scan", "--workers", "1"]) == 0
    with warehouse.open_warehouse(data_layout.warehouse) as c:
        add(c, [(WERF, "Zeynep Aksoy", "text", "Hallo allemaal")], start=300)   # a new author: a new person
    capsys.readouterr()
    assert main(["scan", "--workers", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["due"] == 1 and out["carried_forward"] == 11


def _state_and_findings(con):
    return (con.execute("SELECT * EXCLUDE (scanned_at) FROM scan_state ORDER BY ALL").fetchall(),
            con.execute("SELECT * FROM findings ORDER BY ALL").fetchall(),
            con.execute("SELECT message_id, language FROM messages ORDER BY ALL").fetchall())


def test_a_night_in_slices_writes_what_one_pass_writes(con, monkeypatch):
    from o3_governance.scanning import store

    languages = con.execute("SELECT message_id, language FROM messages").fetchall()
    one = scan_warehouse(con, workers=1)
    whole = _state_and_findings(con)
    con.execute("DELETE FROM scan_state")
    con.execute("DELETE FROM findings")
    con.executemany("UPDATE messages SET language = ? WHERE message_id = ?", [(lang, m) for m, lang in languages])
    monkeypatch.setattr(store, "CHUNK_MESSAGES", 3)
    sliced = scan_warehouse(con, workers=1)
    assert _state_and_findings(con) == whole
    assert (sliced.due, sliced.scanned, sliced.skipped, sliced.findings_written) == \
        (one.due, one.scanned, one.skipped, one.findings_written)


def test_a_spent_budget_leaves_the_later_slices_for_the_next_night(con, monkeypatch):
    from o3_governance.scanning import store

    monkeypatch.setattr(store, "CHUNK_MESSAGES", 4)
    clock = iter(range(0, 1000, 10))
    s = scan_warehouse(con, workers=1, seconds_budget=5, monotonic=lambda: next(clock))
    assert s.budget_exhausted and s.scanned + s.skipped == 4 and s.left_for_next_night == 7
    nxt = scan_warehouse(con, workers=1)
    assert nxt.due == 7 and nxt.left_for_next_night == 0
