"""Retention decisions and the nightly deletion list.

Every message gets exactly one row in ``retention``: the first rule (top-down) that matches it,
``retain_until`` = its local date + the rule's days, the legal hold that covers it (first active
hold in file order), and ``eligible`` = due (``retain_until <= as-of``), not held, not restricted
(Art. 18), and not already anonymised when the action is to anonymise.

The eligible rows form the deletion list. A list is named by the hash of its content
(message ids, rules, actions, dates), registered in ``deletion_lists`` with a status
(``awaiting_approval`` / ``executing`` / ``applied`` / ``superseded``), and its rows kept in
``deletion_list_items``. The same content night after night stays the same list, so the time a list
has waited for approval is measured from when it first appeared. The view ``deletion_list`` shows
the rows of the current list. Nothing here deletes anything.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Sequence

import duckdb

from o3_governance.storage.layout import DataLayout
from o3_governance.identity.chats import normalise_chat_id, normalise_chat_name
from o3_governance.identity.directory import DirectoryEntry
from o3_governance.identity import names as identity_names
from o3_governance.identity.matching import normalize_name, phone_pattern
from o3_governance.retention import approvals, events
from o3_governance.retention.policy import (COUNT_FROM_END_OF_YEAR, COUNT_FROM_MESSAGE_DATE, Hold, Policy, Rule,
                                            parse_policy)
from o3_governance.storage import audit, warehouse
from o3_governance.vocabulary import (ATTACHMENT_TERMS, ATTACHMENTS, FINDINGS, LIST_AWAITING_APPROVAL, LIST_EXECUTING,
                                      LIST_SUPERSEDED, RESTRICTED_MESSAGE_IDS, SPECIAL_CATEGORY_TYPES)

CHAT_NAMES_VIEW = "rt_chat_names"  # registered per connection by register_chat_names

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS deletion_lists (
        list_id           VARCHAR NOT NULL,   -- first 16 hex of list_hash
        list_hash         VARCHAR NOT NULL,   -- sha256 over the sorted rows (id|rule|action|retain_until)
        created_at        TIMESTAMPTZ NOT NULL,
        as_of             DATE NOT NULL,      -- the as-of date of the night that first listed it
        policy_sha256     VARCHAR,
        status            VARCHAR NOT NULL,   -- awaiting_approval / executing / applied / superseded
        item_count        BIGINT NOT NULL,
        delete_count      BIGINT NOT NULL,
        anonymise_count   BIGINT NOT NULL,
        chat_count        BIGINT NOT NULL,
        confirmed_at      TIMESTAMPTZ,        -- last night that computed the same list
        status_changed_at TIMESTAMPTZ,
        approved_by       VARCHAR,
        approved_at       TIMESTAMPTZ,
        applied_at        TIMESTAMPTZ,
        run_id            VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS deletion_list_items (
        list_id       VARCHAR NOT NULL,
        message_id    VARCHAR NOT NULL,
        chat_id       VARCHAR,
        rule          VARCHAR NOT NULL,
        action        VARCHAR NOT NULL,
        retain_until  DATE NOT NULL,
        local_date    DATE
    )""",
    """CREATE TABLE IF NOT EXISTS retention_anonymised (
        message_id     VARCHAR NOT NULL,
        list_id        VARCHAR,
        anonymised_at  TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS deletion_certificates (
        list_id             VARCHAR NOT NULL,
        list_hash           VARCHAR NOT NULL,
        status              VARCHAR NOT NULL,   -- executing / complete
        approved_by         VARCHAR NOT NULL,
        approved_at         TIMESTAMPTZ NOT NULL,
        started_at          TIMESTAMPTZ NOT NULL,
        completed_at        TIMESTAMPTZ,
        as_of               DATE NOT NULL,
        policy_sha256       VARCHAR,
        purge_id            VARCHAR NOT NULL,
        counts              VARCHAR NOT NULL,   -- JSON: per action, rule, chat_id; skipped; per store
        certificate_sha256  VARCHAR,            -- of the JSON file
        certificate_path    VARCHAR,            -- relative to the data folder
        run_id              VARCHAR
    )""",
    """CREATE VIEW IF NOT EXISTS deletion_list AS
        SELECT i.message_id, i.rule, i.action, i.retain_until, i.list_id, i.chat_id, i.local_date,
               l.created_at AS decided_at, l.status
        FROM deletion_list_items i JOIN deletion_lists l ON l.list_id = i.list_id
        WHERE l.status IN ('awaiting_approval', 'executing')""",
]

