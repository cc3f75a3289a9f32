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
from pathlib import Path
from typing import Callable

import duckdb

from o3_governance.identity import matching as identity
from o3_governance.identity import names
from o3_governance.identity.matching import Subject
from o3_governance.scanning.categories import body_findings_sql
from o3_governance.storage import warehouse
from o3_governance.storage.layout import DataLayout


@dataclass
class SubjectData:
    authored: list[str] = field(default_factory=list)                     # message ids, time order
    mentions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # message id → merged spans
    matched_authors: list[tuple[str | None, str | None]] = field(default_factory=list)  # (author, author_phone)
    ambiguous_names: int = 0
    own_chats: list[str] = field(default_factory=list)       # chat ids of one-to-one chats named after them
    conversation: set[str] = field(default_factory=set)      # message ids in those chats
    # Attachment names are data too: message id → spans of the subject in ``attachment`` ("Wout.vcf").
    attachment_mentions: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    # Media files that mention them (a contact card with their name or number): message id → sha256.
    media_mentions: dict[str, str] = field(default_factory=dict)
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
        if message_id in self.mentions:
            return "mentioned"
        return "attachment" if message_id in self.media_mentions else "conversation"

    @property
    def authored_set(self) -> set[str]:
        if len(self._authored_set) != len(self.authored):
            self._authored_set = set(self.authored)
        return self._authored_set


def own_chat_ids(con: duckdb.DuckDBPyConnection, subject: Subject) -> list[str]:
    """Chats whose name is the subject's name or number: their one-to-one conversations."""
    out = []
    for chat_id, chat_name in con.execute("SELECT DISTINCT chat_id, chat_name FROM messages").fetchall():
        if chat_name and (subject.is_named(chat_name) or identity.normalize_phone(chat_name) == subject.phone):
            out.append(chat_id)
    return sorted(out)


def resolve_subject(con: duckdb.DuckDBPyConnection, phone: str, name: str | None, email: str | None, *,
                    directory: list[identity.DirectoryEntry]) -> tuple[Subject, int]:
    """The subject with every name known for their phone; returns (subject, ambiguous name count).
    ``directory``: the staff/contact directory's entries (empty without one)."""
    aliases: set[str] = set()
    emails = {email} if email else set()
    phones_by_name: dict[str, set[str]] = {}
    for entry in directory:
        n = identity.normalize_name(entry.name)
        if entry.phone:
            phones_by_name.setdefault(n, set()).add(entry.phone)
        if entry.phone == phone:
            aliases.add(n)
            aliases.update(identity.normalize_name(a) for a in entry.aliases)
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
    others = _other_names(con, subject, phones_by_name)
    subject.first_names = _unique_first_names(subject, others)
    subject.surnames, subject.initialled = _unique_surnames(subject, others)
    return subject, ambiguous


def _other_names(con: duckdb.DuckDBPyConnection, subject: Subject, phones_by_name: dict[str, set[str]]) -> set[str]:
    """Folded names of every other known person: chat authors, directory and mapping entries."""
    own = subject.names
    others: set[str] = set()
    for author, author_phone in con.execute("SELECT DISTINCT author, author_phone FROM messages").fetchall():
        n = identity.normalize_name(author)
        if n and n not in own and author_phone != subject.phone and identity.normalize_phone(n) is None:
            others.add(n)
    others |= {n for n, phones in phones_by_name.items() if subject.phone not in phones and n not in own}
    return others


def _unique_surnames(subject: Subject, others: set[str]) -> tuple[set[str], set[str]]:
    """Surnames the subject alone carries among known people (matched alone), and the names whose
    initial + surname form ("W. Van den Broeck") no one else shares."""
    other_parts = [p for p in (names.split_name(n) for n in others) if p]
    taken_surnames = {p.surname_text for p in other_parts} | {n for n in others if " " not in n}
    taken_initials = {(p.initial, p.surname_text) for p in other_parts}
    surnames: set[str] = set()
    initialled: set[str] = set()
    for n in subject.canonical_names:
        parts = names.split_name(n)
        if parts is None:
            continue
        if parts.surname_text not in taken_surnames and len(parts.surname_text.replace(" ", "")) >= 4:
            surnames.add(parts.surname_text)
        if (parts.initial, parts.surname_text) not in taken_initials:
            initialled.add(n)
    return surnames, initialled


def _unique_first_names(subject: Subject, others: set[str]) -> set[str]:
    candidates = {f for f in (identity.first_name(n) for n in subject.canonical_names) if f}
    taken = {n.split()[0] for n in others if n}
    return {f for f in candidates if f not in taken}


