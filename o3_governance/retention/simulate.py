"""Read-only questions about the policy against the warehouse: what a new policy file would take and
list (``simulate``), what each legal hold keeps and which of its entries match nothing
(``hold_coverage``), and why one message is kept or listed (``explain``).

Nothing here writes: the decisions are the same SELECT the nightly run inserts
(``decide.decisions_sql``), run on the same day and data, so a simulation's "would list" is what the
next night lists. Results hold counts, chat ids, rule and hold names, dates; never message text."""
from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Sequence

import duckdb

from o3_governance.identity.chats import normalise_chat_name
from o3_governance.identity.directory import DirectoryEntry
from o3_governance.identity.matching import normalize_name
from o3_governance.retention import decide, events
from o3_governance.retention.policy import Hold, Policy, normalize_phone
from o3_governance.storage import warehouse
from o3_governance.vocabulary import FINDINGS, MESSAGES, RESTRICTED_MESSAGE_IDS, RETENTION_EVENTS


# ------------------------------------------------------------------------------------------ simulate

@dataclass
class Simulation:
    messages: int = 0
    rules_now: dict[str, int] = field(default_factory=dict)
    rules_new: dict[str, int] = field(default_factory=dict)
    holds_now: dict[str, int] = field(default_factory=dict)
    holds_new: dict[str, int] = field(default_factory=dict)
    listed_now: int = 0
    listed_new: int = 0
    newly_due: int = 0
    no_longer_due: int = 0
    lose_hold: int = 0
    # (chat_id, rule under the new file) -> [newly due, no longer due, lose a hold]
    changes: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    newly_due_per_rule: dict[str, int] = field(default_factory=dict)

    @property
    def new_share(self) -> float:
        return self.newly_due / self.messages if self.messages else 0.0


def simulate(con: duckdb.DuckDBPyConnection, current: Policy, new: Policy, as_of: date, now: datetime, *,
             directory: Sequence[DirectoryEntry] = (), secret: bytes | None = None) -> Simulation:
    """``current`` and ``new`` judged on the same day and data (writes nothing)."""
    sim = Simulation()
    if not warehouse.table_exists(con, MESSAGES):
        return sim
    now_sql = decide.decisions_sql(con, current, as_of, now, directory=directory, secret=secret)
    new_sql = decide.decisions_sql(con, new, as_of, now, directory=directory, secret=secret)
    rows = con.execute(f"""
        SELECT coalesce(n.chat_id, ''), o.rule, n.rule, o.eligible, n.eligible, o.legal_hold, n.legal_hold, count(*)
        FROM ({now_sql}) o JOIN ({new_sql}) n USING (message_id) GROUP BY ALL""").fetchall()
    rules_now: dict[str, int] = defaultdict(int)
    rules_new: dict[str, int] = defaultdict(int)
    holds_now: dict[str, int] = defaultdict(int)
    holds_new: dict[str, int] = defaultdict(int)
    changes: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    per_rule: dict[str, int] = defaultdict(int)
    for chat_id, rule_o, rule_n, due_o, due_n, hold_o, hold_n, n in rows:
        sim.messages += n
        rules_now[rule_o] += n
        rules_new[rule_n] += n
        if hold_o:
            holds_now[hold_o] += n
        if hold_n:
            holds_new[hold_n] += n
        sim.listed_now += n if due_o else 0
        sim.listed_new += n if due_n else 0
        if due_n and not due_o:
            changes[(chat_id, rule_n)][0] += n
            per_rule[rule_n] += n
            sim.newly_due += n
        if due_o and not due_n:
            changes[(chat_id, rule_n)][1] += n
            sim.no_longer_due += n
        if hold_o and not hold_n:
            changes[(chat_id, rule_n)][2] += n
            sim.lose_hold += n
    sim.rules_now, sim.rules_new = dict(rules_now), dict(rules_new)
    sim.holds_now, sim.holds_new = dict(holds_now), dict(holds_new)
    sim.changes = dict(sorted(changes.items()))
    sim.newly_due_per_rule = dict(sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0])))
    return sim


# ------------------------------------------------------------------------------------- hold coverage