RETENTION_DDL_COLUMNS = (
    "message_id VARCHAR, chat_id VARCHAR, rule VARCHAR, action VARCHAR, retain_days INTEGER, local_date DATE, "
    "retain_until DATE, legal_hold VARCHAR, restricted BOOLEAN, anonymised BOOLEAN, eligible BOOLEAN, "
    "as_of DATE, decided_at TIMESTAMPTZ, policy_sha256 VARCHAR")
# Added with count_from / events; ALTERed onto older warehouses.
RETENTION_NEW_COLUMNS = (("retain_years", "INTEGER"), ("count_from", "VARCHAR"), ("count_from_date", "DATE"),
                         ("waiting_for", "VARCHAR"), ("reason", "VARCHAR"))
POLICIES = "retention_policies"   # the text of every policy a night decided with (the guard compares to it)
GUARD = "retention_guard"         # the last night's verdict on a policy change (refusal or null)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in SCHEMA:
        con.execute(ddl)
    con.execute(f"CREATE TABLE IF NOT EXISTS retention ({RETENTION_DDL_COLUMNS})")
    for column, kind in RETENTION_NEW_COLUMNS:
        con.execute(f"ALTER TABLE retention ADD COLUMN IF NOT EXISTS {column} {kind}")
    con.execute(f"CREATE TABLE IF NOT EXISTS {POLICIES} (sha256 VARCHAR, source VARCHAR, policy_text VARCHAR, "
                "first_used_at TIMESTAMPTZ)")
    con.execute(f"CREATE TABLE IF NOT EXISTS {GUARD} (decided_at TIMESTAMPTZ, as_of DATE, policy_sha256 VARCHAR, "
                "refusal VARCHAR)")
    # The attachment scan fills it; created here so that document_terms rules work without it.
    con.execute(f"CREATE TABLE IF NOT EXISTS {ATTACHMENT_TERMS} (media_sha256 VARCHAR, term VARCHAR)")
    events.ensure_schema(con)
    approvals.ensure_schema(con)


@dataclass
class RetentionSummary:
    as_of: date
    messages: int = 0
    eligible: int = 0
    held: int = 0
    restricted: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    eligible_by_action: dict[str, int] = field(default_factory=dict)
    holds_active: int = 0
    holds_ended: int = 0
    list_id: str | None = None
    list_status: str | None = None   # new / unchanged / none
    list_items: int = 0
    superseded: int = 0
    waiting: int = 0
    refused: str | None = None       # a policy change the mass-change guard refused (nothing was changed)

    def counts(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "messages": self.messages, "eligible": self.eligible,
                "held": self.held, "restricted": self.restricted, "by_rule": self.by_rule,
                "eligible_by_action": self.eligible_by_action, "holds_active": self.holds_active,
                "holds_ended": self.holds_ended, "list_id": self.list_id, "list_status": self.list_status,
                "list_items": self.list_items, "superseded": self.superseded, "waiting": self.waiting,
                "refused": self.refused is not None}


# ------------------------------------------------------------------------------------ SQL building

def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _list(values) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]::VARCHAR[]"