def find_authored(con: duckdb.DuckDBPyConnection, subject: Subject) -> tuple[list[str], list[tuple]]:
    """The subject's own messages: by their phone, their name (when no phone is known), or their Cloud API
    id (``author_id``: the wa_id, which is their number's digits, or a business-scoped user id seen on a
    message that also carried their number) — so a message whose phone WhatsApp withheld is found too."""
    triples = con.execute("SELECT DISTINCT author, author_phone, author_id FROM messages").fetchall()
    their_ids = {subject.phone.lstrip("+")} if subject.phone else set()
    their_ids |= {author_id for _, author_phone, author_id in triples
                  if author_id and subject.phone and author_phone == subject.phone}
    matched = []
    for author, author_phone, author_id in triples:
        if author_phone is not None and author_phone == subject.phone:
            matched.append((author, author_phone, author_id))
        elif author_id is not None and author_id in their_ids:
            matched.append((author, author_phone, author_id))
        elif author_phone is None and author is not None and (   # name-only authors, user-id-only ones too
                subject.is_named(author) or identity.normalize_phone(author) == subject.phone):
            matched.append((author, author_phone, author_id))
    if not matched:
        return [], []
    con.execute("CREATE OR REPLACE TEMP TABLE _dsr_authors (author VARCHAR, author_phone VARCHAR, author_id VARCHAR)")
    con.executemany("INSERT INTO _dsr_authors VALUES (?, ?, ?)", matched)
    ids = [r[0] for r in con.execute(
        "SELECT m.message_id FROM messages m JOIN _dsr_authors a ON m.author IS NOT DISTINCT FROM a.author "
        "AND m.author_phone IS NOT DISTINCT FROM a.author_phone AND m.author_id IS NOT DISTINCT FROM a.author_id "
        "ORDER BY m.sent_at, m.chat_id, m.line_no").fetchall()]
    con.execute("DROP TABLE _dsr_authors")
    return ids, [(author, author_phone) for author, author_phone, _ in matched]


def mention_spans(body: str, subject: Subject, phone_re: re.Pattern[str], name_re: re.Pattern[str] | None,
                  email_re: re.Pattern[str] | None) -> list[tuple[int, int]]:
    """Spans of the subject's phone, email and names (every written form) in one text (direct search)."""
    spans: list[tuple[int, int]] = []
    for m in phone_re.finditer(body):
        s, e = m.span()
        # phone_re has no look-arounds (RE2): refuse matches glued to other digits
        if (s > 0 and (body[s - 1].isdigit() or body[s - 1] == "+")) or (e < len(body) and body[e].isdigit()):
            continue
        spans.append((s, e))
    if email_re is not None:
        spans.extend(m.span() for m in email_re.finditer(body))
    spans.extend(identity.name_spans(body, name_re))
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
        rx = subject.name_pattern()
        return bool(rx and rx.fullmatch(identity.normalize_name(text)))
    return False


class Matcher:
    """The subject's phone, email and names (every written form) compiled once, for many texts."""

    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.phone_sql = identity.phone_pattern(subject.phone)
        self.phone_re = re.compile(self.phone_sql)
        self.name_re = subject.name_pattern()
        self.email_re = identity.email_regex(subject.email) if subject.email else None
        # Words at least one of which every written form of a name holds (for a cheap SQL pre-filter).
        self.tokens = sorted({_key_token(a) for a in subject.canonical_names | subject.first_names
                              | subject.surnames} - {""})

    def spans(self, text: str | None) -> list[tuple[int, int]]:
        if not text:
            return []
        return merge(mention_spans(text, self.subject, self.phone_re, self.name_re, self.email_re))

    def mentions(self, text: str | None) -> bool:
        return bool(self.spans(text))

    def sql_filter(self, column: str) -> tuple[str, list]:
        """SQL condition and parameters: ``column`` may mention the subject (confirmed in Python)."""
        conditions = [f"regexp_matches({column}, ?)"]
        params: list = [self.phone_sql]
        if self.subject.email:
            conditions.append(f"contains(lower({column}), ?)")
            params.append(self.subject.email)
        for t in self.tokens:
            conditions.append(f"contains(strip_accents(lower({column})), ?)")
            params.append(t)
        return "(" + " OR ".join(conditions) + ")", params


def _key_token(name: str) -> str:
    """The last word of a name's surname (or the name's only word): every written form holds it,
    glued or not ("vandenbroeck" holds "broeck")."""
    parts = names.split_name(name)
    if parts is not None:
        return parts.surname[-1]
    words = name.replace(",", " ").split()
    return words[-1] if words else ""


