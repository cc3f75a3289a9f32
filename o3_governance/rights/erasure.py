"""Erasure (Art. 17): the subject's messages and media leave every store; mentions of them in other
people's messages are replaced by ``[erased]``; earlier access exports for them are deleted; their
identifiers leave the register (and the record of what their exports held). Another person's
access export that held an erased or redacted message is removed by the purge and flagged in the
register when not yet delivered (``access_exports_affected`` in the outcome). Messages under a
legal hold stay (Art. 17(3)(e)) and the answer names the hold and its reason.

The stores (lake, warehouse, media, raw archives, exports) are rewritten by ``o3_governance.purge``,
the one mechanism that deletes or rewrites stored messages; the warehouse file is then compacted so
that no byte of the removed rows remains.

Files and names of files are data: others' attachment names that name the subject are redacted
(the extension stays) and the file goes; media that mention them (contact cards by their fields,
other kinds through ``media_texts``' readers) are removed; registry rows of every status lose the
part of their file name that names them; kept and quarantined copies holding them are removed
(``copies_holding``). The stores are listed once in ``o3_governance.storage.stores``.

A one-to-one chat named after the subject (WhatsApp names such an export after the other person)
is their conversation as a whole: all its messages go, both sides, unless held, and its entries in
the archive registry lose the file and chat name (a chat name cannot be rewritten in place: it is
the lake's partition key).
"""
from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from o3_governance.storage import warehouse
from o3_governance.storage.layout import DataLayout
from o3_governance.identity import vcard
from o3_governance.rights import access, finder, holds as holds_mod, redaction, register
from o3_governance.rights.finder import SubjectData
from o3_governance.storage import stores
from o3_governance.identity.matching import Subject
from o3_governance.scanning.categories import body_findings_sql


@dataclass
class ErasurePlan:
    delete_ids: list[str] = field(default_factory=list)
    updates: dict[str, dict[str, str | None]] = field(default_factory=dict)  # message id → {column: new value}
    held: dict[str, int] = field(default_factory=dict)                 # hold name → messages kept
    held_ids: list[str] = field(default_factory=list)
    holds: list[holds_mod.Hold] = field(default_factory=list)
    new_findings: dict[str, list[dict]] = field(default_factory=dict)  # findings of redacted bodies, moved
    own_chats: list[str] = field(default_factory=list)                 # chat ids of chats named after them
    attachments_renamed: int = 0     # others' attachment names that named the subject
    media_dropped: int = 0           # others' messages whose media file mentions the subject (file removed)


def plan_erasure(con: duckdb.DuckDBPyConnection, subject: Subject, data: SubjectData,
                 holds: list[holds_mod.Hold], today: date) -> ErasurePlan:
    plan = ErasurePlan()
    plan.own_chats = list(data.own_chats)
    in_own_chats = data.conversation
    ids = sorted(data.all_ids | set(data.attachment_mentions) | set(data.media_mentions))
    if not ids:
        return plan
    rows = con.execute("SELECT message_id, body, attachment, media_sha256 FROM messages "
                       "WHERE message_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY message_id", [ids]).fetchall()
    media_of = {r[0]: r[3] for r in rows}
    held = holds_mod.held_messages(con, ids, holds, today, subject)
    authored = set(data.authored)
    used: dict[str, holds_mod.Hold] = {}
    for mid, body, attachment, _media in rows:
        hold = held.get(mid)
        if hold is not None:
            plan.held[hold.name] = plan.held.get(hold.name, 0) + 1
            plan.held_ids.append(mid)
            used[hold.name] = hold
            continue
        if mid in authored or mid in in_own_chats:
            plan.delete_ids.append(mid)
            continue
        update: dict[str, str | None] = {}
        if body is not None and data.mentions.get(mid):
            update["body"] = redaction.replace_spans(body, data.mentions[mid], redaction.ERASED)
        if attachment is not None and data.attachment_mentions.get(mid):
            # The placeholder replaces the personal part; the extension (the kind of file) stays.
            update["attachment"] = redaction.replace_spans(attachment, data.attachment_mentions[mid], redaction.ERASED)
            plan.attachments_renamed += 1
        # A file named after the person (their photo, their card) or whose content names them is theirs.
        if mid in data.media_mentions or (mid in data.attachment_mentions and media_of.get(mid)):
            update["media_sha256"] = None   # the file goes once no message references it (purge)
            plan.media_dropped += 1
        if update:
            plan.updates[mid] = update
    plan.holds = [used[n] for n in sorted(used)]
    plan.new_findings = _moved_findings(con, plan, data)
    return plan