def rule_condition(rule: Rule) -> str:
    """SQL over the columns of the decision input (see ``_input_sql``); TRUE for a catch-all."""
    parts: list[str] = []
    for kind, value in rule.match.items():
        if kind == "special_category":
            parts.append("special" if value else "NOT special")
        elif kind == "message_type":
            parts.append(f"list_contains({_list(value)}, message_type)")
        elif kind == "chats":
            parts.append(chat_condition(value))
        elif kind == "source_format":
            parts.append(f"list_contains({_list(value)}, source_format)")
        elif kind == "language":
            parts.append(f"list_contains({_list(value)}, language)")
        elif kind == "entity_types":
            parts.append(f"len(list_intersect(entity_types, {_list(value)})) > 0")
        elif kind == "document_terms":
            # Terms the attachment scan found in the file's text, or a term in the file's name.
            in_name = " OR ".join(f"contains(attachment_lower, {_lit(t)})" for t in value)
            parts.append(f"(len(list_intersect(doc_terms, {_list(value)})) > 0 OR {in_name})")
        elif kind == "attachment_kind":
            parts.append(f"list_contains({_list(value)}, attachment_kind)")
        elif kind == "faces":   # false: no face found (also a message without a file)
            parts.append("faces > 0" if value else "NOT faces > 0")
        else:  # the validator refuses unknown kinds; this guards a programming error
            raise ValueError(f"unknown match kind {kind}")
    return " AND ".join(parts) if parts else "TRUE"


def chat_condition(chats: Sequence[str]) -> str:
    """A policy's ``chats:`` list (a hold's or a rule's) against a message: by the chat name as people
    read it (``identity.chats.normalise_chat_name``, over the ``chat_norm`` column that
    :func:`register_chat_names` provides) or by chat id."""
    names = sorted({normalise_chat_name(c) for c in chats} - {""})
    ids = sorted({normalise_chat_id(c) for c in chats} - {""})
    return f"(list_contains({_list(names)}, chat_norm) OR list_contains({_list(ids)}, chat_id))"


def register_chat_names(con, view: str = CHAT_NAMES_VIEW) -> None:
    """``view`` (chat_name, chat_norm): every chat name in ``messages`` with its comparison key, folded
    in Python (Unicode case folding and NFKD, which SQL's lower/strip_accents do not match)."""
    names = [r[0] for r in con.execute("SELECT DISTINCT chat_name FROM messages WHERE chat_name IS NOT NULL").fetchall()]
    warehouse.register_columns(con, view, {"chat_name": names, "chat_norm": [normalise_chat_name(n) for n in names]})


def _name_pattern(norm_name: str) -> str:
    """The held name in every written order ("Van den Broeck, Wout"), as the rights module finds it
    (identity.names); RE2 has no look-arounds, so word boundaries stand in for them."""
    alternatives = identity_names.name_alternatives(norm_name) or [re.escape(norm_name)]
    return r"\b(?:" + "|".join(alternatives) + r")\b"


def hold_condition(hold: Hold) -> str:
    parts: list[str] = []
    if hold.chats:
        parts.append(chat_condition(hold.chats))
    if hold.phones:
        parts.append(f"list_contains({_list(hold.phones)}, author_phone)")
        # Mentions too: a hold on a person keeps what others wrote about them (conservative).
        for phone in hold.phones:
            parts.append(f"regexp_matches(coalesce(body, ''), {_lit(phone_pattern(phone))})")
    if hold.names:
        parts.append(f"list_contains({_list(hold.names)}, author_norm)")
        for name in hold.names:
            parts.append(f"regexp_matches(body_norm, {_lit(_name_pattern(name))})")
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def expand_holds(holds: Sequence[Hold], directory: Sequence[DirectoryEntry]) -> list[Hold]:
    """Subjects through the staff/contact directory (the entries of ``O3_DIRECTORY_FILE``): a hold on a
    phone number also holds the names that number is known by (Android exports show names), and the
    reverse."""
    entries = [(normalize_name(e.name), e.phone) for e in directory] if any(h.subjects for h in holds) else []
    out = []
    for h in holds:
        names = set(h.names) | {n for n, p in entries if p and p in h.phones}
        names |= {spelling for n in names for spelling in identity_names.spellings(n)}   # authors in any order
        phones = set(h.phones) | {p for n, p in entries if p and n in h.names}
        out.append(replace(h, names=tuple(sorted(n for n in names if n)), phones=tuple(sorted(phones))))
    return out