@dataclass
class HoldCoverage:
    name: str
    kept: int                                   # messages the hold covers now
    unmatched: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, entry, did you mean)

    def warnings(self) -> list[str]:
        out = []
        for kind, entry, guess in self.unmatched:
            what = "chat" if kind == "chat" else "message"
            line = f"hold '{self.name}': {kind} '{entry}' matches no {what}"
            out.append(line + (f"; did you mean '{guess}'?" if guess else ""))
        return out


def _closest(entry: str, candidates: Sequence[str], key) -> str | None:
    by_key = {key(c): c for c in candidates if c}
    found = difflib.get_close_matches(key(entry), list(by_key), n=1, cutoff=0.6)
    return by_key[found[0]] if found else None


def hold_coverage(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: date, *,
                  directory: Sequence[DirectoryEntry] = ()) -> list[HoldCoverage]:
    """For each active hold: how many messages it keeps, and each chat or subject that matches no message
    (with the closest chat name or author as a suggestion)."""
    active = policy.active_holds(as_of)
    if not active or not warehouse.table_exists(con, MESSAGES):
        return [HoldCoverage(h.name, 0, [("chat", c, None) for c in h.chats] +
                             [("subject", s, None) for s in h.subjects]) for h in active]
    singles: list[tuple[Hold, str, str]] = []   # (one-entry hold, kind, entry)
    for h in active:
        for c in h.chats:
            singles.append((Hold(h.name, chats=(c,)), "chat", c))
        for s in h.subjects:
            one = (Hold(h.name, subjects=(s,), names=(normalize_name(s),)) if any(ch.isalpha() for ch in s)
                   else Hold(h.name, subjects=(s,), phones=tuple(p for p in h.phones if _same_phone(p, s))))
            singles.append((one, "subject", s))
    expanded = decide.expand_holds(active + [s[0] for s in singles], directory)
    whole, parts = expanded[:len(active)], expanded[len(active):]
    with_names = decide._register_authors(con, expanded)
    source = decide._input_sql(con, policy, frozenset(), with_names, False)
    columns = [f"count(*) FILTER ({decide.hold_condition(h)})" for h in whole + parts]
    counts = con.execute(f"SELECT {', '.join(columns)} FROM ({source})").fetchall()[0]
    chat_names = [r[0] for r in con.execute(f"SELECT DISTINCT chat_name FROM {MESSAGES} "
                                            "WHERE chat_name IS NOT NULL").fetchall()]
    authors = [r[0] for r in con.execute(f"SELECT DISTINCT author FROM {MESSAGES} "
                                         "WHERE author IS NOT NULL").fetchall()]
    out = {h.name: HoldCoverage(h.name, counts[i]) for i, h in enumerate(whole)}
    for (one, kind, entry), n in zip(singles, counts[len(whole):]):
        if n:
            continue
        guess = (_closest(entry, chat_names, normalise_chat_name) if kind == "chat"
                 else _closest(entry, authors, normalize_name) if any(ch.isalpha() for ch in entry) else None)
        out[one.name].unmatched.append((kind, entry, guess))
    return list(out.values())


def _same_phone(e164: str, written: str) -> bool:
    return normalize_phone(written) == e164


# ------------------------------------------------------------------------------------------- explain

@dataclass
class Explanation:
    message_id: str
    chat_id: str | None
    chat_name: str | None
    local_date: date | None
    message_type: str | None
    finding_types: list[str]
    rule: str
    action: str
    reason: str
    period: str
    count_from: str
    count_from_date: date | None
    waiting_for: str | None
    events_used: list[str]
    retain_until: date | None
    legal_hold: str | None
    restricted: bool
    eligible: bool
    as_of: date
    list_id: str | None = None
    list_status: str | None = None

    def lines(self) -> list[str]:
        out = [f"message {self.message_id}",
               f"  chat: {self.chat_name or '-'} ({self.chat_id or '-'})",
               f"  date: {self.local_date}  type: {self.message_type}",
               f"  findings: {', '.join(self.finding_types) or 'none'}",
               f"  rule: {self.rule} ({self.reason}) -> {self.action} after {self.period}",
               f"  counts from: {self.count_from}"
               + (f" = {self.count_from_date}" if self.count_from_date else "")
               + (f" (event {', '.join(self.events_used)})" if self.events_used else "")]
        if self.waiting_for:
            out.append(f"  waiting for: {self.waiting_for} (kept until the event is recorded)")
        out.append(f"  retain until: {self.retain_until or 'not set (waiting)'}")
        out.append(f"  legal hold: {self.legal_hold or 'none'}  restricted: {'yes' if self.restricted else 'no'}")
        due = "due" if self.eligible else "not due"
        listed = (f"on deletion list {self.list_id} ({self.list_status})" if self.list_id
                  else "not on the current deletion list")
        out.append(f"  as of {self.as_of}: {due}; {listed}")
        return out


