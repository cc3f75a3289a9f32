"""Recognizers, term files and language detection of the scanner, one behaviour per test."""
import pytest

from o3_governance.scanning import evaluation
from o3_governance.scanning.language import LanguageDetector
from o3_governance.scanning.scan import analyze_batch, analyze_one, needed_entities
from o3_governance.scanning.worker import local_scanner
from o3_governance.scanning.special import CategoryTerms, TermFileError, load_terms


@pytest.fixture(scope="module")
def scanner():
    scanner, _ = local_scanner(evaluation.known_people())
    return scanner


def found(scanner, text, lang):
    return [(f.entity_type, text[f.start:f.end]) for f in analyze_one(scanner, text, lang)]


def types(scanner, text, lang):
    return {t for t, _ in found(scanner, text, lang)}


# --- Belgian national number -------------------------------------------------------------------

@pytest.mark.parametrize("lang,text,number", [
    ("nl", "Rijksregisternummer: 85.07.30-033.28", "85.07.30-033.28"),
    ("fr", "NISS 85073003328 pour le contrat", "85073003328"),
    ("en", "national number 85 07 30-033 28 please", "85 07 30-033 28"),
])
def test_national_number_in_each_language_and_format(scanner, lang, text, number):
    assert ("BE_NATIONAL_NUMBER", number) in found(scanner, text, lang)


def test_national_number_born_after_2000_uses_the_2_prefix(scanner):
    # 02.02.19-585.94 is valid only with the "2" prefix before the mod-97 check.
    assert ("BE_NATIONAL_NUMBER", "02.02.19-585.94") in found(scanner, "rijksregister 02.02.19-585.94", "nl")


def test_bis_number_with_month_plus_20_and_plus_40(scanner):
    for number in ("87.26.15-600.86", "65.50.10-538.04"):
        assert ("BE_NATIONAL_NUMBER", number) in found(scanner, f"BIS {number}", "fr")


def test_national_number_with_wrong_check_digits_is_not_found(scanner):
    assert "BE_NATIONAL_NUMBER" not in types(scanner, "Rijksregisternummer: 85.07.30-033.29", "nl")


# --- IBAN, card ---------------------------------------------------------------------------------

def test_iban_grouped_and_compact_and_followed_by_words(scanner):
    assert ("IBAN_CODE", "BE71 0961 2345 6769") in found(scanner, "Rekening BE71 0961 2345 6769 voor de waarborg", "nl")
    assert ("IBAN_CODE", "BE71096123456769") in found(scanner, "compte BE71096123456769 merci", "fr")
    assert ("IBAN_CODE", "NL55 INGB 7232 6865 63") in found(scanner, "pay to NL55 INGB 7232 6865 63 today", "en")


def test_iban_with_bad_checksum_is_not_found(scanner):
    assert "IBAN_CODE" not in types(scanner, "Rekening BE72 0961 2345 6769", "nl")


def test_card_numbers_pass_luhn_and_issuer(scanner):
    assert ("CREDIT_CARD", "4111 1111 1111 1111") in found(scanner, "carte 4111 1111 1111 1111 exp 12/27", "fr")
    assert ("CREDIT_CARD", "3750 047439 57556") in found(scanner, "Amex 3750 047439 57556", "en")


def test_card_number_failing_luhn_is_not_found(scanner):
    assert "CREDIT_CARD" not in types(scanner, "kaart 4111 1111 1111 1112", "nl")


# --- phones ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang,number", [
    ("nl", "0477 04 71 87"), ("nl", "02 515 05 56"), ("fr", "+32 481 06 79 24"), ("en", "06 31436676"),
    ("en", "+31 6 48611148"), ("fr", "06 76 14 36 53"), ("fr", "+33 1 25 32 87 04"), ("nl", "0176 55721014"),
    ("en", "+49 170 45440910"), ("fr", "+352 621 316 772"),
])
def test_phones_of_belgium_and_neighbours_national_and_international(scanner, lang, number):
    assert ("PHONE_NUMBER", number) in found(scanner, f"nummer / numéro / number: {number}", lang)


def test_order_numbers_dates_and_amounts_are_not_phones(scanner):
    for text in ("Order number 4500128874, 200 pcs", "Bestelbon PO-2024-004512", "Klantnummer 884 221 337",
                 "levering 18/03/2024 om 14:30", "bedrag € 12.450,00", "Factuur 2024-00318"):
        assert "PHONE_NUMBER" not in types(scanner, text, "nl"), text