def _register_authors(con, holds) -> bool:
    """Normalised author names, computed in Python (same folding as the rights module)."""
    if not any(h.names for h in holds):
        return False
    authors = [r[0] for r in con.execute("SELECT DISTINCT author FROM messages WHERE author IS NOT NULL").fetchall()]
    warehouse.register_columns(con, "rt_authors", {"author": authors,
                                                   "author_norm": [normalize_name(a) for a in authors]})
    return True


def _input_sql(con, policy: Policy, special: frozenset[str], with_names: bool, skip_executing: bool) -> str:
    has_findings = warehouse.table_exists(con, FINDINGS)
    findings = (f"""SELECT message_id, bool_or(list_contains({_list(sorted(special))}, entity_type)) AS special,
                        list(DISTINCT entity_type) AS entity_types
                    FROM findings GROUP BY message_id""" if has_findings else
                "SELECT NULL::VARCHAR AS message_id, false AS special, []::VARCHAR[] AS entity_types LIMIT 0")
    terms = (f"SELECT media_sha256, list(DISTINCT lower(term)) AS doc_terms FROM {ATTACHMENT_TERMS} GROUP BY 1"
             if warehouse.table_exists(con, ATTACHMENT_TERMS)
             else "SELECT NULL::VARCHAR AS media_sha256, []::VARCHAR[] AS doc_terms LIMIT 0")
    anonymised = ("SELECT DISTINCT message_id FROM retention_anonymised"
                  if warehouse.table_exists(con, "retention_anonymised") else "SELECT NULL::VARCHAR AS message_id LIMIT 0")
    skip_executing = skip_executing and warehouse.table_exists(con, "deletion_list_items")
    # The register of attachments (the attachment scan writes it): the kind and faces of the file a message carries.
    files = (f"SELECT media_sha256, kind, faces FROM {ATTACHMENTS}" if warehouse.table_exists(con, ATTACHMENTS)
             else "SELECT NULL::VARCHAR AS media_sha256, NULL::VARCHAR AS kind, 0 AS faces LIMIT 0")
    restricted = (f"SELECT DISTINCT message_id FROM {RESTRICTED_MESSAGE_IDS}"
                  if warehouse.table_exists(con, RESTRICTED_MESSAGE_IDS)
                  else "SELECT NULL::VARCHAR AS message_id LIMIT 0")
    authors = ("LEFT JOIN rt_authors an ON an.author = m.author" if with_names
               else "LEFT JOIN (SELECT NULL::VARCHAR AS author, NULL::VARCHAR AS author_norm LIMIT 0) an ON false")
    body_norm = "strip_accents(lower(coalesce(m.body, '')))" if with_names else "''"
    register_chat_names(con)
    # Messages of a list being applied (e.g. interrupted by a crash) are that list's business.
    executing = ("SELECT DISTINCT i.message_id FROM deletion_list_items i JOIN deletion_lists l "
                 f"ON l.list_id = i.list_id WHERE l.status = '{LIST_EXECUTING}'" if skip_executing
                 else "SELECT NULL::VARCHAR AS message_id LIMIT 0")
    return f"""
        SELECT m.message_id, m.chat_id, m.chat_name, cn.chat_norm, m.source_format, m.message_type, m.language,
               m.author, m.author_phone, m.body, an.author_norm, {body_norm} AS body_norm,
               lower(coalesce(m.attachment, '')) AS attachment_lower,
               coalesce(t.doc_terms, []::VARCHAR[]) AS doc_terms,
               coalesce(m.local_date, CAST(m.sent_local AS DATE),
                        CAST(timezone({_lit(policy.timezone)}, m.sent_at) AS DATE)) AS local_date,
               coalesce(f.special, false) AS special,
               coalesce(f.entity_types, []::VARCHAR[]) AS entity_types,
               att.kind AS attachment_kind, coalesce(att.faces, 0) AS faces,
               r.message_id IS NOT NULL AS restricted,
               a.message_id IS NOT NULL AS anonymised,
               x.message_id IS NOT NULL AS in_disposal
        FROM messages m
        LEFT JOIN ({findings}) f ON f.message_id = m.message_id
        LEFT JOIN ({restricted}) r ON r.message_id = m.message_id
        LEFT JOIN ({anonymised}) a ON a.message_id = m.message_id
        LEFT JOIN ({terms}) t ON t.media_sha256 = m.media_sha256
        LEFT JOIN ({files}) att ON att.media_sha256 = m.media_sha256
        LEFT JOIN ({executing}) x ON x.message_id = m.message_id
        LEFT JOIN {CHAT_NAMES_VIEW} cn ON cn.chat_name = m.chat_name
        {authors}"""


