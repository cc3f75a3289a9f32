"""Carrying out a recorded request: the one entry point the Dagster jobs call (with the request id only)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from o3_governance import config
from o3_governance.storage import warehouse
from o3_governance.config import DataLayout
from o3_governance.rights import access, erasure, finder, holds as holds_mod, rectification, register, restriction


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
    from o3_governance.purge import PurgeError
    from o3_governance.retention.policy import PolicyError
    from o3_governance.identity.matching import InvalidIdentifier

    if isinstance(exc, (register.RequestError, InvalidIdentifier, PolicyError, PurgeError)) and str(exc):
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"[:200]
    return type(exc).__name__


def carry_out(layout: DataLayout, request_id: str, *, run_id: str | None = None, expected_kind: str | None = None,
              log: Callable[[str], None] | None = None) -> Result:
    """Carry out a request from the register. Idempotent: a closed request is reported, not redone.
    ``log`` receives counts and ids only."""
    log = log or (lambda _msg: None)
    layout.ensure()
    con = warehouse.connect(layout.warehouse)
    try:
        register.ensure_schema(con)
        req = register.get_request(con, request_id)
        if expected_kind and req.kind != expected_kind:
            raise register.RequestError(f"request is a {req.kind} request, not {expected_kind}")
        if req.status in register.CLOSED_STATUSES:
            log(f"request {request_id} is already {req.status}; nothing redone")
            return Result(request_id, req.kind, req.status, req.outcome or {}, already_closed=True)
        ids = register.get_identifiers(con, request_id)
        if ids is None:
            register.mark_failed(con, request_id, run_id, "identifiers no longer held; record a new request")
            return Result(request_id, req.kind, "failed", {"error": "identifiers no longer held"})
        register.mark_in_progress(con, request_id, run_id)
    except Exception:
        con.close()
        raise

    if req.kind == "erasure":
        con.close()
        return _erase(layout, req, ids, run_id, log)
    try:
        subject, data = finder.find_subject_data(con, ids.phone, ids.name, ids.email)
        log(f"request {request_id}: {len(data.authored)} messages written, {len(data.mentioned_only)} mentioning")
        keep_identifiers = False
        status = "completed"
        con.execute("BEGIN")
        if req.kind == "access":
            outcome = access.build_export(con, layout, request_id, subject, data)
        elif req.kind == "rectification":
            outcome = rectification.rectify(con, layout, request_id, req.subject_key, ids.phone, ids.name,
                                            ids.new_name, ids.new_phone, data)
        elif req.lift:
            outcome = restriction.lift(con, request_id, req.kind, req.subject_key)
            if not outcome["lifted"]:
                status = "rejected"
                outcome["reason"] = f"no active {req.kind} for this data subject"
        else:
            outcome = restriction.impose(con, request_id, req.kind, req.subject_key, data)
            keep_identifiers = True  # needed to keep restricting their new messages until lifted
        if data.ambiguous_names:
            outcome["name_not_used"] = "the directory gives this name to another phone number only"
        register.close_request(con, request_id, status=status, outcome=outcome, run_id=run_id,
                               keep_identifiers=keep_identifiers)
        con.execute("COMMIT")
        log(f"request {request_id}: {status}")
        return Result(request_id, req.kind, status, outcome)
    except Exception as exc:
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        register.mark_failed(con, request_id, run_id, safe_reason(exc))
        raise
    finally:
        con.close()


def _erase(layout: DataLayout, req: register.Request, ids: register.SubjectIdentifiers, run_id: str | None,
           log: Callable[[str], None]) -> Result:
    request_id = req.request_id
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            subject, data = finder.find_subject_data(con, ids.phone, ids.name, ids.email)
            holds = holds_mod.load_holds(config.policy_file())
            plan = erasure.plan_erasure(con, subject, data, holds, config.as_of())
            exports_removed = erasure.delete_earlier_exports(con, layout, req.subject_key)
        log(f"request {request_id}: {len(plan.delete_ids)} messages to delete, {len(plan.updates)} to redact, "
            f"{len(plan.held_ids)} held")
        purge_result = None
        if plan.delete_ids or plan.updates:
            from o3_governance import purge# the one mechanism that rewrites every store

            purge_result = purge.apply_changes(
                layout, delete_ids=plan.delete_ids, updates=plan.updates, new_findings=plan.new_findings,
                run_id=run_id, event="dsr.erasure", now=datetime.now(timezone.utc),
                details={"request_id": request_id, "subject_key": req.subject_key,
                         "messages_deleted": len(plan.delete_ids), "mentions_redacted": len(plan.updates)})
        with warehouse.open_warehouse(layout.warehouse) as con:
            con.execute("BEGIN")
            forgot = erasure.forget_subject(con, subject, req.subject_key, request_id)
            forgot["archive_names_erased"] = erasure.forget_own_chat_names(con, plan.own_chats)
            if plan.delete_ids:
                con.execute("DELETE FROM restricted_messages WHERE message_id IN (SELECT unnest(?::VARCHAR[]))",
                            [plan.delete_ids])
            outcome = erasure.outcome_of(plan, purge_result, exports_removed, forgot)
            affected = register.record_affected_exports(
                con, getattr(purge_result, "exports_affected", None) or {}, by=f"erasure:{request_id}",
                now=datetime.now(timezone.utc))
            if affected:
                outcome["access_exports_affected"] = [
                    {"request_id": a.request_id, "messages": a.messages, "delivered": a.delivered} for a in affected]
            if data.ambiguous_names:
                outcome["name_not_used"] = "the directory gives this name to another phone number only"
            register.close_request(con, request_id, status="completed", outcome=outcome, run_id=run_id)
            con.execute("COMMIT")
        # The register rows with the identifiers were just deleted: scrub their bytes from the file.
        warehouse.compact(layout.warehouse)
        log(f"request {request_id}: completed")
        return Result(request_id, req.kind, "completed", outcome)
    except Exception as exc:
        with warehouse.open_warehouse(layout.warehouse) as con:
            register.mark_failed(con, request_id, run_id, safe_reason(exc))
        raise


def regenerate(layout: DataLayout, request_id: str, *, now: datetime, run_id: str | None = None,
               log: Callable[[str], None] | None = None) -> Result:
    """Rebuild the export of a completed access request from what the warehouse holds now (see
    ``access.regenerate_export``); audited, clears the register's export-affected flag.
    ``log`` receives counts and ids only."""
    log = log or (lambda _msg: None)
    layout.ensure()
    with warehouse.open_warehouse(layout.warehouse) as con:
        req = register.check_regenerable(con, request_id)
        con.execute("BEGIN")
        try:
            outcome = access.regenerate_export(con, layout, request_id,
                                               first_export_messages=(req.outcome or {}).get("messages_exported"),
                                               now=now)
            register.record_regenerated(con, request_id, outcome, run_id=run_id, now=now)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    log(f"request {request_id}: export regenerated, {outcome['messages_exported']} messages, "
        f"{outcome['messages_no_longer_held']} no longer held")
    return Result(request_id, req.kind, "completed", outcome)
