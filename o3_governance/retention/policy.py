"""The retention policy file: load, validate, refuse with the line and the problem.

Validation walks the YAML node tree (not the loaded dict) so that every complaint can name the line
it is about. A refused policy raises :class:`PolicyError`; nothing is listed or deleted on its
account, because every caller loads the policy before doing anything.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from o3_governance import vocabulary
from o3_governance.identity.matching import normalize_name
from o3_governance.identity.phones import is_valid_e164
from o3_governance.identity.phones import normalize_phone as _normalize_phone
from o3_governance.vocabulary import ENTITY_TYPES, LANGUAGES, MESSAGE_TYPES, SOURCE_FORMATS

# The actions a rule may name (vocabulary.ACTIONS), and the American spelling the file may use.
ACTIONS = {**{a: a for a in vocabulary.ACTIONS}, "anonymize": "anonymise"}
# Match kinds a rule may use; all the kinds given in one rule must hold (AND).
MATCH_KINDS = {
    "special_category": "a boolean",
    "message_type": f"a list of {', '.join(MESSAGE_TYPES)}",
    "chats": "a list of chat names (or chat ids)",
    "source_format": f"a list of {', '.join(SOURCE_FORMATS)}",
    "language": f"a list of {', '.join(LANGUAGES)}",
    "entity_types": "a list of entity types",
    "document_terms": "a list of words in an attachment's file name or extracted text",
    "attachment_kind": f"a list of {', '.join(vocabulary.ATTACHMENT_KINDS)}",   # the kind of the file it carries
    "faces": "a boolean",                      # the file it carries shows a face (detected, never recognised)
}
TOP_KEYS = ("timezone", "rules", "legal_holds", "event_types", "disposal")
RULE_KEYS = ("name", "match", "retain_days", "retain_years", "count_from", "action", "description")
DISPOSAL_KEYS = ("approvers_required", "max_new_share")
# Where a period counts from: the message's local date, 1 January after it, or a recorded event.
COUNT_FROM_MESSAGE_DATE = "message_date"
COUNT_FROM_END_OF_YEAR = "end_of_year"
EVENT_PREFIX = "event:"
MAX_YEARS = 100
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SHARE = re.compile(r"^(0|1)?\.[0-9]+$|^[01]$")
HOLD_KEYS = ("name", "chats", "subjects", "reason", "until")
MAX_DAYS = 36500  # a hundred years: anything longer is a typo
_PLAIN_WHOLE = re.compile(r"^(0|[1-9][0-9]*)$")   # no sign, no leading zero, no _ : 2, 30, 730
_NEGATIVE = re.compile(r"^-[0-9]+$")


class PolicyError(ValueError):
    """The policy file is refused: one line naming the file line and the problem, no content."""


@dataclass(frozen=True)
class Rule:
    name: str
    retain_days: int | None   # one of retain_days / retain_years is set
    action: str  # delete / anonymise
    match: dict[str, Any] = field(default_factory=dict)  # empty: matches every message
    line: int = 0
    retain_years: int | None = None
    count_from: str = COUNT_FROM_MESSAGE_DATE   # message_date / end_of_year / event:<type>

    @property
    def catch_all(self) -> bool:
        return not self.match

    @property
    def event_type(self) -> str | None:
        """The event the period counts from, or None when it counts from a date of the message."""
        return self.count_from[len(EVENT_PREFIX):] if self.count_from.startswith(EVENT_PREFIX) else None

    @property
    def period(self) -> str:
        """The period as people read it: "730 days from the message date", "10 years from end of year"."""
        length = f"{self.retain_years} years" if self.retain_years is not None else f"{self.retain_days} days"
        start = {COUNT_FROM_MESSAGE_DATE: "the message date",
                 COUNT_FROM_END_OF_YEAR: "1 January after the message date"}.get(
            self.count_from, f"the {self.event_type} event")
        return f"{length} from {start}"


@dataclass(frozen=True)
class Hold:
    name: str
    chats: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()   # as written
    phones: tuple[str, ...] = ()     # subjects that are phone numbers, as E.164
    names: tuple[str, ...] = ()      # subjects that are names, normalised
    reason: str | None = None
    until: date | None = None        # last day the hold is in force; None: open-ended
    line: int = 0

    def active(self, as_of: date) -> bool:
        return self.until is None or self.until >= as_of


@dataclass(frozen=True)
class Policy:
    timezone: str
    rules: tuple[Rule, ...]
    holds: tuple[Hold, ...]
    source: str = ""
    sha256: str = ""
    event_types: tuple[str, ...] = ()
    approvers_required: int = 1       # 2: a list is applied only after two different people approved it
    max_new_share: float = 0.25       # a policy change adding more than this share to the list is refused
    text: str = ""                    # the file as read (kept to compare a later change against)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def active_holds(self, as_of: date) -> list[Hold]:
        return [h for h in self.holds if h.active(as_of)]

    @property
    def document_terms(self) -> frozenset[str]:
        """Every term the rules' `document_terms` matches name, lower case: what the attachment scan
        looks for in a file's text (it records the terms found, never the text)."""
        return frozenset(str(t).lower() for r in self.rules for t in r.match.get("document_terms", ()))

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)