def test_company_number_after_vat_is_not_a_phone(scanner):
    assert "PHONE_NUMBER" not in types(scanner, "BTW BE 0456.789.123", "nl")
    assert "PHONE_NUMBER" not in types(scanner, "Numéro de TVA BE 0456.789.123", "fr")
    assert "PHONE_NUMBER" in types(scanner, "Bel 0456 78 91 23", "nl")


def test_iban_digits_are_not_also_a_phone(scanner):
    assert [t for t, _ in found(scanner, "IBAN BE62 1222 0297 2961", "en")] == ["IBAN_CODE"]


# --- e-mail ---------------------------------------------------------------------------------------

def test_email_found_and_unknown_suffix_refused(scanner):
    assert ("EMAIL_ADDRESS", "wout.vandenbroeck@o3group.be") in found(scanner, "mail wout.vandenbroeck@o3group.be", "nl")
    assert "EMAIL_ADDRESS" not in types(scanner, "mail iemand@server.invalidtld", "nl")


# --- people -------------------------------------------------------------------------------------

def test_known_people_in_dutch_without_ner(scanner):
    assert ("PERSON", "Sofie Janssens") in found(scanner, "Sofie Janssens tekent het contract", "nl")
    assert ("PERSON", "Wout") in found(scanner, "Wout komt morgen", "nl")
    assert ("PERSON", "wout van den broeck") in found(scanner, "contract voor wout van den broeck", "nl")


def test_known_people_recognizer_follows_the_list(scanner):
    # "Ysolde" is in no shipped name list: only the known-people list makes it a name.
    other, _ = local_scanner(["Ysolde Aksoy"])
    assert ("PERSON", "Ysolde") in found(other, "Ysolde belt straks", "nl")
    assert "PERSON" not in types(scanner, "Ysolde belt straks", "nl")


def test_titles_and_first_names_find_unknown_people(scanner):
    assert ("PERSON", "Claessens") in found(scanner, "Meneer Claessens belde", "nl")
    assert ("PERSON", "Jeroen Peeters") in found(scanner, "Jeroen Peeters van de stad komt", "nl")
    assert ("PERSON", "Fontaine") in found(scanner, "Mme Fontaine souhaite un devis", "fr")


def test_french_ner_finds_names_and_drops_greetings(scanner):
    got = found(scanner, "Bonjour Marc, rendez-vous avec Nathalie Leroy de la commune", "fr")
    assert ("PERSON", "Marc") in got and ("PERSON", "Nathalie Leroy") in got


def test_ordinary_words_are_not_names(scanner):
    assert "PERSON" not in types(scanner, "Ben je er al? Hallo allemaal", "nl")
    assert "PERSON" not in types(scanner, "Superbe boulot l'équipe, Réunion annulée", "fr")
    assert "PERSON" not in types(scanner, "Will you bring the ladder in May?", "en")


# --- special categories -------------------------------------------------------------------------

@pytest.mark.parametrize("lang,text,category", [
    ("nl", "Wout is ziek vandaag, hij komt niet", "HEALTH_DATA"),
    ("fr", "Elle est enceinte de cinq mois", "HEALTH_DATA"),
    ("en", "He voted for Vlaams Belang", "POLITICAL_OPINION"),
    ("nl", "Emre doet niet mee, het is ramadan", "RELIGIOUS_BELIEF"),
    ("fr", "Julien est délégué syndical à la FGTB", "TRADE_UNION_MEMBERSHIP"),
    ("en", "Tom is gay", "SEXUAL_ORIENTATION"),
    ("fr", "Il est d'origine maghrébine", "ETHNIC_ORIGIN"),  # about a person: see the about-person rule
    ("en", "fingerprint scanner at the depot", "BIOMETRIC_DATA"),
    ("nl", "de uitslag van zijn genetische test", "GENETIC_DATA"),
    ("en", "He has a criminal record", "CRIMINAL_OFFENCE"),
])
def test_each_special_category(scanner, lang, text, category):
    assert category in types(scanner, text, lang)


@pytest.mark.parametrize("lang,text", [
    ("nl", "Levering aan de Kerkstraat 12"),
    ("en", "The client is sick of the delays"),
    ("en", "We are organising a party for the client"),
    ("nl", "De partij tegels komt volgende week"),
    ("fr", "La qualité, c'est dans l'ADN de notre entreprise"),
    ("fr", "Notre vol de retour est annulé"),
    ("en", "There are fingerprints all over the glass doors"),
    ("nl", "Morgen nationale staking van ACV en ABVV"),
    ("en", "The labour costs are higher than the quote"),
    ("fr", "Il faut signer le PV de réception"),
])
def test_decoys_are_not_special(scanner, lang, text):
    from o3_governance.vocabulary import SPECIAL_CATEGORY_TYPES

    assert not types(scanner, text, lang) & set(SPECIAL_CATEGORY_TYPES)


