"""Access and portability (Art. 15, Art. 20): ``exports/<request id>/`` for the subject.

Contents: ``messages.json`` (a list of objects), ``messages.csv`` (same fields), ``media/`` (the files
the subject sent) and ``manifest.json`` (sha256 and size of every file, counts). The export holds the
messages the subject wrote and the messages that mention them. Other people's personal data is
redacted in the copy (Art. 15(4)): other authors become a numbered role, and their names, phone
numbers, emails (and, in messages others wrote, bank, card, national numbers and places) become
``[redacted]``. The subject's own restriction does not limit their own access.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from o3_governance import warehouse
from o3_governance.config import DataLayout
from o3_governance.rights import identity, redaction
from o3_governance.rights.finder import SubjectData
from o3_governance.rights.identity import Subject
from o3_governance.hashing import sha256_file

FIELDS = ["message_id", "sent_at", "sent_at_utc", "chat_name", "author", "relation", "message_type", "body",
          "attachment", "media_file", "edited", "language", "redactions"]


def export_dir(layout: DataLayout, request_id: str) -> Path:
    return layout.exports / request_id


def media_file(layout: DataLayout, sha: str) -> Path | None:
    folder = layout.media / sha[:2]
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.glob(f"{sha}*")) if p.is_file()), None)


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


def build_export(con: duckdb.DuckDBPyConnection, layout: DataLayout, request_id: str, subject: Subject,
                 data: SubjectData, *, directory: list[identity.DirectoryEntry] | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Write the export and return the outcome summary (counts and the relative path only)."""
    now = now or datetime.now(timezone.utc)
    directory = directory if directory is not None else identity.load_directory()
    ids = sorted(data.all_ids)
    rows = con.execute(
        "SELECT message_id, sent_local, sent_at, chat_name, author, author_phone, message_type, body, attachment, "
        "media_sha256, edited, language FROM messages WHERE message_id IN (SELECT unnest(?::VARCHAR[])) "
        "ORDER BY sent_at, chat_id, line_no, message_id", [ids]).fetchall() if ids else []
    findings = redaction.findings_by_message(con, ids)
    other_names = _known_other_names(con, subject, directory)
    combined = identity.names_regex(other_names)
    other_name_res = [combined] if combined else []
    authored = set(data.authored)

    final = export_dir(layout, request_id)
    staging = layout.exports / f".{request_id}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "media").mkdir(parents=True)

    roles: dict[tuple, str] = {}
    chat_shown: dict[str | None, str | None] = {}
    records: list[dict[str, Any]] = []
    redactions = 0
    media_copied: dict[str, str] = {}
    media_missing = 0
    for (mid, sent_local, sent_at, chat_name, author, author_phone, mtype, body, attachment, media_sha,
         edited, language) in rows:
        by_subject = mid in authored
        own_spans = data.mentions.get(mid, [])
        n_red = 0
        if body:
            spans = redaction.others_spans(body, subject=subject, own_spans=own_spans, by_subject=by_subject,
                                           findings=findings.get(mid, []), other_name_res=other_name_res)
            n_red = len(spans)
            body = redaction.replace_spans(body, spans, redaction.REDACTED)
        if by_subject:
            shown_author = author
        elif author is None:
            shown_author = None  # system line
        else:
            key = (author, author_phone)
            shown_author = roles.setdefault(key, f"Other participant {len(roles) + 1}")
            n_red += 1
        if chat_name not in chat_shown:
            chat_shown[chat_name] = ("[redacted chat name]"  # a one-to-one chat named after someone else
                                     if chat_name and identity.normalize_name(chat_name) in other_names else chat_name)
        shown_chat = chat_shown[chat_name]
        if shown_chat != chat_name:
            n_red += 1
        media_rel = None
        if by_subject and media_sha:
            if media_sha in media_copied:
                media_rel = media_copied[media_sha]
            else:
                src = media_file(layout, media_sha)
                if src is None:
                    media_missing += 1
                else:
                    dest = staging / "media" / f"{media_sha}{src.suffix}"
                    shutil.copyfile(src, dest)
                    media_rel = media_copied[media_sha] = f"media/{dest.name}"
        redactions += n_red
        records.append({
            "message_id": mid,
            "sent_at": sent_local.isoformat() if sent_local else None,
            "sent_at_utc": sent_at.astimezone(timezone.utc).isoformat() if sent_at else None,
            "chat_name": shown_chat,
            "author": shown_author,
            "relation": data.relation(mid),
            "message_type": mtype,
            "body": body,
            "attachment": attachment if by_subject else (None if attachment is None else "[attachment of another participant]"),
            "media_file": media_rel,
            "edited": bool(edited) if edited is not None else None,
            "language": language,
            "redactions": n_red,
        })

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
        "request_id": request_id,
        "generated_at": now.isoformat(),
        "format": "o3-governance access export v1",
        "messages": len(records),
        "messages_written_by_subject": sum(1 for r in records if r["relation"] == "author"),
        "messages_mentioning_subject": sum(1 for r in records if r["relation"] == "mentioned"),
        "messages_in_conversations_with_subject": sum(1 for r in records if r["relation"] == "conversation"),
        "media_files": len(media_copied),
        "redactions": redactions,
        "notes": ("Messages written by the data subject, messages that mention them, and the other side of "
                  "one-to-one chats with them. Other people's "
                  "personal data is redacted (GDPR Art. 15(4)); other authors appear as numbered roles. "
                  "sent_at is the local time written in the chat export; sent_at_utc the same instant in UTC."),
        "files": files,
    }
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return {
        "export_path": final.relative_to(layout.root).as_posix(),
        "messages_exported": len(records),
        "messages_written": manifest["messages_written_by_subject"],
        "messages_mentioning": manifest["messages_mentioning_subject"],
        "messages_in_conversations": manifest["messages_in_conversations_with_subject"],
        "media_files": len(media_copied),
        "media_missing": media_missing,
        "redactions": redactions,
        "files": len(files) + 1,
    }


def verify_manifest(folder: Path) -> list[str]:
    """Files whose sha256 or size no longer match the manifest (empty list: intact)."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    bad = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file() or path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            bad.append(entry["path"])
    return bad
