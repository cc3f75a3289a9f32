"""The floors of the issue, held on the labelled evaluation set (scanned once for the module)."""
import pytest

from o3_governance.scanning import evaluation
from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES as _SPECIAL_TYPES

SPECIAL_CATEGORY_TYPES = frozenset(_SPECIAL_TYPES)
from o3_governance.scanning.worker import local_scanner

IDENTIFIERS = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "BE_NATIONAL_NUMBER", "CREDIT_CARD")
LANGUAGES = ("nl", "fr", "en")


@pytest.fixture(scope="module")
def report():
    scanner, _ = local_scanner(evaluation.known_people())
    return evaluation.evaluate(scanner)


def test_the_set_is_large_varied_and_has_decoys():
    examples = evaluation.load_examples()
    assert len(examples) >= 300
    for lang in LANGUAGES:
        mine = [e for e in examples if e.language == lang]
        assert len(mine) >= 100
        decoys = [e for e in mine if not e.special and not e.spans]
        assert len(decoys) >= 30
        assert {c for e in mine for c in e.special} == SPECIAL_CATEGORY_TYPES
        for etype in IDENTIFIERS:
            assert sum(1 for e in mine for t, *_ in e.spans if t == etype) >= 4, (lang, etype)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("etype", IDENTIFIERS)
def test_identifier_floors(report, lang, etype):
    s = report.spans[(lang, etype)]
    assert s.recall >= 0.95 and s.precision >= 0.95, (lang, etype, s)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_person_floor(report, lang):
    s = report.spans[(lang, "PERSON")]
    assert s.recall >= 0.80 and s.precision >= 0.70, (lang, s)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_special_category_floor_per_message(report, lang):
    s = report.special[lang]
    assert s.recall >= 0.90 and s.precision >= 0.85, (lang, s)


def test_language_detection_on_the_set(report):
    assert report.language_accuracy >= 0.95


def test_a_label_after_an_address_is_placed_outside_the_address(tmp_path):
    (tmp_path / "labelled_nl.yaml").write_text(
        '- {id: x1, text: "jan.peeters@firma.be is van jan zelf", '
        'pii: [[EMAIL_ADDRESS, "jan.peeters@firma.be"], [PERSON, "jan"]]}\n')
    (example,) = evaluation.load_examples(tmp_path)
    assert example.spans == (("EMAIL_ADDRESS", 0, 20), ("PERSON", 28, 31))


def test_labels_must_be_in_the_text(tmp_path):
    (tmp_path / "known_people.txt").write_text("")
    (tmp_path / "labelled_nl.yaml").write_text('- {id: x1, text: "bel me", pii: [[PHONE_NUMBER, "0477"]]}\n')
    with pytest.raises(ValueError, match="not in the text"):
        evaluation.load_examples(tmp_path)


def test_floors_on_the_demo_data_planted_by_another_author():
    """The demo generator's planted sentences were written independently of the term files: the
    identifier floors and the special-category floors hold on them too."""
    from o3_governance.demo import DEMO_PEOPLE, SENTENCES
    from o3_governance.scanning.worker import detect_and_analyze

    scanner, langid = local_scanner([p.name for p in DEMO_PEOPLE])
    results = detect_and_analyze(scanner, langid, [(s.text, s.language) for s in SENTENCES])
    found = missed = wrong = right = 0
    sp = {"tp": 0, "fn": 0, "correct": 0, "wrong": 0}
    for s, (_, findings) in zip(SENTENCES, results):
        gold = [(t, a, b) for t, a, b in s.spans() if t in IDENTIFIERS]
        pred = [(f.entity_type, f.start, f.end) for f in findings if f.entity_type in IDENTIFIERS]
        for t, a, b in gold:
            hit = any(t == u and x < b and a < y for u, x, y in pred)
            found += hit
            missed += not hit
        for u, x, y in pred:
            ok = any(t == u and x < b and a < y for t, a, b in gold)
            right += ok
            wrong += not ok
        want = {t for t, _ in s.entities} & SPECIAL_CATEGORY_TYPES
        got = {f.entity_type for f in findings} & SPECIAL_CATEGORY_TYPES
        sp["tp"] += len(want & got)
        sp["fn"] += len(want - got)
        sp["correct"] += len(got & want)
        sp["wrong"] += len(got - want)
    assert found / (found + missed) >= 0.95 and right / (right + wrong) >= 0.95
    assert sp["tp"] / (sp["tp"] + sp["fn"]) >= 0.90
    assert sp["correct"] / (sp["correct"] + sp["wrong"]) >= 0.85