def test_terms_ignore_case_and_accents_and_match_whole_words():
    terms = load_terms("fr")
    assert [c for c, *_ in terms.find("il a été HOSPITALISE hier")] == ["HEALTH_DATA"]
    assert load_terms("nl").find("Kerkstraat en kerkhof") == []


def _terms(tmp_path, text, lang="nl"):
    (tmp_path / lang).mkdir(exist_ok=True)
    (tmp_path / lang / "x.yaml").write_text(text, encoding="utf-8")
    return CategoryTerms(lang, sorted((tmp_path / lang).glob("*.yaml")))


def test_a_dpo_can_add_a_term_file(tmp_path):
    t = _terms(tmp_path, "category: HEALTH_DATA\nlanguage: nl\nrules:\n  - terms: [mantelzorg*]\n"
                         "exclude: [mantelzorgpremie]\n")
    assert [c for c, *_ in t.find("Zij doet mantelzorg voor haar vader")] == ["HEALTH_DATA"]
    assert t.find("De mantelzorgpremie is verhoogd") == []


def test_requires_and_unless_nearby(tmp_path):
    t = _terms(tmp_path, "category: CRIMINAL_OFFENCE\nlanguage: nl\nrules:\n  - terms: [cel]\n"
                         "    requires_nearby: [zit]\n    unless_nearby: [batterij]\n    window: 3\n")
    assert t.find("hij zit in de cel")
    assert not t.find("de cel is vol")
    assert not t.find("zit de cel van de batterij los")


@pytest.mark.parametrize("text,reason", [
    ("category: HEALTH\nlanguage: nl\nrules:\n  - terms: [x]\n", "unknown category"),
    ("category: HEALTH_DATA\nlanguage: fr\nrules:\n  - terms: [x]\n", "language must be"),
    ("category: HEALTH_DATA\nlanguage: nl\nrules: []\n", "non-empty list"),
    ("category: HEALTH_DATA\nlanguage: nl\nrules:\n  - terms: [\"zi*ek\"]\n", "may only end"),
    ("category: HEALTH_DATA\nlanguage: nl\nrules:\n  - terms: [x]\n    score: 3\n", "score"),
    ("category: HEALTH_DATA\nlanguage: nl\nrules:\n  - terms: [x]\n    colour: red\n", "unknown key"),
    ("category: [unclosed\n", "not valid YAML"),
])
def test_broken_term_files_are_refused_with_a_reason(tmp_path, text, reason):
    with pytest.raises(TermFileError, match=reason):
        _terms(tmp_path, text)


# --- language, fast path ------------------------------------------------------------------------

def test_language_detection_uses_the_chat_language_as_a_prior():
    d = LanguageDetector()
    assert d.detect("ok", "fr") == "fr" and d.detect("👍", "en") == "en" and d.detect("ok", None) == "nl"
    assert d.detect("On se voit demain au chantier avec le client?", "nl") == "fr"
    assert d.detect("See you tomorrow at the site, bring the drawings", "fr") == "en"
    assert d.detect("Ik ben er om acht uur, tot straks", "en") == "nl"


def test_needed_entities_only_skips_what_cannot_match():
    assert "PHONE_NUMBER" not in needed_entities("tot straks", "nl")
    assert {"PHONE_NUMBER", "IBAN_CODE", "BE_NATIONAL_NUMBER", "CREDIT_CARD"} <= set(
        needed_entities("BE71 0961 2345 6769", "nl"))
    assert "EMAIL_ADDRESS" in needed_entities("a@b.be", "nl")


def test_fast_path_equals_one_analyze_call_per_message(scanner):
    from o3_governance.demo import generate_bench_messages

    examples = evaluation.load_examples()
    generated = [(b, lang) for b, lang in generate_bench_messages(2000, seed=11) if lang == "fr"][:300]
    texts = [e.text for e in examples] + ["bonjour marc lemaire, à demain", "marc lemaire est malade",
                                          "Merci Marc", "Le client Dupont", "Ok", "Peut-être Lemaire"]
    texts += [b for b, _ in generated]
    langs = [e.language for e in examples] + ["fr"] * 6 + [lang for _, lang in generated]
    assert analyze_batch(scanner, texts, langs) == [analyze_one(scanner, t, lang) for t, lang in zip(texts, langs)]


# --- speed measures that must not change results ---------------------------------------------------

