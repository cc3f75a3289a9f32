"""Finding a data subject's messages: the ones they wrote, and the ones that mention them.

Authored: ``author_phone`` equals their E.164 number, or the author field is their number in another
spelling, or the author field is one of their names (given with the request, or mapped to their
phone by the directory or a rectification) while the message carries no other phone.

Mentioned: spans of their name (full name, either order; the first name alone when no other known
person — chat author, directory or mapping entry — has the same first name), phone (any usual spelling) or email in a
message body, from two sources that back each other up: the scanner's PERSON / PHONE_NUMBER /
EMAIL_ADDRESS findings whose text is theirs, and a direct search of the bodies. Bodies are read in
memory at request time; matched text is never stored, only offsets for the redaction.

Conversation: every message of a one-to-one chat named after them (WhatsApp names such an export
after the other person), whoever wrote it.

A name given with the request that the directory (or a rectification) assigns to a different phone
only is not used at all: it belongs to a namesake, and the answer says so.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from o3_governance import settings  # TODO(issue 10): the directory's path comes from the shell
from o3_governance.storage import warehouse
from o3_governance.identity import matching as identity
from o3_governance.identity.matching import Subject

MENTION_ENTITIES = ("PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS")  # the finding types that can be the subject


@dataclass
class SubjectData:
    authored: list[str] = field(default_factory=list)                     # message ids, time order
    mentions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # message id → merged spans
    matched_authors: list[tuple[str | None, str | None]] = field(default_factory=list)  # (author, author_phone)
    ambiguous_names: int = 0
    own_chats: list[str] = field(default_factory=list)       # chat ids of one-to-one chats named after them
    conversation: set[str] = field(default_factory=set)      # message ids in those chats
    _authored_set: set[str] = field(default_factory=set, repr=False)

    @property
    def mentioned_only(self) -> list[str]:
        authored = set(self.authored)
        return sorted(m for m in self.mentions if m not in authored)

    @property
    def all_ids(self) -> set[str]:
        return set(self.authored) | set(self.mentions) | self.conversation

    def relation(self, message_id: str) -> str:
        if message_id in self.authored_set:
            return "author"
        return "mentioned" if message_id in self.mentions else "conversation"

    @property
    def authored_set(self) -> set[str]:
        if len(self._authored_set) != len(self.authored):
            self._authored_set = set(self.authored)
        return self._authored_set


def own_chat_ids(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Chats whose name is the subject's name or number: their one-to-one conversations."""
    out = []
    for chat_id, chat_name in con.execute("SELECT DISTINCT chat_id, chat_name FROM messages").fetchall():
        if chat_name and (identity.normalize_name(chat_name) in subject.names
                          or identity.normalize_phone(chat_name) == subject.phone):
            out.append(chat_id)
    return sorted(out)


def resolve_subject(con: duckdb.DuckDBPyConnection, phone: str, name: str | None, email: str | None,
                    directory: list[identity.DirectoryEntry] | None = None) -> tuple[Subject, int]:
    """The subject with every name known for their phone; returns (subject, ambiguous name count)."""
    directory = directory if directory is not None else identity.load_directory(settings.load().directory_file)
    aliases: set[str] = set()
    emails = {email} if email else set()
    phones_by_name: dict[str, set[str]] = {}
    for entry in directory:
        n = identity.normalize_name(entry.name)
        if entry.phone:
            phones_by_name.setdefault(n, set()).add(entry.phone)
        if entry.phone == phone:
            aliases.add(n)
            if entry.email and not email:
                emails.add(entry.email)
    if warehouse.table_exists(con, "subject_mappings"):
        # Superseded mappings still link the person to messages written under the earlier name.
        for mname, mphone in con.execute("SELECT name, phone FROM subject_mappings").fetchall():
            n = identity.normalize_name(mname)
            if mphone:
                phones_by_name.setdefault(n, set()).add(mphone)
            if mphone == phone and n:
                aliases.add(n)
    ambiguous = 0
    given = identity.normalize_name(name)
    subject = Subject(phone=phone, name=name, email=next(iter(sorted(emails)), None), aliases=aliases)
    if given and phones_by_name.get(given) and phone not in phones_by_name[given]:
        ambiguous = 1
    subject.ambiguous_name = given if ambiguous else None
    subject.first_names = _unique_first_names(con, subject, directory, phones_by_name)
    return subject, ambiguous


def _unique_first_names(con: duckdb.DuckDBPyConnection, subject: Subject,
                        directory: list[identity.DirectoryEntry], phones_by_name: dict[str, set[str]]) -> set[str]:
    own = subject.names
    candidates = {f for f in (identity.first_name(n) for n in own) if f}
    if not candidates:
        return set()
    others: set[str] = set()
    for author, author_phone in con.execute("SELECT DISTINCT author, author_phone FROM messages").fetchall():
        n = identity.normalize_name(author)
        if n and n not in own and author_phone != subject.phone:
            others.add(n)
    others |= {n for n, phones in phones_by_name.items() if subject.phone not in phones}
    taken = {n.split()[0] for n in others if n}
    return {f for f in candidates if f not in taken}