def test_cli_prints_both_sets(capsys):
    from o3_governance.cli import main

    assert main(["scan-eval"]) == 0
    out = capsys.readouterr().out
    assert "development set" in out and "held-out set" in out and "PHONE_NUMBER" in out


@pytest.fixture(scope="module")
def heldout_report():
    scanner, _ = local_scanner(evaluation.known_people())
    return evaluation.evaluate(scanner, pattern="holdout*_*.yaml")


def test_third_heldout_set_is_large_and_half_decoys():
    """holdout3 was written blind as everyday chat: at least 50 messages a language, about half of them
    special-category messages and the rest decoys, with every label a known category."""
    examples = evaluation.load_examples(pattern="holdout3_*.yaml")
    for lang in LANGUAGES:
        mine = [e for e in examples if e.language == lang]
        assert len(mine) >= 50, lang
        share = sum(1 for e in mine if e.special) / len(mine)
        assert 0.4 <= share <= 0.6, (lang, share)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_special_category_floor_on_the_heldout_sets(heldout_report, lang):
    s = heldout_report.special[lang]
    assert s.recall >= 0.90 and s.precision >= 0.85, (lang, s)


# --- the sets reported separately; holdout4's format; per-message scores and decoys -------------------------

HOLDOUT4_STYLE = (
    '- {id: t1, chat: nl, text: "Bel Jan op 0475 12 34 56", pii: [[PERSON, "Jan"], [PHONE_NUMBER, "0475 12 34 56"]], '
    'special: [], class: phone_mobile}\n'
    '- {id: t2, chat: nl, lang: en, text: "He is in hospital since Monday", pii: [], special: [HEALTH_DATA], '
    'class: health_codeswitch}\n'
    '- {id: t3, chat: nl, text: "Ik word ziek van die planning", pii: [], special: [], decoy: true, '
    'class: decoy_figurative}\n'
)


def test_holdout4_format_is_read_with_its_decoy_and_class_fields(tmp_path):
    (tmp_path / "holdout4").mkdir()
    (tmp_path / "holdout4" / "holdout4_nl.yaml").write_text(HOLDOUT4_STYLE, encoding="utf-8")
    ex = {e.id: e for e in evaluation.load_examples(tmp_path, evaluation.SETS["holdout4"][0])}
    assert ex["t1"].kind == "phone_mobile" and not ex["t1"].decoy and ex["t1"].chat_language == "nl"
    assert ex["t2"].language == "en" and ex["t2"].special == {"HEALTH_DATA"}
    assert ex["t3"].decoy and not ex["t3"].special