def _add_years(day: str, years: str) -> str:
    """SQL: ``day`` plus ``years`` calendar years. 29 February in a year without one becomes 1 March:
    never less than the full period (retention wins over deletion when in doubt)."""
    y = f"(year({day}) + {years})"
    leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
    return (f"CASE WHEN month({day}) = 2 AND day({day}) = 29 AND NOT {leap} THEN make_date({y}, 3, 1) "
            f"ELSE make_date({y}, month({day}), day({day})) END")


def rule_reason(rule: Rule) -> str:
    """Why the rule took a message, without content: the match kinds that all held."""
    return f"matched {', '.join(rule.match)}" if rule.match else "no earlier rule matched (default)"


def decisions_sql(con, policy: Policy, as_of: date, decided_at: datetime, *,
                  directory: Sequence[DirectoryEntry] = (), skip_executing: bool = True,
                  secret: bytes | None = None) -> str:
    """One row per message: the SELECT that fills ``retention``. With ``skip_executing``, messages
    on a list that is being applied are not eligible again (they would be listed twice). ``directory``:
    the staff/contact directory's entries (none when no directory is configured); ``secret``: the
    subject key, needed to find what the subject of a subject event wrote."""
    special = frozenset(SPECIAL_CATEGORY_TYPES)
    active = expand_holds(policy.active_holds(as_of), directory)
    with_names = _register_authors(con, active)
    events.register_author_keys(con, secret)
    rule_case = "CASE " + " ".join(f"WHEN {rule_condition(r)} THEN {i}" for i, r in enumerate(policy.rules)) + " END"
    hold_case = ("CASE " + " ".join(f"WHEN {hold_condition(h)} THEN {_lit(h.name)}" for h in active) + " END"
                 if active else "NULL::VARCHAR")

    def num(v):
        return "NULL::INTEGER" if v is None else str(int(v))

    rules_values = ", ".join(
        f"({i}, {_lit(r.name)}, {_lit(r.action)}, {num(r.retain_days)}, {num(r.retain_years)}, {_lit(r.count_from)}, "
        f"{_lit(r.event_type) if r.event_type else 'NULL::VARCHAR'}, {_lit(rule_reason(r))})"
        for i, r in enumerate(policy.rules))
    as_of_sql = f"DATE {_lit(as_of.isoformat())}"
    return f"""
        WITH input AS ({_input_sql(con, policy, special, with_names, skip_executing)}),
        ruled AS (SELECT *, {rule_case} AS rule_idx, {hold_case} AS legal_hold FROM input),
        rules(rule_idx, rule, action, retain_days, retain_years, count_from, event_type, reason)
            AS (VALUES {rules_values}),
        ev AS ({events.active_events_sql(con)}),
        chat_ev AS (SELECT chat_id, event_type, max(event_date) AS event_date FROM ev
                    WHERE chat_id IS NOT NULL GROUP BY ALL),
        subject_ev AS (SELECT k.author, k.author_phone, ev.event_type, max(ev.event_date) AS event_date
                       FROM {events.AUTHOR_KEYS_VIEW} k JOIN ev ON ev.subject_key = k.subject_key GROUP BY ALL),
        counted AS (
            SELECT d.*, rules.rule, rules.action, rules.retain_days, rules.retain_years, rules.count_from,
                   rules.event_type, rules.reason,
                   CASE rules.count_from
                       WHEN {_lit(COUNT_FROM_MESSAGE_DATE)} THEN d.local_date
                       WHEN {_lit(COUNT_FROM_END_OF_YEAR)} THEN make_date(year(d.local_date) + 1, 1, 1)
                       -- the later of a chat event and an event on the author: the longer period wins
                       ELSE CAST(greatest(coalesce(ce.event_date, se.event_date), coalesce(se.event_date, ce.event_date))
                                 AS DATE)
                   END AS count_from_date
            FROM ruled d JOIN rules USING (rule_idx)
            LEFT JOIN chat_ev ce ON ce.chat_id = d.chat_id AND ce.event_type = rules.event_type
            LEFT JOIN subject_ev se ON se.event_type = rules.event_type
                 AND se.author IS NOT DISTINCT FROM d.author AND se.author_phone IS NOT DISTINCT FROM d.author_phone),
        dated AS (
            SELECT *, CAST(CASE WHEN retain_years IS NOT NULL THEN {_add_years("count_from_date", "retain_years")}
                                ELSE count_from_date + retain_days END AS DATE) AS retain_until
            FROM counted)
        SELECT d.message_id, d.chat_id, d.rule, d.action, d.retain_days, d.local_date, d.retain_until,
               d.legal_hold, d.restricted, d.anonymised,
               (coalesce(d.retain_until <= {as_of_sql}, false)
                AND d.legal_hold IS NULL AND NOT d.restricted
                AND NOT (d.action = 'anonymise' AND d.anonymised) AND NOT d.in_disposal) AS eligible,
               {as_of_sql} AS as_of,
               TIMESTAMPTZ {_lit(decided_at.isoformat())} AS decided_at,
               {_lit(policy.sha256)} AS policy_sha256,
               d.retain_years, d.count_from, d.count_from_date,
               CASE WHEN d.count_from_date IS NULL THEN d.event_type END AS waiting_for,
               d.reason
        FROM dated d"""


