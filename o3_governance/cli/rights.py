"""``o3-governance request KIND …`` (record a data-subject request and run it as a Dagster run on the
instance in DAGSTER_HOME), ``request access --request-id ID --regenerate`` (rebuild a completed access
export, also a Dagster run), ``request delivered --request-id ID`` (the export was handed over) and
``o3-governance requests`` (the register, without identifiers)."""
from __future__ import annotations

import sys
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING


from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.storage.layout import DataLayout
from o3_governance.storage.locking import WarehouseBusy
from o3_governance.vocabulary import BRUSSELS, REQUEST_KINDS, REQUEST_LIFTABLE_KINDS, REQUEST_OPEN_STATUSES

if TYPE_CHECKING:
    from o3_governance.rights import register as reg

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_REJECTED = 0, 1, 2, 3


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "request", help="record and carry out a data-subject request (runs on the Dagster instance)",
        description="Records the request in the register (identifiers stay there), then runs the matching "
                    "Dagster job with the request id only. Exit 0 when carried out as far as the law and "
                    "the policy allow (data kept under a legal hold is reported, not an error).")
    p.add_argument("kind", choices=(*REQUEST_KINDS, "delivered"),
                   help="the kind of request; 'delivered' records that an access export was handed over")
    p.add_argument("--request-id", required=True, help="your reference for the request (no personal data)")
    p.add_argument("--subject-phone", help="the person's phone number, any usual spelling (required for a new request)")
    p.add_argument("--subject-name", help="the person's name as chats may show it")
    p.add_argument("--subject-email", help="the person's email address")
    p.add_argument("--new-name", help="rectification: the corrected name")
    p.add_argument("--new-phone", help="rectification: the corrected phone number")
    p.add_argument("--lift", action="store_true", help="restriction/objection: lift it (recorded)")
    p.add_argument("--regenerate", action="store_true",
                   help="access: rebuild the export of this completed request from what the warehouse holds now")
    p.add_argument("--delivered-by", help="delivered: who handed the export over (kept in the register only)")
    p.add_argument("--received-on", type=date.fromisoformat,
                   help="date the request reached the company (default: today); the one-month deadline runs from it")
    p.set_defaults(handler=run_request)

    q = subparsers.add_parser("requests", help="list the data-subject request register (no identifiers)")
    q.set_defaults(handler=list_requests)


def _today(s: settings.Settings, now: datetime) -> date:
    """``O3_AS_OF`` or today in Brussels: the default date of receipt, and the day deadlines are judged on."""
    return s.as_of or now.astimezone(BRUSSELS).date()


def _validated(args) -> dict:
    from o3_governance.identity import matching as identity
    phone = identity.require_phone(args.subject_phone)
    email = identity.normalize_email(args.subject_email)
    new_phone = None
    if args.new_phone:
        new_phone = identity.normalize_phone(args.new_phone)
        if new_phone is None:
            raise identity.InvalidIdentifier("--new-phone is not a phone number")
    name = args.subject_name.strip() if args.subject_name and args.subject_name.strip() else None
    new_name = args.new_name.strip() if args.new_name and args.new_name.strip() else None
    return {"phone": phone, "email": email, "name": name, "new_name": new_name, "new_phone": new_phone}