def find_mentions(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, list[tuple[int, int]]]:
    matcher = Matcher(subject)
    condition, params = matcher.sql_filter("body")
    rows = con.execute(f"SELECT message_id, body FROM messages WHERE body IS NOT NULL AND {condition}",
                       params).fetchall()
    found: dict[str, list[tuple[int, int]]] = {}
    for message_id, body in rows:
        spans = matcher.spans(body)
        if spans:
            found.setdefault(message_id, []).extend(spans)

    if warehouse.table_exists(con, "findings"):
        # PERSON findings are the many: only those holding one of the subject's name tokens are read.
        tokens = matcher.tokens
        span = 'strip_accents(lower(substring(m.body, f.start + 1, f."end" - f.start)))'
        person = " OR ".join([f"contains({span}, ?)"] * len(tokens)) or "FALSE"
        frows = con.execute(
            'SELECT f.message_id, f.entity_type, f.start, f."end", m.body FROM findings f '
            f"JOIN messages m USING (message_id) WHERE {body_findings_sql(con, 'f')} "
            "AND (f.entity_type IN ('PHONE_NUMBER', 'EMAIL_ADDRESS') "
            f"OR (f.entity_type = 'PERSON' AND ({person}))) "
            'AND m.body IS NOT NULL AND f."end" <= length(m.body) AND f.start < f."end"', tokens).fetchall()
        for message_id, entity, start, end, body in frows:
            if _finding_matches(entity, body[start:end], subject):
                found.setdefault(message_id, []).append((start, end))
    return {mid: merge(spans) for mid, spans in found.items()}


def find_attachment_mentions(con: duckdb.DuckDBPyConnection, subject: Subject) -> dict[str, list[tuple[int, int]]]:
    """Messages whose attachment name holds the subject's name (any written form), phone or email."""
    matcher = Matcher(subject)
    condition, params = matcher.sql_filter("attachment")
    found: dict[str, list[tuple[int, int]]] = {}
    for message_id, attachment in con.execute(
            f"SELECT message_id, attachment FROM messages WHERE attachment IS NOT NULL AND {condition}",
            params).fetchall():
        spans = matcher.spans(attachment)
        if spans:
            found[message_id] = spans
    return found


def text_mentions(texts: list[str], matcher: Matcher) -> bool:
    """Whether any of ``texts`` (a contact card's fields, a document's text) names the subject: a
    phone field that is their number in any spelling, their email, or their name in any form."""
    for t in texts:
        if identity.normalize_phone(t) == matcher.subject.phone or matcher.mentions(t):
            return True
    return False


def find_media_mentions(con: duckdb.DuckDBPyConnection, layout: DataLayout, subject: Subject,
                        texts_of: Callable[[Path], list[str]]) -> dict[str, str]:
    """Messages whose media file mentions the subject (by what ``texts_of`` reads from it: contact
    cards by their fields; other kinds once attachment scanning supplies a reader): id → sha256."""
    matcher = Matcher(subject)
    shas = [r[0] for r in con.execute(
        "SELECT DISTINCT media_sha256 FROM messages WHERE media_sha256 IS NOT NULL ORDER BY 1").fetchall()]
    mentioning: list[str] = []
    for sha in shas:
        for path in sorted((layout.media / sha[:2]).glob(f"{sha}*")) if len(sha) > 2 else []:
            if text_mentions(texts_of(path), matcher):
                mentioning.append(sha)
                break
    if not mentioning:
        return {}
    return dict(con.execute("SELECT message_id, media_sha256 FROM messages WHERE media_sha256 IN "
                            "(SELECT unnest(?::VARCHAR[]))", [mentioning]).fetchall())


def find_subject_data(con: duckdb.DuckDBPyConnection, phone: str, name: str | None = None,
                      email: str | None = None, *,
                      directory: list[identity.DirectoryEntry]) -> tuple[Subject, SubjectData]:
    subject, ambiguous = resolve_subject(con, phone, name, email, directory=directory)
    authored, matched = find_authored(con, subject)
    data = SubjectData(authored=authored, mentions=find_mentions(con, subject), matched_authors=matched,
                       ambiguous_names=ambiguous, own_chats=own_chat_ids(con, subject),
                       attachment_mentions=find_attachment_mentions(con, subject))
    if data.own_chats:
        data.conversation = {r[0] for r in con.execute(
            "SELECT message_id FROM messages WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [data.own_chats]).fetchall()}
    return subject, data