# ------------------------------------------------------------------------------------------ nightly

def compute(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: date, *, now: datetime,
            directory: Sequence[DirectoryEntry] = (), run_id: str | None = None,
            secret: bytes | None = None) -> RetentionSummary:
    """Recompute ``retention`` and the deletion list in one transaction, and audit the counts.
    ``now`` (timezone-aware) is the time of the decision; ``directory`` and ``secret``: see ``decisions_sql``.

    When the policy changed since the previous night and the change alone would list more than
    ``disposal.max_new_share`` of all messages, nothing is changed: ``summary.refused`` says why (the
    deletion_list asset fails with it) until a person accepts exactly that file."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ensure_schema(con)
    summary = RetentionSummary(as_of=as_of)
    summary.holds_active = len(policy.active_holds(as_of))
    summary.holds_ended = len(policy.holds) - summary.holds_active
    refusal = change_guard(con, policy, as_of, now, directory=directory, secret=secret)
    sql = decisions_sql(con, policy, as_of, now, directory=directory, secret=secret)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {GUARD}")
        con.execute(f"INSERT INTO {GUARD} VALUES (?, ?, ?, ?)", [now, as_of, policy.sha256, refusal])
        if refusal is not None:
            summary.refused = refusal
            audit.append(con, "policy_change_refused", {"policy_sha256": policy.sha256, "as_of": as_of.isoformat()},
                         run_id=run_id, ts=now)
        else:
            con.execute("DELETE FROM retention")
            con.execute(f"INSERT INTO retention BY NAME {sql}")
            if not con.execute(f"SELECT count(*) FROM {POLICIES} WHERE sha256 = ?", [policy.sha256]).fetchall()[0][0]:
                con.execute(f"INSERT INTO {POLICIES} VALUES (?, ?, ?, ?)",
                            [policy.sha256, policy.source, policy.text, now])
            _fill_summary(con, summary)
            _update_list(con, policy, as_of, now, run_id, summary)
            audit.append(con, "retention_decided", summary.counts(), run_id=run_id, ts=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return summary


# ---------------------------------------------------------------------------- the mass-change guard

ACCEPTED_EVENT = "policy_change_accepted"


def accepted(con: duckdb.DuckDBPyConnection, policy_sha256: str) -> bool:
    """Whether a person accepted the policy file with this sha256 (an audit-log event)."""
    if not warehouse.table_exists(con, "audit_log"):
        return False
    return con.execute("SELECT count(*) FROM audit_log WHERE event = ? "
                       "AND json_extract_string(details, '$.policy_sha256') = ?",
                       [ACCEPTED_EVENT, policy_sha256]).fetchall()[0][0] > 0


def accept(con: duckdb.DuckDBPyConnection, policy: Policy, approved_by: str, *, newly_due: int, now: datetime,
           run_id: str | None = None) -> None:
    """Record that ``approved_by`` accepted exactly this policy file (its sha256) and what it lists."""
    approved_by = approvals.person_name(approved_by)
    audit.append(con, ACCEPTED_EVENT, {"policy_sha256": policy.sha256, "approved_by": approved_by,
                                       "newly_due": newly_due}, run_id=run_id, ts=now)


def previous_policy(con: duckdb.DuckDBPyConnection) -> Policy | None:
    """The policy the last night decided with (its text as stored then), or None."""
    if not warehouse.table_exists(con, "retention") or not warehouse.table_exists(con, POLICIES):
        return None
    row = con.execute("SELECT policy_sha256 FROM retention WHERE policy_sha256 IS NOT NULL LIMIT 1").fetchall()
    if not row:
        return None
    text = con.execute(f"SELECT policy_text FROM {POLICIES} WHERE sha256 = ? AND policy_text IS NOT NULL",
                       [row[0][0]]).fetchall()
    if not text:
        return None
    try:
        return parse_policy(text[0][0], source="previous policy")
    except ValueError:  # a file this version no longer reads: nothing to compare against
        return None


def newly_due_per_rule(con: duckdb.DuckDBPyConnection, old: Policy, new: Policy, as_of: date, now: datetime, *,
                       directory: Sequence[DirectoryEntry] = (), secret: bytes | None = None) -> dict[str, int]:
    """Messages the new policy lists and the old one does not, on the same day and data, per new rule."""
    old_sql = decisions_sql(con, old, as_of, now, directory=directory, secret=secret)
    new_sql = decisions_sql(con, new, as_of, now, directory=directory, secret=secret)
    return dict(con.execute(f"SELECT n.rule, count(*) FROM ({new_sql}) n JOIN ({old_sql}) o USING (message_id) "
                            "WHERE n.eligible AND NOT o.eligible GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())


def change_guard(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: date, now: datetime, *,
                 directory: Sequence[DirectoryEntry] = (), secret: bytes | None = None) -> str | None:
    """One line when the policy change alone lists too much (see :func:`compute`), else None. Growth
    from time passing, events or new data is not a change of the policy: both policies are judged
    on the same day and the same data."""
    old = previous_policy(con)
    if old is None or old.sha256 == policy.sha256 or accepted(con, policy.sha256):
        return None
    total = con.execute("SELECT count(*) FROM messages").fetchall()[0][0]
    per_rule = newly_due_per_rule(con, old, policy, as_of, now, directory=directory, secret=secret)
    added = sum(per_rule.values())
    if not total or added / total <= policy.max_new_share:
        return None
    rules = ", ".join(f"{r} ({n})" for r, n in per_rule.items())
    return (f"policy change refused: it would add {added} of {total} messages ({added / total:.0%}) to the deletion "
            f"list, above max_new_share {policy.max_new_share:.0%}; rules responsible: {rules}; to accept it: "
            f"o3-governance check-policy --simulate FILE --accept --approved-by NAME")


def last_refusal(con: duckdb.DuckDBPyConnection) -> str | None:
    """The refusal of the last night's decision, or None."""
    if not warehouse.table_exists(con, GUARD):
        return None
    row = con.execute(f"SELECT refusal FROM {GUARD} ORDER BY decided_at DESC LIMIT 1").fetchall()
    return row[0][0] if row else None