def _moved_findings(con: duckdb.DuckDBPyConnection, plan: ErasurePlan, data: SubjectData) -> dict[str, list[dict]]:
    body_changed = sorted(m for m, cols in plan.updates.items() if "body" in cols)
    if not body_changed or not warehouse.table_exists(con, "findings"):
        return {}
    body = body_findings_sql(con)
    cur = con.execute(f"SELECT *, {body} AS _in_body FROM findings WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
                      [body_changed])
    columns = [d[0] for d in cur.description]
    by_message: dict[str, list[dict]] = {}
    kept: dict[str, list[dict]] = {}   # an attachment's findings: offsets into its text, which the erasure does not touch
    for row in cur.fetchall():
        rec = dict(zip(columns, row))
        (by_message if rec.pop("_in_body") else kept).setdefault(rec.pop("message_id"), []).append(rec)
    moved = {mid: redaction.shift_findings(rows, data.mentions[mid], redaction.ERASED)
             for mid, rows in by_message.items()}
    for mid, rows in kept.items():
        moved.setdefault(mid, []).extend(rows)
    return moved


def delete_earlier_exports(con: duckdb.DuckDBPyConnection, layout: DataLayout, key: str) -> int:
    """Access exports made for this person earlier (found through the keyed hash)."""
    removed = 0
    rids = [r[0] for r in con.execute("SELECT request_id FROM dsr_requests WHERE subject_key = ? AND kind = 'access'",
                                      [key]).fetchall()]
    # What those exports held (ids and offsets) goes too: nothing is left to regenerate them from.
    con.execute("DELETE FROM dsr_export_items WHERE request_id IN (SELECT unnest(?::VARCHAR[]))", [rids])
    for rid in rids:
        for folder in (access.export_dir(layout, rid), layout.exports / f".{rid}.partial"):
            if folder.exists():
                shutil.rmtree(folder)
                removed += 1
    return removed


def forget_subject(con: duckdb.DuckDBPyConnection, subject: Subject, key: str, request_id: str, *,
                   now: datetime) -> dict[str, int]:
    """Remove what the rights domain itself holds about the person: identifiers given with any of
    their requests, rectified mappings, and the author strings kept for their restrictions. Their
    restrictions end (recorded as lifted by the erasure): what they protected is gone or redacted,
    and what a hold keeps is kept by the hold."""
    counts = {"identifier_rows_deleted": register.forget_identifiers(con, key)}
    active = [r[0] for r in con.execute(
        "SELECT restriction_id FROM restrictions WHERE subject_key = ? AND lifted_at IS NULL", [key]).fetchall()]
    for rid in active:
        con.execute("UPDATE restrictions SET lifted_at = ?, lift_request_id = ? WHERE restriction_id = ?",
                    [now, request_id, rid])
        con.execute("DELETE FROM restricted_messages WHERE restriction_id = ?", [rid])
    counts["restrictions_ended"] = len(active)
    if warehouse.table_exists(con, "subject_mappings"):
        n = con.execute("SELECT count(*) FROM subject_mappings WHERE subject_key = ? OR phone = ?",
                        [key, subject.phone]).fetchone()[0]
        con.execute("DELETE FROM subject_mappings WHERE subject_key = ? OR phone = ?", [key, subject.phone])
        counts["mappings_deleted"] = n
    con.execute("DELETE FROM restriction_authors WHERE restriction_id IN "
                "(SELECT restriction_id FROM restrictions WHERE subject_key = ?)", [key])
    return counts


