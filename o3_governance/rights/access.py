"""Access and portability (Art. 15, Art. 20): ``exports/<request id>/`` for the subject.

Contents: ``messages.json`` (a list of objects), ``messages.csv`` (same fields), ``media/`` (the files
the subject sent) and ``manifest.json`` (sha256 and size of every file, counts). The export holds the
messages the subject wrote and the messages that mention them. Other people's personal data is
redacted in the copy (Art. 15(4)): other authors become a numbered role, and their names, phone
numbers, emails (and, in messages others wrote, bank, card, national numbers and places) become
``[redacted]``. The subject's own restriction does not limit their own access.

What the export holds is recorded in ``dsr_export_items`` (ids, relation, redaction offsets and a keyed
hash of each body; never text), so that ``regenerate_export`` can rebuild it from what the warehouse
holds now, after the subject's identifiers have left the register: messages disposed of or erased
since are left out (the purge removes their items), unchanged bodies get the same redaction, and
bodies changed since (anonymised, or a mention erased) are redacted afresh from the warehouse.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from o3_governance.storage.layout import DataLayout
from o3_governance.identity import matching as identity
from o3_governance.identity.matching import Subject
from o3_governance.rights import redaction
from o3_governance.rights.finder import SubjectData
from o3_governance.rights.register import ensure_schema
from o3_governance.storage import warehouse
from o3_governance.storage.hashing import sha256_file

FIELDS = ["message_id", "sent_at", "sent_at_utc", "chat_name", "author", "relation", "message_type", "body",
          "attachment", "media_file", "edited", "language", "redactions"]


def export_dir(layout: DataLayout, request_id: str) -> Path:
    return layout.exports / request_id


def _known_other_names(con: duckdb.DuckDBPyConnection, subject: Subject,
                       directory: list[identity.DirectoryEntry]) -> set[str]:
    names = {identity.normalize_name(a) for (a,) in con.execute(
        "SELECT DISTINCT author FROM messages WHERE author IS NOT NULL").fetchall()}
    names |= {identity.normalize_name(e.name) for e in directory}
    if warehouse.table_exists(con, "subject_mappings"):
        names |= {identity.normalize_name(n) for (n,) in con.execute(
            "SELECT DISTINCT name FROM subject_mappings WHERE name IS NOT NULL").fetchall()}
    own = subject.names
    # A bare phone number as an author is covered by the phone redaction; short tokens are too ambiguous.
    full = {n for n in names if n and n not in own and identity.normalize_phone(n) is None and len(n) >= 3}
    # Other people's first names alone too ("Bel Geert…"), unless the subject has the same one.
    own_first = {n.split()[0] for n in own if n}
    firsts = {f for f in (identity.first_name(n) for n in full) if f and f not in own_first}
    return full | firsts


def body_key(secret: bytes, body: str | None) -> str | None:
    """Keyed hash of a body: tells whether the offsets stored for it still apply (no text stored).
    ``secret``: the key of the keyed hashes (:func:`o3_governance.rights.register.secret_key`)."""
    if body is None:
        return None
    return hmac.new(secret, b"o3-export-body\x1f" + body.encode("utf-8"), hashlib.sha256).hexdigest()


def _shown_chat(chat_name: str | None, other_names: set[str]) -> str | None:
    # a one-to-one chat named after someone else
    if chat_name and identity.normalize_name(chat_name) in other_names:
        return "[redacted chat name]"
    return chat_name


class _Writer:
    """Builds the records, copies the subject's media into a staging folder, then swaps it in."""

    def __init__(self, layout: DataLayout, request_id: str) -> None:
        self.layout, self.request_id = layout, request_id
        self.staging = layout.exports / f".{request_id}.partial"
        if self.staging.exists():
            shutil.rmtree(self.staging)
        (self.staging / "media").mkdir(parents=True)
        self.roles: dict[tuple, str] = {}
        self.records: list[dict[str, Any]] = []
        self.redactions = 0
        self.media_copied: dict[str, str] = {}
        self.media_missing = 0

    def add(self, row: tuple, *, relation: str, body: str | None, n_red: int, shown_chat: str | None,
            role: str | None = None, file_about_subject: bool = False) -> str | None:
        """Adds one record; returns the role shown for another author (None for the subject's own)."""
        (mid, sent_local, sent_at, chat_name, author, author_phone, mtype, _body, attachment, media_sha,
         edited, language) = row
        by_subject = relation == "author"
        if by_subject:
            shown_author = author
        elif author is None:
            shown_author = None  # system line
        else:
            shown_author = role or self.roles.setdefault((author, author_phone),
                                                         f"Other participant {len(self.roles) + 1}")
            n_red += 1
        if shown_chat != chat_name:
            n_red += 1
        media_rel = None
        if (by_subject or file_about_subject) and media_sha:
            if media_sha in self.media_copied:
                media_rel = self.media_copied[media_sha]
            else:
                src = self.layout.media_file(media_sha)
                if src is None:
                    self.media_missing += 1
                else:
                    dest = self.staging / "media" / f"{media_sha}{src.suffix}"
                    shutil.copyfile(src, dest)
                    media_rel = self.media_copied[media_sha] = f"media/{dest.name}"
        self.redactions += n_red
        self.records.append({
            "message_id": mid,
            "sent_at": sent_local.isoformat() if sent_local else None,
            "sent_at_utc": sent_at.astimezone(timezone.utc).isoformat() if sent_at else None,
            "chat_name": shown_chat,
            "author": shown_author,
            "relation": relation,
            "message_type": mtype,
            "body": body,
            "attachment": attachment if by_subject else (None if attachment is None else "[attachment of another participant]"),
            "media_file": media_rel,
            "edited": bool(edited) if edited is not None else None,
            "language": language,
            "redactions": n_red,
        })
        return shown_author if not by_subject else None

    def finish(self, now: datetime, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        staging, records = self.staging, self.records
        (staging / "messages.json").write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
        with (staging / "messages.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            for rec in records:
                writer.writerow({k: ("" if rec[k] is None else rec[k]) for k in FIELDS})

        files = []
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            files.append({"path": path.relative_to(staging).as_posix(), "sha256": sha256_file(path),
                          "bytes": path.stat().st_size})
        manifest = {
            "request_id": self.request_id,
            "generated_at": now.isoformat(),
            "format": "o3-governance access export v1",
            "messages": len(records),
            "messages_written_by_subject": sum(1 for r in records if r["relation"] == "author"),
            "messages_mentioning_subject": sum(1 for r in records if r["relation"] == "mentioned"),
            "messages_in_conversations_with_subject": sum(1 for r in records if r["relation"] == "conversation"),
            "media_files": len(self.media_copied),
            "redactions": self.redactions,
            **(extra or {}),
            "notes": ("Messages written by the data subject, messages that mention them, and the other side of "
                      "one-to-one chats with them. Other people's "
                      "personal data is redacted (GDPR Art. 15(4)); other authors appear as numbered roles. "
                      "sent_at is the local time written in the chat export; sent_at_utc the same instant in UTC."),
            "files": files,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

        final = export_dir(self.layout, self.request_id)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
        return {
            "export_path": final.relative_to(self.layout.root).as_posix(),
            "messages_exported": len(records),
            "messages_written": manifest["messages_written_by_subject"],
            "messages_mentioning": manifest["messages_mentioning_subject"],
            "messages_in_conversations": manifest["messages_in_conversations_with_subject"],
            "media_files": len(self.media_copied),
            "media_missing": self.media_missing,
            "redactions": self.redactions,
            "files": len(files) + 1,
        }


_ROW_SQL = ("SELECT message_id, sent_local, sent_at, chat_name, author, author_phone, message_type, body, attachment, "
            "media_sha256, edited, language FROM messages WHERE message_id IN (SELECT unnest(?::VARCHAR[])) "
            "ORDER BY sent_at, chat_id, line_no, message_id")


def build_export(con: duckdb.DuckDBPyConnection, layout: DataLayout, request_id: str, subject: Subject,
                 data: SubjectData, *, secret: bytes, directory: list[identity.DirectoryEntry],
                 now: datetime) -> dict[str, Any]:
    """Write the export, record what it holds (``dsr_export_items``), and return the outcome summary
    (counts and the relative path only). ``secret`` keys the body hashes; ``directory``: the
    staff/contact directory's entries (empty without one)."""
    ids = sorted(data.all_ids | set(data.media_mentions))
    rows = con.execute(_ROW_SQL, [ids]).fetchall() if ids else []
    findings = redaction.findings_by_message(con, ids)
    other_names = _known_other_names(con, subject, directory)
    combined = identity.names_regex(other_names)
    other_name_res = [combined] if combined else []
    authored = set(data.authored)

    writer = _Writer(layout, request_id)
    chat_shown: dict[str | None, str | None] = {}
    items: list[list[Any]] = []
    for row in rows:
        mid, body = row[0], row[7]
        by_subject = mid in authored
        own_spans = data.mentions.get(mid, [])
        spans: list[tuple[int, int]] = []
        shown_body = body
        if body:
            spans = redaction.others_spans(body, subject=subject, own_spans=own_spans, by_subject=by_subject,
                                           findings=findings.get(mid, []), other_name_res=other_name_res)
            shown_body = redaction.replace_spans(body, spans, redaction.REDACTED)
        chat_name = row[3]
        if chat_name not in chat_shown:
            chat_shown[chat_name] = _shown_chat(chat_name, other_names)
        relation = data.relation(mid)
        role = writer.add(row, relation=relation, body=shown_body, n_red=len(spans), shown_chat=chat_shown[chat_name],
                          file_about_subject=mid in data.media_mentions)
        items.append([request_id, mid, relation, json.dumps([list(s) for s in spans]),
                      json.dumps([list(s) for s in own_spans]), body_key(secret, body),
                      chat_shown[chat_name] != chat_name, role])
    outcome = writer.finish(now)
    ensure_schema(con)
    con.execute("DELETE FROM dsr_export_items WHERE request_id = ?", [request_id])
    if items:
        con.executemany("INSERT INTO dsr_export_items (request_id, message_id, relation, redactions, own_spans, "
                        "body_key, chat_redacted, author_role) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", items)
    return outcome


def regenerate_export(con: duckdb.DuckDBPyConnection, layout: DataLayout, request_id: str, *,
                      first_export_messages: int | None, secret: bytes,
                      directory: list[identity.DirectoryEntry], now: datetime) -> dict[str, Any]:
    """Rebuild ``exports/<request id>/`` from ``dsr_export_items`` and what the warehouse holds now.

    Unchanged bodies get the redaction recorded at the first export. A body changed since (anonymised
    by a disposal, a mention erased) is redacted afresh: the subject is then known only by the author
    fields and phones of their own messages, so other people's data is redacted as in a first export,
    and the subject's own mentions in it may be redacted too (never the other way round)."""
    items = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, relation, redactions, own_spans, body_key, chat_redacted, author_role FROM dsr_export_items "
        "WHERE request_id = ?", [request_id]).fetchall()}
    rows = con.execute(_ROW_SQL, [sorted(items)]).fetchall() if items else []
    own_rows = [r for r in rows if items[r[0]][0] == "author"]
    own_phones = sorted({r[5] for r in own_rows if r[5]})
    subject = Subject(phone=own_phones[0] if own_phones else "",
                      aliases={n for n in (identity.normalize_name(r[4]) for r in own_rows) if n})
    other_names = _known_other_names(con, subject, directory)
    combined = identity.names_regex(other_names)
    other_name_res = [combined] if combined else []
    changed_ids = [r[0] for r in rows if r[7] is not None and body_key(secret, r[7]) != items[r[0]][3]]
    findings = redaction.findings_by_message(con, changed_ids)

    writer = _Writer(layout, request_id)
    changed = 0
    for row in rows:
        mid, chat_name, body = row[0], row[3], row[7]
        relation, stored_spans, _own_spans, key, chat_redacted, role = items[mid]
        spans: list[tuple[int, int]] = []
        if body:
            if body_key(secret, body) == key:
                spans = [tuple(s) for s in json.loads(stored_spans or "[]")]
            else:
                changed += 1
                spans = redaction.others_spans(body, subject=subject, own_spans=[], by_subject=relation == "author",
                                               findings=findings.get(mid, []), other_name_res=other_name_res)
                for s, e, e164 in identity.phone_spans(body):
                    if e164 not in own_phones:
                        spans.append((s, e))
                spans = redaction.merge(spans)
            body = redaction.replace_spans(body, spans, redaction.REDACTED)
        shown_chat = "[redacted chat name]" if chat_redacted else chat_name
        writer.add(row, relation=relation, body=body, n_red=len(spans), shown_chat=shown_chat, role=role,
                   file_about_subject=relation == "attachment")
    left_out = max(0, (first_export_messages or 0) - len(rows))
    outcome = writer.finish(now, extra={"regenerated": True, "messages_no_longer_held": left_out,
                                        "messages_redacted_afresh": changed})
    outcome.update({"messages_no_longer_held": left_out, "messages_redacted_afresh": changed})
    return outcome


def verify_manifest(folder: Path) -> list[str]:
    """Files whose sha256 or size no longer match the manifest (empty list: intact)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file() or path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            bad.append(entry["path"])
    return bad
