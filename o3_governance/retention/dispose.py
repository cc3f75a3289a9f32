"""Disposal: carry out an approved deletion list, and leave a certificate behind.

``apply_deletion_list(list_id, approved_by, ...)`` re-checks every listed message against the policy
in force on the as-of date (holds, restrictions, rule, due date), then

- ``delete``: removes the message from every store (``purge.apply_changes``);
- ``anonymise``: see ``retention.anonymise``: placeholders for every finding (the whole sentence for a
  special category), the author becomes a role (``<STAFF_MEMBER>`` / ``<EXTERNAL_CONTACT>`` when a
  staff directory is configured, else ``<PARTICIPANT>``), ``author_phone`` and the attachment go
  (a photo cannot be anonymised: its file is removed when nothing else uses it); the row stays, and
  its findings are replaced by findings on the placeholders. It is never anonymised twice
  (``retention_anonymised``); after the scanner re-reads the new text, the message follows whichever
  rule fits it then, and is deleted when that rule's period ends.

The list moves ``awaiting_approval`` → ``executing`` → ``applied``. A crash at any point leaves the
list ``executing``; approving it again resumes the pending purge (or plans it again if it had not
started) and finishes. The certificate (JSON under ``reports/certificates/`` and a row in
``deletion_certificates``) holds counts per action, rule and chat id, what was skipped and why,
counts per store, the list hash, the approver and the times, and never any content.

Access exports the purge removed (they held a disposed or anonymised message) are listed in the
certificate by request id (``access_exports_affected``: messages affected, delivered or not). The
request register belongs to the rights domain, above this one: the shell passes its recorder
(``flag_exports``), which flags an export not yet handed over so that it can be regenerated.

Everything that depends on the run is a parameter: the data folder, the policy, the as-of date, the
clock, the directory entries.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import duckdb

from o3_governance import purge
from o3_governance.storage.layout import DataLayout
from o3_governance.identity.directory import DirectoryEntry
from o3_governance.retention import approvals, decide, queries
from o3_governance.retention.anonymise import Roles, anonymise_text
from o3_governance.retention.policy import Policy
from o3_governance.scanning.categories import body_findings_sql
from o3_governance.storage import audit, warehouse
from o3_governance.vocabulary import (FINDINGS, LIST_APPLIED, LIST_AWAITING_APPROVAL, LIST_EXECUTING,
                                      LIST_SUPERSEDED, SPECIAL_CATEGORY_TYPES, certificate_file)


APPROVERS_SEPARATOR = "; "   # both names of a four-eyes approval, in the order they approved


class DisposalError(RuntimeError):
    """A list that cannot be applied (one line, no content)."""


@dataclass
class DisposalResult:
    list_id: str
    status: str                 # applied / already_applied
    certificate: dict[str, Any]
    certificate_path: Path


class AffectedExport(Protocol):
    request_id: str
    messages: int
    delivered: bool


class ExportsRecorder(Protocol):
    """Flags the access exports a purge removed in the request register (rights.register.record_affected_exports)."""

    def __call__(self, con: duckdb.DuckDBPyConnection, exports_affected: dict[str, int], *, by: str,
                 now: datetime) -> Sequence[AffectedExport]: ...


Clock = Callable[[], datetime]


def purge_id_for(list_id: str) -> str:
    return f"deletion-list-{list_id}"


# ------------------------------------------------------------------------------------------ planning

def _plan(con, policy: Policy, as_of: date, now: datetime, list_id: str,
          directory: Sequence[DirectoryEntry]) -> dict[str, Any]:
    """Which listed messages are still to be deleted / anonymised today, and the new values."""
    decisions = decide.decisions_sql(con, policy, as_of, now, directory=directory, skip_executing=False)
    rows = con.execute(f"""
        SELECT i.message_id, i.chat_id, i.rule, i.action, d.message_id IS NOT NULL AS present,
               d.legal_hold, d.restricted, d.eligible, d.rule AS rule_now, d.action AS action_now
        FROM deletion_list_items i
        LEFT JOIN ({decisions}) d ON d.message_id = i.message_id
        WHERE i.list_id = ? ORDER BY i.message_id""", [list_id]).fetchall()
    skipped: Counter[str] = Counter()
    delete_ids: list[str] = []
    anonymise_ids: list[str] = []
    by_rule: dict[str, Counter] = defaultdict(Counter)
    by_chat: dict[str, Counter] = defaultdict(Counter)
    for mid, chat_id, rule, action, present, hold, restricted, eligible, rule_now, action_now in rows:
        if not present:
            skipped["gone"] += 1
        elif hold is not None:
            skipped["held"] += 1
        elif restricted:
            skipped["restricted"] += 1
        elif not eligible or rule_now != rule or action_now != action:
            skipped["no_longer_due"] += 1
        else:
            (delete_ids if action == "delete" else anonymise_ids).append(mid)
            by_rule[rule][action] += 1
            by_chat[chat_id or "unknown"][action] += 1
    # Items of messages another purge (an erasure, an earlier disposal) removed are swept from
    # deletion_list_items with the message: the list's own count says how many were listed, so the
    # certificate adds up (listed = executed + skipped, of which ``gone`` were removed before).
    listed = con.execute("SELECT item_count FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall()
    listed_count = max(int(listed[0][0]), len(rows)) if listed and listed[0][0] is not None else len(rows)
    skipped["gone"] += listed_count - len(rows)
    updates, new_findings = _anonymisation(con, anonymise_ids, directory)
    return {
        "delete_ids": delete_ids, "updates": updates, "new_findings": new_findings,
        "counts": {
            "listed": listed_count, "delete": len(delete_ids), "anonymise": len(anonymise_ids),
            "skipped": {k: skipped.get(k, 0) for k in ("held", "restricted", "no_longer_due", "gone")},
            "by_rule": {r: dict(c) for r, c in sorted(by_rule.items())},
            "by_chat": {c: dict(n) for c, n in sorted(by_chat.items())},
        },
    }


def _anonymisation(con, ids: list[str], directory: Sequence[DirectoryEntry]
                   ) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    if not ids:
        return {}, {}
    special = frozenset(SPECIAL_CATEGORY_TYPES)
    messages = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, body, author, author_phone FROM messages WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids]).fetchall()}
    spans: dict[str, list] = defaultdict(list)
    if warehouse.table_exists(con, FINDINGS):
        for mid, entity_type, start, end, score in con.execute(
                f'SELECT message_id, entity_type, start, "end", score FROM {FINDINGS} '
                f"WHERE {body_findings_sql(con)} AND message_id IN (SELECT unnest(?::VARCHAR[])) "
                "ORDER BY message_id, start", [ids]).fetchall():
            spans[mid].append((entity_type, start, end, score))
    roles = Roles(directory)
    updates: dict[str, dict] = {}
    new_findings: dict[str, list[dict]] = {}
    for mid in ids:
        body, author, phone = messages[mid]
        text, rows = anonymise_text(body, spans.get(mid, []), special)
        updates[mid] = {"body": text, "author": roles.role(author, phone), "author_phone": None,
                        "attachment": None, "media_sha256": None}
        new_findings[mid] = rows
    return updates, new_findings


# --------------------------------------------------------------------------------------- execution

# The certificate's authenticated_user when the launcher passed none (a run launched from the Dagster UI).
UNAUTHENTICATED = "unauthenticated"


def apply_deletion_list(list_id: str, approved_by: str, *, layout: DataLayout, policy: Policy, as_of: date,
                        clock: Clock, flag_exports: ExportsRecorder,
                        directory: Sequence[DirectoryEntry] = (), run_id: str | None = None,
                        authenticated_user: str | None = None) -> DisposalResult:
    """Carry out an approved list. Re-running after a crash finishes it; re-running after success
    returns the existing certificate.

    The shell loads the policy first (a refused policy stops there: nothing is deleted on its
    account) and passes the as-of date, a clock (timezone-aware; read when the list starts and when
    its certificate is written), the recorder of affected access exports and the directory's entries."""
    layout.ensure()
    approved_by = _approver(approved_by)
    now = _aware(clock())
    pid = purge_id_for(list_id)

    purge_done = purge.completed(layout, pid)
    purge_pending = pid in purge.pending_purges(layout)
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.ensure_schema(con)
        found = con.execute("SELECT status FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall()
        if not found:
            raise DisposalError("no deletion list with this id")
        status = found[0][0]
        if status == LIST_APPLIED:
            cert = json.loads(con.execute(
                "SELECT counts FROM deletion_certificates WHERE list_id = ? AND status = 'complete'",
                [list_id]).fetchall()[0][0])
            return DisposalResult(list_id, "already_applied", cert, _certificate_path(layout, list_id))
        if status == LIST_SUPERSEDED:
            raise DisposalError("this deletion list was superseded by a newer one: approve the current list")
        if status == LIST_AWAITING_APPROVAL:
            other = con.execute("SELECT count(*) FROM deletion_lists WHERE status = ?",
                                [LIST_EXECUTING]).fetchall()[0][0]
            if other:
                raise DisposalError("another deletion list is being applied: approve that one again to finish it")
        elif status != LIST_EXECUTING:
            raise DisposalError(f"deletion list has an unknown status {status!r}")
        if status == LIST_AWAITING_APPROVAL:
            # Four eyes: with approvers_required 2, two different people must have approved the list.
            try:
                names = approvals.approve(con, list_id, approved_by, required=policy.approvers_required, now=now,
                                          run_id=run_id)
            except approvals.ApprovalError as exc:
                raise DisposalError(str(exc)) from None
            if len(names) < policy.approvers_required:
                raise DisposalError(f"approval {len(names)} of {policy.approvers_required} recorded: one more "
                                    f"approver (a different person) is needed before the list is applied")
            approved_by = APPROVERS_SEPARATOR.join(names)

        plan = None
        if purge_done is None and not purge_pending:
            # Nothing has been changed yet (first attempt, or a crash before the purge journal).
            plan = _plan(con, policy, as_of, now, list_id, directory)
            _record_start(con, list_id, approved_by, now, as_of, policy, pid, plan, run_id)

    if plan is not None:
        result = purge.apply_changes(
            layout, delete_ids=set(plan["delete_ids"]), updates=plan["updates"], new_findings=plan["new_findings"],
            run_id=run_id, event="deletion_list_purged", details={"list_id": list_id}, purge_id=pid, now=now)
    else:
        result = purge_done or _resume(layout, pid, now)
    return _finish(layout, list_id, result, run_id, _aware(clock()), flag_exports, authenticated_user)


def _resume(layout: DataLayout, pid: str, now: datetime) -> purge.PurgeResult:
    for r in purge.resume_pending(layout, now=now):
        if r.purge_id == pid:
            return r
    done = purge.completed(layout, pid)
    if done is None:
        raise DisposalError("the purge of this list could not be resumed")
    return done


def _record_start(con, list_id, approved_by, now, as_of, policy, pid, plan, run_id) -> None:
    counts = plan["counts"]
    list_hash = con.execute("SELECT list_hash FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall()[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM deletion_certificates WHERE list_id = ? AND status = 'executing'", [list_id])
        con.execute(
            "INSERT INTO deletion_certificates (list_id, list_hash, status, approved_by, approved_at, started_at, "
            "as_of, policy_sha256, purge_id, counts, run_id) VALUES (?, ?, 'executing', ?, ?, ?, ?, ?, ?, ?, ?)",
            [list_id, list_hash, approved_by, now, now, as_of, policy.sha256, pid, json.dumps(counts, sort_keys=True),
             run_id])
        # Marked now, so that no later night lists them for anonymisation while this list finishes.
        con.execute("DELETE FROM retention_anonymised WHERE list_id = ?", [list_id])
        if plan["updates"]:
            con.execute("INSERT INTO retention_anonymised SELECT unnest(?::VARCHAR[]), ?, ?",
                        [sorted(plan["updates"]), list_id, now])
        con.execute("UPDATE deletion_lists SET status = 'executing', status_changed_at = ?, approved_by = ?, "
                    "approved_at = coalesce(approved_at, ?) WHERE list_id = ?", [now, approved_by, now, list_id])
        audit.append(con, "deletion_list_approved", {"list_id": list_id, "listed": counts["listed"],
                                                     "delete": counts["delete"], "anonymise": counts["anonymise"],
                                                     "skipped": counts["skipped"]}, run_id=run_id, ts=now)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _finish(layout: DataLayout, list_id: str, result: purge.PurgeResult, run_id: str | None, now: datetime,
            flag_exports: ExportsRecorder, authenticated_user: str | None = None) -> DisposalResult:
    with warehouse.open_warehouse(layout.warehouse) as con:
        decide.ensure_schema(con)
        # Idempotent: a crash before the certificate is finished redoes it.
        affected = flag_exports(con, dict(result.exports_affected), by=f"deletion-list:{list_id}", now=now)
        (list_hash, approved_by, approved_at, started_at, as_of, policy_sha, counts_json) = con.execute(
            "SELECT list_hash, approved_by, approved_at, started_at, as_of, policy_sha256, counts "
            "FROM deletion_certificates WHERE list_id = ? ORDER BY started_at DESC LIMIT 1", [list_id]).fetchall()[0]
        counts = json.loads(counts_json)
        cert = {
            "certificate": "deletion",
            "list_id": list_id,
            "list_hash": list_hash,
            "policy_sha256": policy_sha,
            "as_of": as_of.isoformat(),
            "approved_by": approved_by,
            "approvers": approved_by.split(APPROVERS_SEPARATOR),
            # Who launched the run as the system knows them (typed names prove nothing on their own).
            "authenticated_user": authenticated_user or UNAUTHENTICATED,
            "approved_at": approved_at.astimezone(timezone.utc).isoformat(),
            "started_at": started_at.astimezone(timezone.utc).isoformat(),
            "completed_at": now.isoformat(),
            "listed": counts["listed"],
            "executed": {"delete": counts["delete"], "anonymise": counts["anonymise"]},
            "skipped": counts["skipped"],
            "by_rule": counts["by_rule"],
            "by_chat_id": counts["by_chat"],
            "stores": {k: v for k, v in result.counts().items() if k != "purge_id"},
            "purge_id": result.purge_id,
            "access_exports_affected": [{"request_id": a.request_id, "messages": a.messages, "delivered": a.delivered}
                                        for a in affected],
            # The audit chain's head before this certificate's own row: an anchor outside the warehouse.
            "audit": audit.anchor(con, ts=now, run_id=run_id),
        }
        body = json.dumps(cert, indent=2, sort_keys=True)
        sha = hashlib.sha256(body.encode()).hexdigest()
        path = _certificate_path(layout, list_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(body + "\n", encoding="utf-8")
        os.replace(tmp, path)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("UPDATE retention_anonymised SET anonymised_at = ? WHERE list_id = ?", [now, list_id])
            con.execute("UPDATE deletion_certificates SET status = 'complete', completed_at = ?, counts = ?, "
                        "certificate_sha256 = ?, certificate_path = ? WHERE list_id = ? AND status = 'executing'",
                        [now, json.dumps(cert, sort_keys=True), sha, str(path.relative_to(layout.root)), list_id])
            con.execute("UPDATE deletion_lists SET status = ?, status_changed_at = ?, applied_at = ? "
                        "WHERE list_id = ?", [LIST_APPLIED, now, now, list_id])
            audit.append(con, "deletion_certificate", {
                "list_id": list_id, "list_hash": list_hash, "certificate_sha256": sha,
                "deleted": counts["delete"], "anonymised": counts["anonymise"], "skipped": counts["skipped"]},
                run_id=run_id, ts=now)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
        queries.write_certificate_manifest(con, layout)
    return DisposalResult(list_id, "applied", cert, path)


def _certificate_path(layout: DataLayout, list_id: str) -> Path:
    return layout.reports / queries.CERTIFICATES_DIR / certificate_file(list_id)


def _approver(text: str) -> str:
    """The approver's name; empty and placeholder names (``<your name>``) are refused."""
    try:
        return approvals.person_name(text)
    except approvals.ApprovalError as exc:
        raise DisposalError(str(exc)) from None


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("the clock must give timezone-aware times")
    return now