def forget_own_chat_names(con: duckdb.DuckDBPyConnection, chat_ids: list[str]) -> int:
    """The registry rows of archives of the subject's one-to-one chats, once none of their messages
    is left (a hold may keep some), lose the file and chat names that are the subject's name."""
    emptied = [c for c in chat_ids
               if not con.execute("SELECT count(*) FROM messages WHERE chat_id = ?", [c]).fetchone()[0]]
    if not emptied:
        return 0
    n = con.execute("SELECT count(*) FROM archives WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [emptied]).fetchone()[0]
    con.execute("UPDATE archives SET file_name = '[erased]', chat_name = '[erased]' "
                "WHERE chat_id IN (SELECT unnest(?::VARCHAR[]))", [emptied])
    return n


def erase_registry_names(con: duckdb.DuckDBPyConnection, matcher: finder.Matcher) -> int:
    """Registry rows of every status (ingested, partial, duplicate, quarantined) whose file name names
    the subject lose that part ("WhatsApp Chat - [erased].zip"); returns how many rows changed."""
    changed = 0
    for archive_id, file_name in con.execute(
            "SELECT archive_id, file_name FROM archives WHERE file_name IS NOT NULL ORDER BY archive_id").fetchall():
        spans = matcher.spans(file_name)
        if spans:
            con.execute("UPDATE archives SET file_name = ? WHERE archive_id = ?",
                        [redaction.replace_spans(file_name, spans, redaction.ERASED), archive_id])
            changed += 1
    return changed


REASON_SUFFIX = ".reason.txt"   # the note ingest writes beside a quarantined file


def copies_holding(layout: DataLayout, matcher: finder.Matcher) -> list[Path]:
    """Kept and quarantined copies (entries of ``raw/`` and ``quarantine/``: a file, or a folder
    that is one archive) whose bytes hold the subject: name in any written form, phone in any
    spelling, or email — in plain text, file names, and inside zips (members opened)."""
    out: list[Path] = []
    for store in (layout.raw, layout.quarantine):
        if not store.is_dir():
            continue
        for entry in sorted(store.iterdir()):
            if entry.name.endswith(REASON_SUFFIX) or entry.is_symlink():
                continue
            files = [entry] if entry.is_file() else sorted(p for p in entry.rglob("*") if p.is_file() and not p.is_symlink())
            if any(copy_mentions(f, matcher) for f in files):
                out.append(entry)
    return out


def copy_mentions(path: Path, matcher: finder.Matcher) -> bool:
    if matcher.mentions(path.name):
        return True
    try:
        data = path.read_bytes()
    except OSError:
        return False
    return any(finder.text_mentions(texts, matcher) for texts in _texts_in(path.name, data, depth=0))


def _texts_in(name: str, data: bytes, depth: int):
    """Lists of texts a file holds: its decoded bytes; a contact card's fields; a zip's member names
    and members (recursively, a few levels)."""
    yield [_decoded(data)]
    if name.lower().endswith((".vcf", ".vcard")):
        yield [t for card in vcard.read_vcards(data) for t in card.all_texts()]
    if depth < 3 and zipfile.is_zipfile(io.BytesIO(data)):
        for member_name, member in stores.zip_members(data):
            yield [member_name]
            if member is not None:
                yield from _texts_in(member_name, member, depth + 1)


def _decoded(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8", "replace")


def remove_copies(con: duckdb.DuckDBPyConnection, layout: DataLayout, copies: list[Path], *, now: datetime) -> int:
    """Remove kept and quarantined copies (with their reason notes); their registry rows keep the
    sha256 and lose the path, as when a copy expires."""
    root = layout.root.resolve()
    removed = 0
    for entry in copies:
        if root not in entry.resolve().parents:   # never follow a path out of the data folder
            continue
        rel = str(entry.relative_to(layout.root))
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink(missing_ok=True)
        entry.with_name(entry.name + REASON_SUFFIX).unlink(missing_ok=True)
        con.execute("UPDATE archives SET raw_path = NULL, raw_removed_at = ? WHERE raw_path = ? "
                    "OR starts_with(raw_path, ?)", [now, rel, rel + "/"])
        removed += 1
    return removed


def outcome_of(plan: ErasurePlan, purge_result: Any, exports_removed: int, forgot: dict[str, int]) -> dict[str, Any]:
    outcome: dict[str, Any] = {
        "messages_deleted": len(plan.delete_ids),
        "mentions_redacted": len(plan.updates),
        "messages_held": len(plan.held_ids),
        "earlier_exports_deleted": exports_removed,
        "attachment_names_erased": plan.attachments_renamed,
        "media_mentioning_removed": plan.media_dropped,
        **forgot,
    }
    for attr in ("lake_files_rewritten", "lake_files_removed", "media_files_removed", "raw_archives_removed",
                 "exports_removed", "findings_replaced", "compacted"):
        value = getattr(purge_result, attr, None)
        if isinstance(value, (int, bool)):
            outcome[attr] = value
    if plan.holds:
        outcome["holds"] = [dict(holds_mod.summary(h), messages=plan.held[h.name]) for h in plan.holds]
        outcome["legal_basis_for_keeping"] = "GDPR Art. 17(3)(e): establishment, exercise or defence of legal claims"
    return outcome