def find_authored(con: duckdb.DuckDBPyConnection, subject: Subject) -> tuple[list[str], list[tuple]]:
    names = subject.names
    pairs = con.execute("SELECT DISTINCT author, author_phone FROM messages").fetchall()
    matched = []
    for author, author_phone in pairs:
        if author_phone == subject.phone:
            matched.append((author, author_phone))
        elif author_phone is None and author is not None and (
                identity.normalize_name(author) in names or identity.normalize_phone(author) == subject.phone):
            matched.append((author, author_phone))
    if not matched:
        return [], []
    con.execute("CREATE OR REPLACE TEMP TABLE _dsr_authors (author VARCHAR, author_phone VARCHAR)")
    con.executemany("INSERT INTO _dsr_authors VALUES (?, ?)", matched)
    ids = [r[0] for r in con.execute(
        "SELECT m.message_id FROM messages m JOIN _dsr_authors a ON m.author IS NOT DISTINCT FROM a.author "
        "AND m.author_phone IS NOT DISTINCT FROM a.author_phone ORDER BY m.sent_at, m.chat_id, m.line_no").fetchall()]
    con.execute("DROP TABLE _dsr_authors")
    return ids, matched


def mention_spans(body: str, subject: Subject, phone_re: re.Pattern[str], name_res: list[re.Pattern[str]],
                  email_re: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans of the subject's phone, email and names in one body (direct search)."""
    spans: list[tuple[int, int]] = []
    for m in phone_re.finditer(body):
        s, e = m.span()
        # phone_re has no look-arounds (RE2): refuse matches glued to other digits
        if (s > 0 and (body[s - 1].isdigit() or body[s - 1] == "+")) or (e < len(body) and body[e].isdigit()):
            continue
        spans.append((s, e))
    if email_re is not None:
        spans.extend(m.span() for m in email_re.finditer(body))
    if name_res:
        folded, index = identity.mapped_text(body)
        for rx in name_res:
            for m in rx.finditer(folded):
                spans.append((index[m.start()], index[m.end() - 1] + 1))
    return spans


def merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _finding_matches(entity: str, text: str, subject: Subject) -> bool:
    if entity == "PHONE_NUMBER":
        return identity.normalize_phone(text) == subject.phone
    if entity == "EMAIL_ADDRESS":
        return bool(subject.email) and text.strip().lower() == subject.email
    if entity == "PERSON":
        folded = identity.normalize_name(text)
        if folded in subject.first_names:
            return True
        for n in subject.names:
            if folded == n or folded == " ".join(reversed(n.split())):
                return True
    return False


def find_mentions(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, list[tuple[int, int]]]:
    phone_sql = identity.phone_pattern(subject.phone)
    phone_re = re.compile(phone_sql)
    names = sorted(subject.names | subject.first_names)
    name_res = [identity.name_regex(n) for n in names]
    email_re = identity.email_regex(subject.email) if subject.email else None

    # Pre-filter in SQL (phone regex, email substring, all name tokens present), confirm in Python.
    conditions = ["regexp_matches(body, ?)"]
    params: list = [phone_sql]
    if subject.email:
        conditions.append("contains(lower(body), ?)")
        params.append(subject.email)
    for n in names:
        tokens = n.split()
        conditions.append("(" + " AND ".join(["contains(strip_accents(lower(body)), ?)"] * len(tokens)) + ")")
        params.extend(tokens)
    rows = con.execute(f"SELECT message_id, body FROM messages WHERE body IS NOT NULL AND ({' OR '.join(conditions)})",
                       params).fetchall()
    found: dict[str, list[tuple[int, int]]] = {}
    for message_id, body in rows:
        spans = mention_spans(body, subject, phone_re, name_res, email_re)
        if spans:
            found.setdefault(message_id, []).extend(spans)

    if warehouse.table_exists(con, "findings"):
        # PERSON findings are the many: only those holding one of the subject's name tokens are read.
        tokens = sorted({t for n in names for t in n.split()})
        span = 'strip_accents(lower(substring(m.body, f.start + 1, f."end" - f.start)))'
        person = " OR ".join([f"contains({span}, ?)"] * len(tokens)) or "FALSE"
        frows = con.execute(
            'SELECT f.message_id, f.entity_type, f.start, f."end", m.body FROM findings f '
            "JOIN messages m USING (message_id) WHERE (f.entity_type IN ('PHONE_NUMBER', 'EMAIL_ADDRESS') "
            f"OR (f.entity_type = 'PERSON' AND ({person}))) "
            'AND m.body IS NOT NULL AND f."end" <= length(m.body) AND f.start < f."end"', tokens).fetchall()
        for message_id, entity, start, end, body in frows:
            if _finding_matches(entity, body[start:end], subject):
                found.setdefault(message_id, []).append((start, end))
    return {mid: merge(spans) for mid, spans in found.items()}


def find_subject_data(con: duckdb.DuckDBPyConnection, phone: str, name: str | None = None,
                      email: str | None = None,
                      directory: list[identity.DirectoryEntry] | None = None) -> tuple[Subject, SubjectData]:
    subject, ambiguous = resolve_subject(con, phone, name, email, directory)
    authored, matched = find_authored(con, subject)
    data = SubjectData(authored=authored, mentions=find_mentions(con, subject), matched_authors=matched,
                       ambiguous_names=ambiguous, own_chats=own_chat_ids(con, subject))
    if data.own_chats:
        data.conversation = {r[0] for r in con.execute(
            "SELECT message_id FROM messages WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [data.own_chats]).fetchall()}
    return subject, data