def load_policy(path: Path | str) -> Policy:
    """The policy from ``path`` (the shell passes the configured file: ``O3_POLICY_FILE`` or the default)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(f"policy file {path.name}: cannot be read ({type(exc).__name__})") from None
    return parse_policy(raw, source=path.name)


def parse_policy(raw: bytes | str, source: str = "policy") -> Policy:
    """The policy a file's bytes say, or ``PolicyError``. Parsed once per process for the same bytes
    and source: a night reads the file in five steps (the Policy is frozen; nothing changes it)."""
    return _parse_policy(raw.encode("utf-8") if isinstance(raw, str) else bytes(raw), source)


@functools.lru_cache(maxsize=8)
def _parse_policy(data: bytes, source: str) -> Policy:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(f"{source}: line 1: the file is not UTF-8 text") from None
    # Every way the YAML library can fail (syntax, tags it cannot construct, nesting deep enough to
    # exhaust the stack) ends here as one line; the library's own text can quote the file, so only
    # its fixed problem description is kept.
    try:
        root = _compose(text, source)
        policy = _Validator(source).policy(root)
    except PolicyError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise PolicyError(f"{source}: line {line}: not valid YAML ({_problem(exc.problem)})") from None
    except yaml.YAMLError:
        raise PolicyError(f"{source}: line 1: not valid YAML") from None
    except RecursionError:
        raise PolicyError(f"{source}: line 1: not valid YAML (nested too deeply)") from None
    return replace(policy, source=source, sha256=hashlib.sha256(data).hexdigest(), text=text)


class _PolicyLoader(yaml.SafeLoader):
    """The safe loader without anchors and aliases: a policy has no use for them, and an alias is how a
    small file expands into a huge one ("billion laughs")."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise PolicyError(f"{self.source}: line {event.start_mark.line + 1}: anchors and aliases "
                              f"(& and *) are not allowed in the policy")
        return super().compose_node(parent, index)


