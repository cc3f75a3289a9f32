"""One line without content for a failure: the register, run events and logs never carry a library's text."""
from __future__ import annotations

from o3_governance.errors import ContentFree, one_line
from o3_governance.identity.matching import InvalidIdentifier
from o3_governance.retention.policy import PolicyError
from o3_governance.rights import register, service


class _Ours(ContentFree, RuntimeError):
    pass


def test_one_line_shows_content_free_texts_first_line_only():
    assert one_line(_Ours("the register is locked\nsecond line")) == "_Ours: the register is locked"
    assert one_line(register.RequestError("no request with this id in the register")) == \
        "RequestError: no request with this id in the register"
    assert one_line(_Ours("")) == "_Ours"
    assert len(one_line(_Ours("x" * 500))) == 200 and len(one_line(_Ours("x" * 500), limit=50)) == 50


def test_one_line_shows_only_the_type_of_anything_else():
    assert one_line(ValueError("could not parse 'Jan Peeters 0471 23 45 67'")) == "ValueError"
    assert one_line(KeyError("jan.peeters@example.be")) == "KeyError"
    assert one_line(ValueError("named type"), trusted=(ValueError,)) == "ValueError: named type"


def test_safe_reason_trusts_the_exceptions_of_the_layers_below():
    assert service.safe_reason(PolicyError("policy file p.yaml: line 3")) == "PolicyError: policy file p.yaml: line 3"
    assert service.safe_reason(InvalidIdentifier("--new-phone is not a phone number")).startswith("InvalidIdentifier: ")
    assert service.safe_reason(OSError("/data/Jan Peeters.txt")) == "OSError"
