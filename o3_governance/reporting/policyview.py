"""The parts of the retention policy that reports show: rule names, periods, actions, and the
holds' names, reasons and end dates. The chats and subjects a hold names are identifiers and are
only ever counted, never shown."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from o3_governance.reporting.text import safe_reason
from o3_governance.retention.policy import PolicyError, load_policy


@dataclass(frozen=True)
class RuleView:
    name: str
    match: str            # a readable description of what the rule matches
    retain_days: int | None
    action: str
    description: str = ""  # the company's own words on why (optional in the policy)
    retain_years: int | None = None
    count_from: str = "message_date"   # message_date / end_of_year / event:<type>

    @property
    def period(self) -> str:
        """The envisaged time limit as people read it: the length and what it counts from."""
        length = f"{self.retain_years} years" if self.retain_years is not None else f"{self.retain_days} days"
        if self.count_from == "end_of_year":
            return f"{length} after 1 January following the message date"
        if self.count_from.startswith("event:"):
            return f"{length} after the {self.count_from[6:]} event (kept until the event is recorded)"
        return f"{length} after the message date"


@dataclass(frozen=True)
class HoldView:
    name: str
    reason: str
    until: str            # ISO date, or "" for open-ended
    chats: int            # how many chats the hold names
    subjects: int         # how many people the hold names


@dataclass
class PolicyView:
    path: str = ""
    sha256: str = ""
    timezone: str = ""
    rules: list[RuleView] = field(default_factory=list)
    holds: list[HoldView] = field(default_factory=list)
    approvers_required: int = 1
    error: str = ""       # why the policy could not be read: then rules and holds are empty

    @property
    def available(self) -> bool:
        return not self.error

    def hold(self, name: str | None) -> HoldView | None:
        return next((h for h in self.holds if h.name == name), None)

    def rule_days(self, name: str | None) -> int | None:
        rule = next((r for r in self.rules if r.name == name), None)
        return rule.retain_days if rule else None

    def rule_period(self, name: str | None) -> str:
        rule = next((r for r in self.rules if r.name == name), None)
        return rule.period if rule else ""


def _describe_match(match: Any) -> str:
    if not match:
        return "every message not matched above"
    if not isinstance(match, dict):
        return "(unreadable match)"
    parts = []
    for key, value in match.items():
        if key == "special_category":
            parts.append("a special-category (Art. 9 / Art. 10) finding" if value else "no special-category finding")
        elif key in ("chats", "chat", "chat_name", "chat_names", "subjects", "authors", "author"):
            n = len(value) if isinstance(value, (list, tuple)) else 1
            parts.append(f"{key}: {n} named")  # names of chats and people are not reported
        elif isinstance(value, (list, tuple)):
            parts.append(f"{key} in {', '.join(str(v) for v in value)}")
        else:
            parts.append(f"{key} = {value}")
    return "; ".join(parts)


def load(path: Path) -> PolicyView:
    """Never raises: a policy that cannot be read gives a view that says why (one line, no content).
    The retention domain's validating loader decides, so the report refuses exactly the policies
    retention refuses."""
    view = PolicyView(path=str(path))
    try:
        policy = load_policy(Path(path))
    except PolicyError as exc:
        view.error = safe_reason(str(exc)) or "policy file refused"
        try:
            view.sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            pass
        return view
    view.sha256, view.timezone = policy.sha256, policy.timezone
    descriptions = _descriptions(Path(path))
    view.rules = [RuleView(name=r.name, match=_describe_match(r.match), retain_days=r.retain_days, action=r.action,
                           description=descriptions.get(r.name, ""), retain_years=r.retain_years,
                           count_from=r.count_from) for r in policy.rules]
    view.approvers_required = policy.approvers_required
    view.holds = [HoldView(name=h.name, reason=h.reason or "", until=h.until.isoformat() if h.until else "",
                           chats=len(h.chats), subjects=len(h.subjects)) for h in policy.holds]
    return view


def _descriptions(path: Path) -> dict[str, str]:
    """Rule descriptions, which the validated policy object does not carry."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        return {str(r["name"]): " ".join(str(r["description"]).split())
                for r in doc.get("rules") or [] if isinstance(r, dict) and r.get("description")}
    except (OSError, yaml.YAMLError, AttributeError, KeyError, TypeError):
        return {}