def test_a_decoy_that_carries_a_category_is_refused(tmp_path):
    (tmp_path / "holdout_nl.yaml").write_text(
        '- {id: x, text: "ziek", pii: [], special: [HEALTH_DATA], decoy: true}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="decoy"):
        evaluation.load_examples(tmp_path, "holdout_*.yaml")


def test_per_message_scores_right_category_and_decoys_flagged(tmp_path):
    (tmp_path / "known_people.txt").write_text("")
    (tmp_path / "holdout4").mkdir()
    (tmp_path / "holdout4" / "holdout4_nl.yaml").write_text(HOLDOUT4_STYLE + (
        '- {id: t4, chat: nl, text: "Zijn vrouw is zwanger, hij stemt op de PVDA", pii: [], '
        'special: [HEALTH_DATA, POLITICAL_OPINION], class: mixed}\n'
        '- {id: t5, chat: nl, text: "Ik heb een hernia, geen zware kisten voor mij", pii: [], special: [], decoy: true, '
        'class: mislabelled_on_purpose}\n'), encoding="utf-8")
    scanner, _ = local_scanner([])
    report = evaluation.evaluate(scanner, tmp_path, evaluation.SETS["holdout4"][0])
    m = report.message_total()
    assert (m.labelled, m.found, m.right_category) == (2, 2, 2)
    assert (m.decoys, m.decoys_flagged) == (2, 1)       # t5 is flagged: a decoy flagged counts
    assert m.flagged == 3 and m.flagged_right == 2 and m.precision == pytest.approx(2 / 3)
    assert "decoys flagged" in report.table() and "1/2 = 50.0%" in report.table()


def test_scan_eval_reports_one_set_when_asked_and_refuses_an_unknown_one(capsys):
    from o3_governance.cli import main

    assert main(["scan-eval", "--set", "development"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("development:") and "holdout4:" not in out
    assert main(["scan-eval", "--set", "nonsense"]) != 0
    assert "unknown evaluation set" in capsys.readouterr().err


def test_scan_eval_lists_the_blind_sets_first_the_newest_on_top():
    assert list(evaluation.SETS)[:6] == ["holdout9", "holdout8", "holdout7", "holdout6", "holdout5", "holdout4"]


def test_the_about_person_lists_are_part_of_the_scanner_configuration(tmp_path):
    import shutil

    from o3_governance.scanning.fingerprint import TERMS_DIR, config_hash

    terms = tmp_path / "special_categories"
    shutil.copytree(TERMS_DIR, terms)
    before = config_hash((), terms)
    about = terms / "about_person" / "nl.yaml"
    about.write_text(about.read_text(encoding="utf-8") + "\n# one more comment\n", encoding="utf-8")
    assert config_hash((), terms) != before


# --- the blind sets, each held at its first score (the date and the full table are in its README) -----------------
# Floors are the first-look figures rounded down; a blind set is never tuned on, so these only catch regressions.
# set → (messages, decoys, span floors (recall, precision) in SPAN_ORDER, special per message (recall, precision,
#        right category), decoys flagged at most)
SPAN_ORDER = ("PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "BE_NATIONAL_NUMBER", "CREDIT_CARD", "PERSON")
FIRST_SCORES = {
    "holdout9": (753, 109, [(1.00, 0.98), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (0.95, 0.98)],
                 (0.95, 0.98, 0.98), 3),
    "holdout8": (746, 120, [(1.00, 1.00), (1.00, 1.00), (0.94, 1.00), (1.00, 1.00), (1.00, 1.00), (0.95, 0.98)],
                 (0.94, 0.97, 0.98), 4),
    "holdout7": (723, 135, [(1.00, 0.96), (1.00, 1.00), (0.94, 1.00), (1.00, 1.00), (1.00, 1.00), (0.96, 0.97)],
                 (0.95, 0.97, 0.99), 3),
    "holdout6": (718, 111, [(0.97, 0.98), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (0.94, 0.98)],
                 (0.93, 0.95, 0.99), 8),
    "holdout5": (767, 154, [(0.95, 0.86), (0.91, 1.00), (1.00, 1.00), (1.00, 1.00), (1.00, 0.92), (0.78, 0.94)],
                 (0.85, 0.94, 0.97), 11),
    "holdout4": (735, 114, [(1.00, 0.96), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (1.00, 1.00), (0.90, 0.96)],
                 (0.85, 0.95, 0.97), 9),
}


@pytest.fixture(scope="module")
def blind_report():
    """The evaluation report of a blind set, computed once per set and module."""
    scanner, _ = local_scanner(evaluation.known_people())
    reports = {}

    def report(name):
        if name not in reports:
            reports[name] = evaluation.evaluate(scanner, pattern=evaluation.SETS[name][0])
        return reports[name]
    return report


@pytest.mark.parametrize("name", FIRST_SCORES)
def test_a_blind_set_has_its_messages_and_decoys(name):
    examples = evaluation.load_examples(pattern=evaluation.SETS[name][0])
    messages, decoys = FIRST_SCORES[name][:2]
    assert len(examples) == messages and sum(e.decoy for e in examples) == decoys


@pytest.mark.parametrize("name,etype,recall,precision", [
    (name, etype, r, p) for name, (_, _, spans, _, _) in FIRST_SCORES.items() for etype, (r, p) in zip(SPAN_ORDER, spans)])
def test_a_blind_sets_spans_stay_at_their_first_score(blind_report, name, etype, recall, precision):
    s = blind_report(name).span_total(etype)
    assert s.recall >= recall and s.precision >= precision, (etype, s)


@pytest.mark.parametrize("name", FIRST_SCORES)
def test_a_blind_sets_special_categories_and_decoys_stay_at_their_first_score(blind_report, name):
    (recall, precision, right_category), decoys_flagged = FIRST_SCORES[name][3:]
    m = blind_report(name).message_total()
    assert m.recall >= recall and m.precision >= precision and m.category_accuracy >= right_category, m
    assert m.decoys_flagged <= decoys_flagged, m


# --- dev6: written blind, then tuned on (dev6/README.md) ------------------------------------------------------

@pytest.fixture(scope="module")
def dev6_report():
    scanner, _ = local_scanner(evaluation.known_people())
    return evaluation.evaluate(scanner, pattern=evaluation.SETS["dev6"][0])


def test_dev6_special_categories_and_decoys_meet_the_issue_targets(dev6_report):
    m = dev6_report.message_total()
    assert m.recall >= 0.98 and m.precision >= 0.99 and m.category_accuracy >= 0.99, m
    assert m.decoys_flagged == 0, m


@pytest.mark.parametrize("etype,recall,precision", [
    ("PHONE_NUMBER", 1.00, 1.00), ("EMAIL_ADDRESS", 1.00, 1.00), ("IBAN_CODE", 1.00, 1.00),
    ("BE_NATIONAL_NUMBER", 1.00, 1.00), ("CREDIT_CARD", 1.00, 1.00), ("PERSON", 0.95, 0.99),
])
def test_dev6_spans_stay_at_their_tuned_score(dev6_report, etype, recall, precision):
    s = dev6_report.span_total(etype)
    assert s.recall >= recall and s.precision >= precision, (etype, s)


@pytest.fixture(scope="module")
def dev5_report():
    scanner, _ = local_scanner(evaluation.known_people())
    return evaluation.evaluate(scanner, pattern=evaluation.SETS["dev5"][0])


def test_dev5_is_read_from_its_one_mapping_a_line_files():
    examples = evaluation.load_examples(pattern=evaluation.SETS["dev5"][0])
    assert len(examples) == 600 and sum(e.decoy for e in examples) == 89


def test_dev5_special_categories_and_decoys_meet_the_issue_targets(dev5_report):
    m = dev5_report.message_total()
    assert m.recall >= 0.90 and m.precision >= 0.95 and m.category_accuracy >= 0.95, m
    assert m.decoy_rate < 0.05, m


@pytest.mark.parametrize("etype,recall,precision", [
    ("PHONE_NUMBER", 1.00, 1.00), ("EMAIL_ADDRESS", 1.00, 1.00), ("IBAN_CODE", 1.00, 1.00),
    ("BE_NATIONAL_NUMBER", 1.00, 1.00), ("CREDIT_CARD", 1.00, 1.00), ("PERSON", 0.93, 0.99),
])
def test_dev5_spans_stay_at_their_tuned_score(dev5_report, etype, recall, precision):
    s = dev5_report.span_total(etype)
    assert s.recall >= recall and s.precision >= precision, (etype, s)


def test_a_set_file_with_one_mapping_a_line_is_read_and_a_bad_line_refused(tmp_path):
    (tmp_path / "x_nl.yaml").write_text('{id: a1, chat: nl, text: "Wout is ziek", pii: [[PERSON, "Wout"]], special: [HEALTH_DATA]}\n'
                                        '{id: a2, chat: nl, text: "ok", pii: [], decoy: true}\n', encoding="utf-8")
    got = evaluation.load_examples(tmp_path, "x_*.yaml")
    assert [e.id for e in got] == ["a1", "a2"] and got[0].special == {"HEALTH_DATA"} and got[1].decoy
    (tmp_path / "y_nl.yaml").write_text('{id: b1, chat: nl, text: "ok", pii: []}\n{not a mapping\n', encoding="utf-8")
    with pytest.raises(ValueError, match="y_nl.yaml line 2: expected one mapping"):
        evaluation.load_examples(tmp_path, "y_*.yaml")


def test_every_data_file_of_the_scanner_is_part_of_its_code_digest():
    from o3_governance.scanning.fingerprint import PACKAGE_DIR, scanner_files

    files = {p.relative_to(PACKAGE_DIR).as_posix() for p in scanner_files()}
    assert {"data/not_people.yaml", "data/first_names.txt", "data/deduce/first_names.txt", "recognizers.py"} <= files