def run_request(args) -> int:
    from o3_governance.identity import matching as identity
    from o3_governance.rights import register as reg
    from o3_governance.storage import warehouse
    if args.kind == "delivered":
        return mark_delivered(args)
    if args.regenerate:
        return regenerate(args)
    if not args.subject_phone:
        print("o3-governance request: --subject-phone is required", file=sys.stderr)
        return EXIT_BAD_INPUT
    s = settings.load()
    now = datetime.now(timezone.utc)
    layout = DataLayout(s.data_dir).ensure()
    try:
        values = _validated(args)
        secret = reg.secret_key(layout, s.subject_key)
        with warehouse.open_warehouse(layout.warehouse) as con:
            reg.ensure_schema(con)
            if reg.can_retry(con, secret, args.request_id, args.kind, values["phone"]):
                print(f"request {args.request_id} is recorded and still open: running it again", file=sys.stderr)
            else:
                reg.record_request(con, secret, request_id=args.request_id, kind=args.kind, lift=args.lift,
                                   received_on=args.received_on or _today(s, now), now=now, **values)
    except (identity.InvalidIdentifier, reg.RequestError) as exc:
        print(f"o3-governance request: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WarehouseBusy as exc:
        return _busy(exc)
    run_id, success = launch(args.kind, args.request_id, layout)
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        req = reg.get_request(con, args.request_id)
    print(format_result(req, run_id, layout))
    if req.status == "completed" and success:
        return EXIT_OK
    if req.status == "rejected":
        print(f"o3-governance request: {args.kind} not carried out: {(req.outcome or {}).get('reason', 'rejected')}",
              file=sys.stderr)
        return EXIT_REJECTED
    print(f"o3-governance request: {args.kind} failed (see run {run_id} in the Dagster UI)", file=sys.stderr)
    return EXIT_FAILED


def launch(kind: str, request_id: str, layout: DataLayout) -> tuple[str, bool]:
    """Run the request's job on the instance in DAGSTER_HOME, so it shows in the UI like any other run."""
    # Dagster takes about a second to import: only when a job is launched, not for every command.
    from o3_governance.cli import launcher
    from o3_governance.defs.rights import jobs as rights_defs

    # The run's events are stored on the instance as usual; only the console echo is quietened.
    run_config = {**rights_defs.run_config(kind, request_id),
                  "loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = launcher.execute_exclusively(  # holds the writer lock; fails runs a killed process left behind
        rights_defs.DSR_JOBS[kind].name, layout, run_config=run_config, raise_on_error=False,
        tags={rights_defs.DSR_TAG: request_id})
    return result.run_id, result.success


def _only(args, allowed: set[str]) -> str | None:
    """The first option given that does not apply to this use of ``request``."""
    for name in ("subject_phone", "subject_name", "subject_email", "new_name", "new_phone", "lift", "received_on",
                 "regenerate", "delivered_by"):
        if name not in allowed and getattr(args, name):
            return "--" + name.replace("_", "-")
    return None


def mark_delivered(args) -> int:
    """``request delivered --request-id ID [--delivered-by NAME]``: the access export was handed over."""
    from o3_governance.rights import register as reg
    from o3_governance.storage import warehouse
    extra = _only(args, {"delivered_by"})
    if extra:
        print(f"o3-governance request: {extra} does not apply to 'delivered'", file=sys.stderr)
        return EXIT_BAD_INPUT
    layout = DataLayout(settings.load().data_dir).ensure()
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            when, new = reg.mark_delivered(con, args.request_id, delivered_by=args.delivered_by,
                                           now=datetime.now(timezone.utc))
    except reg.RequestError as exc:
        print(f"o3-governance request: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WarehouseBusy as exc:
        return _busy(exc)
    state = "marked delivered" if new else "was already marked delivered"
    print(f"request {args.request_id}: access export {state} on {when.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC")
    return EXIT_OK


def _busy(exc: WarehouseBusy) -> int:
    """One writing process at a time (most likely the nightly run): the lock's one line, nothing recorded.
    A warehouse DuckDB cannot open arrives here too (WarehouseUnavailable is a WarehouseBusy)."""
    print(f"o3-governance request: {str(exc).splitlines()[0]}; nothing was recorded, try again when it has "
          "finished", file=sys.stderr)
    return EXIT_FAILED


def regenerate(args) -> int:
    """``request access --request-id ID --regenerate``: a Dagster run rebuilds the export."""
    from o3_governance.rights import register as reg
    from o3_governance.storage import warehouse
    extra = _only(args, {"regenerate"})
    if args.kind != "access" or extra:
        what = f"{extra} does not apply to --regenerate" if extra else "--regenerate applies to access requests only"
        print(f"o3-governance request: {what}", file=sys.stderr)
        return EXIT_BAD_INPUT
    layout = DataLayout(settings.load().data_dir).ensure()
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            reg.check_regenerable(con, args.request_id)
    except reg.RequestError as exc:
        print(f"o3-governance request: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WarehouseBusy as exc:
        return _busy(exc)
    # Dagster takes about a second to import: only when a job is launched, not for every command.
    from o3_governance.cli import launcher
    from o3_governance.defs.rights import jobs as rights_defs

    run_config = {**rights_defs.regenerate_run_config(args.request_id),
                  "loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = launcher.execute_exclusively(
        rights_defs.dsr_access_regenerate_job.name, layout, run_config=run_config, raise_on_error=False,
        tags={rights_defs.DSR_TAG: args.request_id})
    if not result.success:
        print(f"o3-governance request: regeneration failed (see run {result.run_id} in the Dagster UI)",
              file=sys.stderr)
        return EXIT_FAILED
    meta = {}
    for event in result.all_events:
        if event.is_successful_output and event.step_output_data and event.step_output_data.metadata:
            meta = {k: getattr(v, "value", v) for k, v in event.step_output_data.metadata.items()}
    print(f"request {args.request_id} (access): export regenerated, Dagster run {result.run_id}")
    print(f"  export: {layout.root / meta.get('export_path', f'exports/{args.request_id}')}")
    for key in ("messages_exported", "messages_no_longer_held", "messages_redacted_afresh", "media_files",
                "redactions"):
        if key in meta:
            print(f"  {key.replace('_', ' ')}: {meta[key]}")
    return EXIT_OK


def format_result(req: reg.Request, run_id: str | None, layout: DataLayout) -> str:
    from o3_governance.rights import register as reg
    outcome = req.outcome or {}
    lines = [f"request {req.request_id} ({req.kind}{', lift' if req.lift else ''}): {req.status}",
             f"  received {req.received_on.isoformat()}, due {req.due_date.isoformat()}, Dagster run {run_id}"]
    if "export_path" in outcome:
        lines.append(f"  export: {layout.root / outcome['export_path']}")
    for key in sorted(outcome):
        value = outcome[key]
        if isinstance(value, bool) or isinstance(value, (int, float)):
            lines.append(f"  {key.replace('_', ' ')}: {value}")
    for hold in outcome.get("holds", []):
        until = hold.get("until") or "no end date"
        lines.append(f"  kept under legal hold '{hold['name']}' ({hold.get('messages', 0)} messages, until {until}): "
                     f"{hold.get('reason') or 'no reason given'}")
    if outcome.get("holds"):
        lines.append(f"  {outcome.get('legal_basis_for_keeping')}")
    for key in ("note", "reason", "name_not_used", "error"):
        if outcome.get(key):
            lines.append(f"  {key.replace('_', ' ')}: {outcome[key]}")
    for affected in reg.affected_from_json(outcome.get("access_exports_affected")):
        lines.append(f"  {affected.line('erasure')}")
    if req.kind in REQUEST_LIFTABLE_KINDS and outcome.get("lifted_restrictions"):
        lines.append(f"  lifted: {', '.join(outcome['lifted_restrictions'])}")
    return "\n".join(lines)


def list_requests(args) -> int:
    from o3_governance.rights import register as reg
    from o3_governance.storage import warehouse
    s = settings.load()
    layout = config.require_warehouse(DataLayout(s.data_dir))
    today = _today(s, datetime.now(timezone.utc))
    with warehouse.open_warehouse(layout.warehouse) as con:
        reg.ensure_schema(con)
        requests = reg.list_requests(con)
    if not requests:
        print("no requests recorded")
    for r in requests:
        late = ""
        if r.status in REQUEST_OPEN_STATUSES:
            days = (r.due_date - today).days
            soon = days <= reg.DEADLINE_WARNING_DAYS
            late = f"  OVERDUE by {-days} days" if days < 0 else (f"  due in {days} days" if soon else "")
        print(f"{r.request_id}\t{r.kind}{' (lift)' if r.lift else ''}\treceived {r.received_on}\tdue {r.due_date}"
              f"\t{r.status}{late}")
    return EXIT_OK