def explain(con: duckdb.DuckDBPyConnection, message_id: str, policy: Policy, as_of: date, now: datetime, *,
            directory: Sequence[DirectoryEntry] = (), secret: bytes | None = None) -> Explanation | None:
    """Why ``message_id`` is kept or listed under ``policy`` on ``as_of``; None for an unknown id."""
    if not warehouse.table_exists(con, MESSAGES):
        return None
    meta = con.execute(f"SELECT chat_id, chat_name, message_type FROM {MESSAGES} WHERE message_id = ?",
                       [message_id]).fetchall()
    if not meta:
        return None
    sql = decide.decisions_sql(con, policy, as_of, now, directory=directory, secret=secret)
    row = con.execute(f"SELECT rule, action, reason, count_from, count_from_date, waiting_for, retain_until, "
                      f"legal_hold, restricted, eligible, local_date, chat_id FROM ({sql}) WHERE message_id = ?",
                      [message_id]).fetchall()[0]
    (rule, action, reason, count_from, cf_date, waiting, until, hold, restricted, eligible, local_date,
     chat_id) = row
    findings = ([r[0] for r in con.execute(f"SELECT DISTINCT entity_type FROM {FINDINGS} WHERE message_id = ? "
                                           "ORDER BY 1", [message_id]).fetchall()]
                if warehouse.table_exists(con, FINDINGS) else [])
    rule_obj = policy.rule(rule)
    used: list[str] = []
    if rule_obj.event_type and cf_date is not None and warehouse.table_exists(con, RETENTION_EVENTS):
        used = [r[0] for r in con.execute(
            f"SELECT e.event_id FROM {RETENTION_EVENTS} e LEFT JOIN {events.AUTHOR_KEYS_VIEW} k "
            "ON k.subject_key = e.subject_key JOIN messages m ON m.message_id = ? "
            "AND (e.chat_id = m.chat_id OR (k.author IS NOT DISTINCT FROM m.author "
            "AND k.author_phone IS NOT DISTINCT FROM m.author_phone AND k.subject_key IS NOT NULL)) "
            "WHERE e.withdrawn_at IS NULL AND e.event_type = ? AND e.event_date = ? ORDER BY 1",
            [message_id, rule_obj.event_type, cf_date]).fetchall()]
    if not restricted and warehouse.table_exists(con, RESTRICTED_MESSAGE_IDS):
        restricted = con.execute(f"SELECT count(*) FROM {RESTRICTED_MESSAGE_IDS} WHERE message_id = ?",
                                 [message_id]).fetchall()[0][0] > 0
    listed = (con.execute("SELECT list_id, status FROM deletion_list WHERE message_id = ?", [message_id]).fetchall()
              if warehouse.table_exists(con, "deletion_list") else [])
    return Explanation(
        message_id=message_id, chat_id=chat_id, chat_name=meta[0][1], local_date=local_date,
        message_type=meta[0][2], finding_types=findings, rule=rule, action=action, reason=reason,
        period=rule_obj.period, count_from=count_from, count_from_date=cf_date, waiting_for=waiting,
        events_used=used, retain_until=until, legal_hold=hold, restricted=bool(restricted), eligible=bool(eligible),
        as_of=as_of, list_id=listed[0][0] if listed else None, list_status=listed[0][1] if listed else None)