def _compose(text: str, source: str) -> Node | None:
    loader = _PolicyLoader(text, source)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _problem(text: str | None) -> str:
    """The library's problem description on one line, without the characters it quotes."""
    text = " ".join((text or "syntax error").split())
    return re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)[:120]


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.event_types: tuple[str, ...] = ()

    def fail(self, node: Node | None, problem: str) -> PolicyError:
        line = node.start_mark.line + 1 if node is not None else 1
        return PolicyError(f"{self.source}: line {line}: {problem}")

    # ---- node helpers
    def mapping(self, node: Node | None, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[Node, Node]]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not isinstance(key, ScalarNode):
                raise self.fail(key, f"{what}: keys must be plain words")
            name = key.value
            if name in out:
                raise self.fail(key, f"{what}: key '{name}' appears twice")
            if name not in allowed:
                raise self.fail(key, f"{what}: unknown key '{_short(name)}' (expected one of: {', '.join(allowed)})")
            out[name] = (key, value)
        return out

    def string(self, node: Node, what: str, allow_null: bool = False) -> str | None:
        if isinstance(node, ScalarNode):
            # Only what YAML reads as text (or null); nothing is constructed, so no tag can run code.
            value = {"tag:yaml.org,2002:str": node.value, "tag:yaml.org,2002:null": None}.get(node.tag, 0)
            if value is None and allow_null:
                return None
            if isinstance(value, str) and value.strip():
                return value.strip()
        raise self.fail(node, f"{what} must be a non-empty text" + (" or null" if allow_null else ""))

    def boolean(self, node: Node, what: str) -> bool:
        # YAML 1.2: only true and false (YAML 1.1 also read yes/no/on/off as booleans).
        if (isinstance(node, ScalarNode) and node.style is None and node.tag == "tag:yaml.org,2002:bool"
                and node.value.lower() in ("true", "false")):
            return node.value.lower() == "true"
        raise self.fail(node, f"{what} must be true or false")

    def integer(self, node: Node, what: str, unit: str = "days") -> int:
        """A plain decimal whole number, read the YAML 1.2 way. YAML 1.1 (PyYAML) reads ``030`` as
        octal 24, ``1:30`` as 90 (base 60), ``0x1e`` as hex and ``1_000`` as 1000: each is refused
        rather than guessed, as are quoted numbers and fractions."""
        if not isinstance(node, ScalarNode):
            raise self.fail(node, f"{what} must be a whole number of {unit}")
        text = node.value.strip()
        plain = node.style is None and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        if plain and _NEGATIVE.match(text):
            raise self.fail(node, f"{what} must not be negative")
        if not plain or not _PLAIN_WHOLE.match(text):
            shown = _short(text) if text else "an empty value"
            raise self.fail(node, f"{what}: {shown} is not a plain whole number of {unit}")
        value = int(text)
        if value > MAX_DAYS:
            raise self.fail(node, f"{what} is longer than {MAX_DAYS} days")
        return value

    def string_list(self, node: Node, what: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        items = node.value if isinstance(node, SequenceNode) else [node] if isinstance(node, ScalarNode) else None
        if items is None:
            raise self.fail(node, f"{what} must be a list")
        out: list[str] = []
        for item in items:
            value = self.string(item, f"each entry of {what}")
            if choices is not None and value not in choices:
                raise self.fail(item, f"{what}: '{_short(value)}' is not one of {', '.join(choices)}")
            out.append(value)
        if not out:
            raise self.fail(node, f"{what} must not be empty")
        return tuple(out)

    # ---- the schema
    def policy(self, root: Node | None) -> Policy:
        if root is None:
            raise PolicyError(f"{self.source}: line 1: the file is empty")
        top = self.mapping(root, "the policy", TOP_KEYS)
        timezone = "Europe/Brussels"
        if "timezone" in top:
            node = top["timezone"][1]
            timezone = self.string(node, "timezone")
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise self.fail(node, f"timezone '{_short(timezone)}' is not a known time zone") from None
        if "rules" not in top:
            raise self.fail(root, "the policy has no 'rules'")
        self.event_types = self.event_type_list(top["event_types"][1]) if "event_types" in top else ()
        rules = self.rules(top["rules"][1])
        holds = self.holds(top["legal_holds"][1]) if "legal_holds" in top else ()
        approvers, share = self.disposal(top["disposal"][1]) if "disposal" in top else (1, 0.25)
        return Policy(timezone, rules, holds, event_types=self.event_types, approvers_required=approvers,
                      max_new_share=share)

    def event_type_list(self, node: Node) -> tuple[str, ...]:
        types = self.string_list(node, "event_types")
        items = node.value if isinstance(node, SequenceNode) else [node]
        for item, name in zip(items, types):
            if not _EVENT_TYPE.match(name):
                raise self.fail(item, f"event_types: '{_short(name)}' must be a word of lower-case letters, digits "
                                      f"and _ (e.g. project_closed)")
        if len(set(types)) != len(types):
            raise self.fail(node, "event_types: a type is listed twice")
        return types

    def disposal(self, node: Node) -> tuple[int, float]:
        keys = self.mapping(node, "disposal", DISPOSAL_KEYS)
        approvers, share = 1, 0.25
        if "approvers_required" in keys:
            n = keys["approvers_required"][1]
            if not (isinstance(n, ScalarNode) and n.style is None and n.value in ("1", "2")):
                raise self.fail(n, "disposal: approvers_required must be 1 or 2")
            approvers = int(n.value)
        if "max_new_share" in keys:
            n = keys["max_new_share"][1]
            text = n.value.strip() if isinstance(n, ScalarNode) else ""
            if not (isinstance(n, ScalarNode) and n.style is None and _SHARE.match(text)) or not 0 < float(text) <= 1:
                raise self.fail(n, "disposal: max_new_share must be a share above 0 and at most 1 (e.g. 0.25)")
            share = float(text)
        return approvers, share

    def rules(self, node: Node) -> tuple[Rule, ...]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, "rules must be a list")
        if not node.value:
            raise self.fail(node, "rules must not be empty: at least a default rule is needed")
        rules: list[Rule] = []
        seen: dict[str, int] = {}
        for item in node.value:
            rule = self.rule(item)
            if rule.name in seen:
                raise self.fail(item, f"rule name '{_short(rule.name)}' is used twice (first on line {seen[rule.name]})")
            seen[rule.name] = rule.line
            if rules and rules[-1].catch_all:
                raise self.fail(item, f"rule '{_short(rule.name)}' can never apply: rule '{_short(rules[-1].name)}' "
                                      f"above it has no 'match' and takes every message")
            rules.append(rule)
        if not rules[-1].catch_all:
            raise self.fail(node.value[-1], "the last rule must be a default rule without 'match', so that every "
                                            "message gets a rule")
        return tuple(rules)

    def rule(self, node: Node) -> Rule:
        keys = self.mapping(node, "a rule", RULE_KEYS)
        for required in ("name", "action"):
            if required not in keys:
                raise self.fail(node, f"a rule needs '{required}'")
        name = self.string(keys["name"][1], "rule name")
        where = f"rule '{_short(name)}'"
        if "retain_days" not in keys and "retain_years" not in keys:
            raise self.fail(node, f"a rule needs 'retain_days' (or 'retain_years')")
        if "retain_days" in keys and "retain_years" in keys:
            raise self.fail(keys["retain_years"][0], f"{where}: give retain_days or retain_years, not both")
        days = self.integer(keys["retain_days"][1], f"{where}: retain_days") if "retain_days" in keys else None
        years = None
        if "retain_years" in keys:
            years_node = keys["retain_years"][1]
            years = self.integer(years_node, f"{where}: retain_years", "years")
            if years > MAX_YEARS:
                raise self.fail(years_node, f"{where}: retain_years is longer than {MAX_YEARS} years")
        count_from = COUNT_FROM_MESSAGE_DATE
        if "count_from" in keys:
            cf_node = keys["count_from"][1]
            count_from = self.string(cf_node, f"{where}: count_from")
            if count_from.startswith(EVENT_PREFIX):
                event = count_from[len(EVENT_PREFIX):].strip()
                if event not in self.event_types:
                    known = ", ".join(self.event_types) or "none declared"
                    raise self.fail(cf_node, f"{where}: count_from: event type '{_short(event)}' is not in "
                                             f"event_types ({known})")
                count_from = EVENT_PREFIX + event
            elif count_from not in (COUNT_FROM_MESSAGE_DATE, COUNT_FROM_END_OF_YEAR):
                raise self.fail(cf_node, f"{where}: count_from '{_short(count_from)}' is not one of message_date, "
                                         f"end_of_year, event:<type>")
        action_node = keys["action"][1]
        action_text = self.string(action_node, f"{where}: action")
        if action_text not in ACTIONS:
            raise self.fail(action_node, f"{where}: action '{_short(action_text)}' is not one of delete, anonymise")
        match: dict[str, Any] = {}
        if "match" in keys:
            match_node = keys["match"][1]
            if isinstance(match_node, ScalarNode) and match_node.tag == "tag:yaml.org,2002:null":
                match_node = None
            if match_node is not None:
                kinds = self.mapping(match_node, f"{where}: match", tuple(MATCH_KINDS))
                for kind, (_k, value) in kinds.items():
                    match[kind] = self.match_value(kind, value, where)
        if "description" in keys:
            self.string(keys["description"][1], f"{where}: description")
        return Rule(name=name, retain_days=days, action=ACTIONS[action_text], match=match,
                    line=node.start_mark.line + 1, retain_years=years, count_from=count_from)

    def match_value(self, kind: str, node: Node, where: str) -> Any:
        what = f"{where}: match {kind}"
        if kind in ("special_category", "faces"):
            return self.boolean(node, what)
        if kind == "document_terms":
            return tuple(dict.fromkeys(t.lower() for t in self.string_list(node, what)))
        choices = {"message_type": MESSAGE_TYPES, "source_format": SOURCE_FORMATS, "language": LANGUAGES,
                   "entity_types": ENTITY_TYPES, "attachment_kind": vocabulary.ATTACHMENT_KINDS}.get(kind)
        return self.string_list(node, what, choices)

    def holds(self, node: Node) -> tuple[Hold, ...]:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null":
            return ()
        if not isinstance(node, SequenceNode):
            raise self.fail(node, "legal_holds must be a list")
        holds: list[Hold] = []
        seen: dict[str, int] = {}
        for item in node.value:
            hold = self.hold(item)
            if hold.name in seen:
                raise self.fail(item, f"legal hold name '{_short(hold.name)}' is used twice (first on line {seen[hold.name]})")
            seen[hold.name] = hold.line
            holds.append(hold)
        return tuple(holds)

    def hold(self, node: Node) -> Hold:
        keys = self.mapping(node, "a legal hold", HOLD_KEYS)
        if "name" not in keys:
            raise self.fail(node, "a legal hold needs 'name'")
        name = self.string(keys["name"][1], "legal hold name")
        where = f"legal hold '{_short(name)}'"
        chats = self.string_list(keys["chats"][1], f"{where}: chats") if "chats" in keys else ()
        subjects: tuple[str, ...] = ()
        phones: list[str] = []
        names: list[str] = []
        if "subjects" in keys:
            subjects_node = keys["subjects"][1]
            subjects = self.string_list(subjects_node, f"{where}: subjects")
            items = subjects_node.value if isinstance(subjects_node, SequenceNode) else [subjects_node]
            for item, subject in zip(items, subjects):
                if re.search(r"[^\W\d_]", subject):  # has letters: a name
                    names.append(normalize_name(subject))
                    continue
                phone = normalize_phone(subject)
                if phone is None:
                    raise self.fail(item, f"{where}: a subject without letters must be a valid phone number")
                phones.append(phone)
        if not chats and not subjects:
            raise self.fail(node, f"{where} needs 'chats' and/or 'subjects'")
        reason = self.string(keys["reason"][1], f"{where}: reason", allow_null=True) if "reason" in keys else None
        until = None
        if "until" in keys:
            until = self.date(keys["until"][1], f"{where}: until")
        return Hold(name=name, chats=chats, subjects=subjects, phones=tuple(dict.fromkeys(phones)),
                    names=tuple(dict.fromkeys(names)), reason=reason, until=until, line=node.start_mark.line + 1)

    def date(self, node: Node, what: str) -> date | None:
        if isinstance(node, ScalarNode):
            if node.tag == "tag:yaml.org,2002:null":
                return None
            text = node.value.strip()
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                try:
                    return date.fromisoformat(text)
                except ValueError:
                    raise self.fail(node, f"{what}: {text} is not a real date") from None
        raise self.fail(node, f"{what} must be an ISO date (YYYY-MM-DD) or null")


def _short(text: str) -> str:
    """Names from the file may be echoed, but kept short and on one line."""
    text = " ".join(str(text).split())
    return text if len(text) <= 40 else text[:37] + "..."


def normalize_phone(text: str) -> str | None:
    """E.164 for a valid number in any usual spelling; a hold on a mistyped number would hold nothing."""
    e164 = _normalize_phone(text)
    return e164 if e164 is not None and is_valid_e164(e164) else None


def as_of_date(policy: Policy | None, now: datetime) -> date:
    """Today in the policy's time zone (Brussels without a policy) at ``now`` (timezone-aware).

    ``O3_AS_OF`` stands in for this date; the shell applies it (``settings.as_of or as_of_date(...)``)."""
    tz = policy.tz if policy is not None else vocabulary.BRUSSELS
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(tz).date()
