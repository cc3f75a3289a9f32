"""The one text rewriter (purge.rewrite): anonymisation, redaction and erasure all rewrite text with it."""
from o3_governance.purge.rewrite import Span, carry_findings, replace_all, rewrite


def test_spans_are_replaced_and_placed_in_the_new_text():
    out = rewrite("Bel Ann op 0471", [Span(4, 7, "<PERSON>", "PERSON"), Span(11, 15, "<PHONE_NUMBER>", "PHONE_NUMBER")])
    assert out.text == "Bel <PERSON> op <PHONE_NUMBER>"
    assert [(p.entity_type, out.text[p.start:p.end], p.old_start, p.old_end) for p in out.placed] == [
        ("PERSON", "<PERSON>", 4, 7), ("PHONE_NUMBER", "<PHONE_NUMBER>", 11, 15)]


def test_overlapping_spans_give_one_replacement_that_of_the_longest():
    out = rewrite("Mail jan.peeters@o3.be vandaag", [Span(5, 15, "<PERSON>", "PERSON", 0.9),
                                                       Span(5, 22, "<EMAIL_ADDRESS>", "EMAIL_ADDRESS", 0.4)])
    assert out.text == "Mail <EMAIL_ADDRESS> vandaag" and len(out.placed) == 1
    # Same length: the higher score wins.
    out = rewrite("abcdef", [Span(0, 3, "<A>", "A", 0.2), Span(0, 3, "<B>", "B", 0.8)])
    assert out.text == "<B>def"


def test_touching_spans_join_only_when_the_replacement_is_the_same():
    assert replace_all("abcdef", [(0, 2), (2, 4)], "[x]").text == "[x]ef"
    assert rewrite("abcdef", [Span(0, 2, "<A>"), Span(2, 4, "<B>")]).text == "<A><B>ef"


def test_spans_outside_the_text_are_ignored():
    assert rewrite("kort", [Span(2, 40, "<PERSON>"), Span(3, 3, "<X>"), Span(-1, 2, "<Y>")]).text == "kort"


def test_findings_move_with_the_text_and_those_replaced_go():
    findings = [{"entity_type": "PERSON", "start": 0, "end": 3}, {"entity_type": "HEALTH_DATA", "start": 10, "end": 14}]
    out = replace_all("Ann is in ziek", [(0, 3)], "[erased]")
    assert out.text == "[erased] is in ziek"
    (moved,) = out.carry(findings)
    assert moved["entity_type"] == "HEALTH_DATA" and out.text[moved["start"]:moved["end"]] == "ziek"
    assert carry_findings(findings, [(0, 3)], "[erased]") == [moved]
