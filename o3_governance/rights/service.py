"""Carrying out a recorded request: the one entry point the Dagster jobs call (with the request id only).

Everything that comes from the settings or the clock is handed over by the shell (the Dagster op, a
test): ``now`` (the run's time), ``as_of`` (the date legal holds are judged on), the policy file, the
directory file and the configured ``O3_SUBJECT_KEY`` (``None``: the key file in the data folder)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from o3_governance import purge
from o3_governance.storage.layout import DataLayout
from o3_governance.errors import one_line
from o3_governance.identity import matching as identity
from o3_governance.identity.matching import InvalidIdentifier
from o3_governance.retention.policy import PolicyError
from o3_governance.rights import (access, erasure, finder, holds as holds_mod, media_texts, rectification, register,
                                  restriction)
from o3_governance.storage import warehouse
from o3_governance.vocabulary import REQUEST_CLOSED_STATUSES

# Exceptions of the layers below whose texts are written to hold no content (shown in full).
TRUSTED_ERRORS: tuple[type[BaseException], ...] = (InvalidIdentifier, PolicyError, purge.PurgeError)


@dataclass
class Result:
    request_id: str
    kind: str
    status: str               # completed / rejected / failed
    outcome: dict[str, Any]
    already_closed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "completed"


def safe_reason(exc: BaseException) -> str:
    """One line for the register, logs and run events: our own exceptions' texts (written to hold no
    content), and only the type for anything else (a library's message could quote a value)."""
    return one_line(exc, trusted=TRUSTED_ERRORS)


def load_directory(directory_file: Path | None) -> list[identity.DirectoryEntry]:
    """The staff/contact directory's entries (none without a directory file)."""
    return identity.load_directory(directory_file) if directory_file is not None else []


def carry_out(layout: DataLayout, request_id: str, *, now: datetime, as_of: date, policy_file: Path,
              directory_file: Path | None, subject_key: str | None, run_id: str | None = None,
              expected_kind: str | None = None, log: Callable[[str], None] | None = None) -> Result:
    """Carry out a request from the register. Idempotent: a closed request is reported, not redone.
    ``log`` receives counts and ids only."""
    log = log or (lambda _msg: None)
    layout.ensure()
    secret = register.secret_key(layout, subject_key)
    con = warehouse.connect(layout.warehouse)
    try:
        register.ensure_schema(con)
        req = register.get_request(con, request_id)
        if expected_kind and req.kind != expected_kind:
            raise register.RequestError(f"request is a {req.kind} request, not {expected_kind}")
        if req.status in REQUEST_CLOSED_STATUSES:
            log(f"request {request_id} is already {req.status}; nothing redone")
            return Result(request_id, req.kind, req.status, req.outcome or {}, already_closed=True)
        ids = register.get_identifiers(con, request_id)
        if ids is None:
            register.mark_failed(con, request_id, run_id, "identifiers no longer held; record a new request",
                                 now=now)
            return Result(request_id, req.kind, "failed", {"error": "identifiers no longer held"})
        register.mark_in_progress(con, request_id, run_id)
    except Exception:
        con.close()
        raise

    if req.kind == "erasure":
        con.close()
        return _erase(layout, req, ids, run_id, log, now=now, as_of=as_of, policy_file=policy_file,
                      directory_file=directory_file)
    try:
        directory = load_directory(directory_file)
        subject, data = finder.find_subject_data(con, ids.phone, ids.name, ids.email, directory=directory)
        log(f"request {request_id}: {len(data.authored)} messages written, {len(data.mentioned_only)} mentioning")
        keep_identifiers = False
        status = "completed"
        con.execute("BEGIN")
        if req.kind == "access":
            # Files whose content names them (a document, a photo of paper, a contact card) are theirs too.
            data.media_mentions = finder.find_media_mentions(con, layout, subject, media_texts.texts_of_media)
            outcome = access.build_export(con, layout, request_id, subject, data, secret=secret,
                                          directory=directory, now=now)
        elif req.kind == "rectification":
            outcome = rectification.rectify(con, secret, request_id, req.subject_key, ids.phone, ids.name,
                                            ids.new_name, ids.new_phone, data, now=now)
        elif req.lift:
            outcome = restriction.lift(con, request_id, req.kind, req.subject_key, now=now)
            if not outcome["lifted"]:
                status = "rejected"
                outcome["reason"] = f"no active {req.kind} for this data subject"
        else:
            outcome = restriction.impose(con, request_id, req.kind, req.subject_key, data, now=now)
            keep_identifiers = True  # needed to keep restricting their new messages until lifted
        if data.ambiguous_names:
            outcome["name_not_used"] = "the directory gives this name to another phone number only"
        register.close_request(con, request_id, status=status, outcome=outcome, run_id=run_id, now=now,
                               keep_identifiers=keep_identifiers)
        con.execute("COMMIT")
        log(f"request {request_id}: {status}")
        return Result(request_id, req.kind, status, outcome)
    except Exception as exc:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        register.mark_failed(con, request_id, run_id, safe_reason(exc), now=now)
        raise
    finally:
        con.close()


def _erase(layout: DataLayout, req: register.Request, ids: register.SubjectIdentifiers, run_id: str | None,
           log: Callable[[str], None], *, now: datetime, as_of: date, policy_file: Path,
           directory_file: Path | None) -> Result:
    request_id = req.request_id
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            subject, data = finder.find_subject_data(con, ids.phone, ids.name, ids.email,
                                                     directory=load_directory(directory_file))
            data.media_mentions = finder.find_media_mentions(con, layout, subject, media_texts.texts_of_media)
            holds = holds_mod.load_holds(policy_file)
            plan = erasure.plan_erasure(con, subject, data, holds, as_of)
            exports_removed = erasure.delete_earlier_exports(con, layout, req.subject_key)
        log(f"request {request_id}: {len(plan.delete_ids)} messages to delete, {len(plan.updates)} to redact, "
            f"{len(plan.held_ids)} held")
        purge_result = None
        if plan.delete_ids or plan.updates:  # purge: the one mechanism that rewrites every store
            purge_result = purge.apply_changes(
                layout, delete_ids=plan.delete_ids, updates=plan.updates, new_findings=plan.new_findings,
                run_id=run_id, event="dsr.erasure", now=now,
                details={"request_id": request_id, "subject_key": req.subject_key,
                         "messages_deleted": len(plan.delete_ids), "mentions_redacted": len(plan.updates)})
        with warehouse.open_warehouse(layout.warehouse) as con:
            con.execute("BEGIN")
            forgot = erasure.forget_subject(con, subject, req.subject_key, request_id, now=now)
            forgot["archive_names_erased"] = erasure.forget_own_chat_names(con, plan.own_chats)
            # Copies and registry names are the person's data as a whole: a hold on the person keeps them.
            if not any(holds_mod.names_subject(h, subject) for h in plan.holds):
                matcher = finder.Matcher(subject)
                forgot["registry_file_names_erased"] = erasure.erase_registry_names(con, matcher)
                forgot["kept_copies_removed"] = erasure.remove_copies(
                    con, layout, erasure.copies_holding(layout, matcher), now=now)
            if plan.delete_ids:
                con.execute("DELETE FROM restricted_messages WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
                            [plan.delete_ids])
            outcome = erasure.outcome_of(plan, purge_result, exports_removed, forgot)
            affected = register.record_affected_exports(
                con, getattr(purge_result, "exports_affected", None) or {}, by=f"erasure:{request_id}",
                now=now)
            if affected:
                outcome["access_exports_affected"] = [
                    {"request_id": a.request_id, "messages": a.messages, "delivered": a.delivered} for a in affected]
            if data.ambiguous_names:
                outcome["name_not_used"] = "the directory gives this name to another phone number only"
            register.close_request(con, request_id, status="completed", outcome=outcome, run_id=run_id, now=now)
            con.execute("COMMIT")
        # The register rows with the identifiers were just deleted: scrub their bytes from the file.
        warehouse.compact(layout.warehouse)
        log(f"request {request_id}: completed")
        return Result(request_id, req.kind, "completed", outcome)
    except Exception as exc:
        with warehouse.open_warehouse(layout.warehouse) as con:
            register.mark_failed(con, request_id, run_id, safe_reason(exc), now=now)
        raise


def regenerate(layout: DataLayout, request_id: str, *, now: datetime, directory_file: Path | None,
               subject_key: str | None, run_id: str | None = None,
               log: Callable[[str], None] | None = None) -> Result:
    """Rebuild the export of a completed access request from what the warehouse holds now (see
    ``access.regenerate_export``); audited, clears the register's export-affected flag.
    ``log`` receives counts and ids only."""
    log = log or (lambda _msg: None)
    layout.ensure()
    secret = register.secret_key(layout, subject_key)
    with warehouse.open_warehouse(layout.warehouse) as con:
        req = register.check_regenerable(con, request_id)
        con.execute("BEGIN")
        try:
            outcome = access.regenerate_export(con, layout, request_id,
                                               first_export_messages=(req.outcome or {}).get("messages_exported"),
                                               secret=secret, directory=load_directory(directory_file), now=now)
            register.record_regenerated(con, request_id, outcome, run_id=run_id, now=now)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    log(f"request {request_id}: export regenerated, {outcome['messages_exported']} messages, "
        f"{outcome['messages_no_longer_held']} no longer held")
    return Result(request_id, req.kind, "completed", outcome)