def test_factored_alternation_matches_exactly_the_same_strings():
    import random
    import re

    from o3_governance.scanning.engine import _split_top, factor_alternation

    big = "a-zà-ÿ" + "".join(chr(c) for c in range(0x100, 0x180))  # a class long enough to be a tail
    pattern = ("(?iu)" + "|".join(f"(?:^{p}[-–][{big}][-'{big}]*$)" for p in ("anti", "auto", "ex", "r?é?entr"))
               + f"|(?:^burn[-]out[{big}]*$)|(?:^droits?[-]de[-]l'homm[{big}]+$)|(?:^[{big}]+[-]sur[-][{big}]+$)")
    factored = factor_alternation(pattern)
    assert len(_split_top(factored[5:])) == 4 < len(_split_top(pattern[5:])) == 7
    old, new = re.compile(pattern).match, re.compile(factored).match
    rng = random.Random(3)
    words = ["anti-bruit", "Auto-école", "ex-mari", "rentr-x", "réentr-ab", "burn-out", "burn-outs", "droits-de-l'homme",
             "pont-sur-mer", "anti", "ex-", "anti-Bruit", "x-sur-y", "autox-y"]
    words += ["".join(rng.choice("abexrtuiéno-'") for _ in range(rng.randint(1, 12))) for _ in range(20000)]
    words += [rng.choice(("anti", "auto", "ex", "entr", "burn", "droit")) + rng.choice("-'")
              + "".join(rng.choice("abeélmnorstu-'") for _ in range(rng.randint(0, 9))) for _ in range(20000)]
    assert any(old(w) for w in words)
    assert [bool(old(w)) for w in words] == [bool(new(w)) for w in words]


@pytest.mark.parametrize("pattern", [
    "(?:^ab[" + "a-z" * 40 + "]+$)|(?:^c|d[" + "a-z" * 40 + "]+$)",   # a head with its own "|"
    "(?:^(a)[" + "a-z" * 40 + r"]\1$)|(?:^b[" + "a-z" * 40 + "]$)",     # a back-reference
    "(?:^ab[xy]+$)|(?:^cd[xy]+$)",                                      # no long class to share
    "abc",
])
def test_alternation_of_another_shape_is_left_alone(pattern):
    from o3_governance.scanning.engine import factor_alternation

    assert factor_alternation(pattern) == pattern


def test_french_model_loaded_without_spacy_lang_fr_gives_the_same_tokens_and_entities():
    import spacy

    from o3_governance.demo import generate_bench_messages
    from o3_governance.scanning.engine import NER_EXCLUDE, load_french_model

    texts = [b for b, lang in generate_bench_messages(3000, seed=5) if lang == "fr"][:400]
    texts += ["Aujourd'hui M. Dupont-Lambert passe à Saint-Gilles l'après-midi, c.-à-d. vers 14h30.",
              "Qu'est-ce qu'il y a ? N°12, rendez-vous chez l'entr'acte, anti-inflammatoire, porte-à-faux."]
    fast = load_french_model("fr_core_news_sm", NER_EXCLUDE)
    ref = spacy.load("fr_core_news_sm", exclude=NER_EXCLUDE)
    assert fast.pipe_names == ref.pipe_names == ["tok2vec", "ner"]
    assert type(fast.tokenizer.token_match) is type(ref.tokenizer.token_match)

    def view(doc):
        return ([(t.text, t.idx, t.is_stop, t.like_num, t.norm_) for t in doc],
                [(e.start_char, e.end_char, e.label_) for e in doc.ents])
    assert [view(d) for d in fast.pipe(texts)] == [view(d) for d in ref.pipe(texts)]


def test_stop_words_and_french_model_do_not_build_spacys_french_exceptions():
    import subprocess
    import sys

    code = ("import sys; from o3_governance.scanning.engine import stop_words, load_french_model, NER_EXCLUDE; "
            "assert 'le' in stop_words('fr'); load_french_model('fr_core_news_sm', NER_EXCLUDE); "
            "print('spacy.lang.fr.tokenizer_exceptions' in sys.modules, 'spacy.lang.fr' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


def test_pipelines_load_only_for_texts_that_need_them():
    from o3_governance.scanning.engine import build_scanner

    fresh = build_scanner(evaluation.known_people())
    assert analyze_batch(fresh, ["tot straks", "ok merci", "see you"], ["nl", "fr", "en"]) == [[], [], []]
    assert set(fresh.nlp_engine.nlp) == set()  # nothing fired, no name possible: no spaCy at all
    found = analyze_batch(fresh, ["bel Wout op 0477 04 71 87"], ["nl"])[0]
    assert {f.entity_type for f in found} == {"PERSON", "PHONE_NUMBER"}
    assert set(fresh.nlp_engine.nlp) == {"nl"}  # findings need tokens for context words: Dutch only