def _fill_summary(con, summary: RetentionSummary) -> None:
    summary.messages, summary.eligible, summary.held, summary.restricted = con.execute(
        "SELECT count(*), count(*) FILTER (eligible), count(*) FILTER (legal_hold IS NOT NULL), "
        "count(*) FILTER (restricted) FROM retention").fetchall()[0]
    summary.waiting = con.execute("SELECT count(*) FROM retention WHERE waiting_for IS NOT NULL").fetchall()[0][0]
    summary.by_rule = dict(con.execute("SELECT rule, count(*) FROM retention GROUP BY rule ORDER BY rule").fetchall())
    summary.eligible_by_action = dict(con.execute(
        "SELECT action, count(*) FROM retention WHERE eligible GROUP BY action ORDER BY action").fetchall())


def _update_list(con, policy: Policy, as_of: date, now: datetime, run_id: str | None,
                 summary: RetentionSummary) -> None:
    list_hash, n, n_delete, n_anon, n_chats = con.execute(
        "SELECT sha256(coalesce(string_agg(message_id || '|' || rule || '|' || action || '|' || "
        "CAST(retain_until AS VARCHAR), chr(10) ORDER BY message_id), '')), count(*), "
        "count(*) FILTER (action = 'delete'), count(*) FILTER (action = 'anonymise'), count(DISTINCT chat_id) "
        "FROM retention WHERE eligible").fetchall()[0]
    current = con.execute("SELECT list_id, list_hash FROM deletion_lists WHERE status = ? "
                          "ORDER BY created_at DESC", [LIST_AWAITING_APPROVAL]).fetchall()
    summary.list_items = n
    if n and any(h == list_hash for _, h in current):
        list_id = next(i for i, h in current if h == list_hash)
        con.execute("UPDATE deletion_lists SET confirmed_at = ? WHERE list_id = ?", [now, list_id])
        stale = [i for i, _ in current if i != list_id]
        summary.list_id, summary.list_status = list_id, "unchanged"
    else:
        stale = [i for i, _ in current]
        if n:
            list_id = list_hash[:16]
            if con.execute("SELECT count(*) FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall()[0][0]:
                # The same content was listed before and then applied or superseded: a new list all the same.
                list_id = hashlib.sha256(f"{list_hash}:{now.isoformat()}".encode()).hexdigest()[:16]
            con.execute(
                "INSERT INTO deletion_lists (list_id, list_hash, created_at, as_of, policy_sha256, status, item_count, "
                "delete_count, anonymise_count, chat_count, confirmed_at, status_changed_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [list_id, list_hash, now, as_of, policy.sha256, LIST_AWAITING_APPROVAL, n, n_delete, n_anon, n_chats, now, now, run_id])
            con.execute("INSERT INTO deletion_list_items SELECT ?, message_id, chat_id, rule, action, retain_until, "
                        "local_date FROM retention WHERE eligible", [list_id])
            summary.list_id, summary.list_status = list_id, "new"
        else:
            summary.list_status = "none"
    if stale:
        con.execute("UPDATE deletion_lists SET status = ?, status_changed_at = ? "
                    "WHERE list_id IN (SELECT unnest(?::VARCHAR[]))", [LIST_SUPERSEDED, now, stale])
        # A superseded list can no longer be approved; its rows go, its register row and hash stay.
        con.execute("DELETE FROM deletion_list_items WHERE list_id IN (SELECT unnest(?::VARCHAR[]))", [stale])
        summary.superseded = len(stale)


def run(layout: DataLayout, *, policy: Policy, as_of: date, now: datetime,
        directory: Sequence[DirectoryEntry] = (), run_id: str | None = None,
        secret: bytes | None = None) -> RetentionSummary:
    """The nightly step on the data folder's warehouse (the shell loads the policy first: a refused
    policy raises before anything is written)."""
    with warehouse.open_warehouse(layout.warehouse) as con:
        summary = compute(con, policy, as_of, now=now, directory=directory, run_id=run_id, secret=secret)
        con.execute("CHECKPOINT")
    return summary
