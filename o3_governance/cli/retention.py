"""Command-line subcommands of the retention domain, registered on the ``o3-governance`` parser.

- ``check-policy [--simulate] [FILE] [--accept --approved-by NAME]``  validate a policy file (exit 2
                                     with the line and problem); what it would take and list
- ``event record|list|withdraw``     retention events a period can count from
- ``explain MESSAGE_ID``             why a message is kept or listed (no message text)
- ``deletion-list [--csv PATH]``     the current list for review: counts per rule, chat and action
- ``approve-deletions --list-id ID --approved-by NAME``  run the apply_deletion_list job
- ``resume-purges``                  finish purges a crash interrupted
"""
from __future__ import annotations

import csv
import json
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.identity.chats import printable
from o3_governance.vocabulary import DELETION_LISTS, LIST_AWAITING_APPROVAL, LIST_SUPERSEDED

if TYPE_CHECKING:
    from o3_governance.retention import simulate
    from o3_governance.retention.policy import Policy

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
# Each handler imports what it uses: --help starts without DuckDB or Dagster.


def register(subparsers) -> None:
    p = subparsers.add_parser("check-policy", help="validate the retention policy file")
    p.add_argument("file", nargs="?", default=None, help="policy file (default: O3_POLICY_FILE or the default)")
    p.add_argument("--simulate", action="store_true",
                   help="also show what FILE would take and list against the warehouse, next to the policy in "
                        "force (writes nothing)")
    p.add_argument("--accept", action="store_true",
                   help="with --simulate: record that you accept exactly this file (its sha256) in the audit log, "
                        "so the nightly run applies it even when it lists more than disposal.max_new_share")
    p.add_argument("--approved-by", default=None, help="with --accept: who accepts the file")
    p.set_defaults(handler=check_policy)

    p = subparsers.add_parser("event", help="retention events a period can count from (project closed, ...)")
    ev = p.add_subparsers(dest="event_command", required=True)
    r = ev.add_parser("record", help="record an event for a chat or a subject")
    r.add_argument("--type", required=True, dest="event_type", help="one of the policy's event_types")
    who = r.add_mutually_exclusive_group(required=True)
    who.add_argument("--chat", help="chat name (or chat id)")
    who.add_argument("--subject", help="phone number or name of the person (stored as a keyed hash)")
    r.add_argument("--date", required=True, dest="event_date", help="the day of the event, YYYY-MM-DD")
    r.add_argument("--reason", default=None, help="why (kept with the event, never in a report)")
    r.add_argument("--recorded-by", required=True, help="who records the event")
    r.set_defaults(handler=event_record)
    r = ev.add_parser("list", help="every event, withdrawn ones too")
    r.set_defaults(handler=event_list)
    r = ev.add_parser("withdraw", help="withdraw an event (recorded, never deleted): its messages wait again")
    r.add_argument("--event-id", required=True)
    r.add_argument("--recorded-by", required=True, help="who withdraws the event")
    r.add_argument("--reason", required=True, help="why it is withdrawn")
    r.set_defaults(handler=event_withdraw)

    p = subparsers.add_parser("explain", help="why a message is kept or listed (rule, period, holds, list)")
    p.add_argument("message_id")
    p.set_defaults(handler=explain)

    p = subparsers.add_parser("deletion-list", help="show the current deletion list for review")
    p.add_argument("--csv", type=Path, default=None,
                   help="also write the listed rows (ids, chat, dates, rule, action; no text) to this CSV file")
    p.set_defaults(handler=show_list)

    p = subparsers.add_parser("approve-deletions", help="carry out an approved deletion list (a Dagster run)")
    p.add_argument("--list-id", required=True)
    p.add_argument("--approved-by", required=True, help="who approved the list (recorded in the certificate)")
    p.set_defaults(handler=approve)

    p = subparsers.add_parser("resume-purges", help="finish deletions or redactions a crash interrupted")
    p.set_defaults(handler=resume)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _secret(layout) -> bytes:
    from o3_governance.rights import register as rights_register
    return rights_register.secret_key(layout, settings.load().subject_key)


def _directory():
    from o3_governance.identity.directory import load_directory
    conf = settings.load()
    return load_directory(conf.directory_file) if conf.directory_file else []


def _rule_line(r) -> str:
    match = "; ".join(f"{k}: {', '.join(v) if isinstance(v, tuple) else str(v).lower()}"
                      for k, v in r.match.items()) or "everything else"
    return f"  {r.name}: {match} -> {r.action} after {r.period}"


def check_policy(args) -> int:
    from o3_governance.retention import approvals
    from o3_governance.retention import decide
    from o3_governance.retention import simulate
    from o3_governance.retention.policy import PolicyError
    from o3_governance.retention.policy import load_policy
    from o3_governance.storage import warehouse
    try:
        policy = load_policy(args.file if args.file is not None else settings.load().policy_file)
    except PolicyError as exc:
        print(f"o3-governance check-policy: refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if (args.accept or args.approved_by) and not args.simulate:
        print("o3-governance check-policy: --accept needs --simulate (look before you accept)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.accept:
        try:
            approvals.person_name(args.approved_by)
        except approvals.ApprovalError as exc:
            print(f"o3-governance check-policy: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    print(f"policy ok: {len(policy.rules)} rules, {len(policy.holds)} legal holds, sha256 {policy.sha256[:12]}")
    if policy.event_types:
        print(f"  event types: {', '.join(policy.event_types)}")
    print(f"  disposal: {policy.approvers_required} approver(s), max_new_share {policy.max_new_share:g}")
    for r in policy.rules:
        print(_rule_line(r))
    for h in policy.holds:
        scope = ", ".join(x for x in (f"{len(h.chats)} chat(s)" if h.chats else "",
                                      f"{len(h.subjects)} subject(s)" if h.subjects else "") if x)
        print(f"  hold {h.name}: {scope}, until {h.until or 'further notice'}")
    layout = config.layout()
    if not layout.warehouse.is_file():
        if args.simulate:
            config.require_warehouse(layout)  # one line: no warehouse to simulate against
        return EXIT_OK
    as_of, now, directory = config.as_of(), _now(), _directory()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        coverage = simulate.hold_coverage(con, policy, as_of, directory=directory)
        sim = None
        if args.simulate:
            current = load_policy(settings.load().policy_file)
            sim = simulate.simulate(con, current, policy, as_of, now, directory=directory, secret=_secret(layout))
    for c in coverage:
        print(f"  hold {c.name} keeps {c.kept} message(s) now")
        for line in c.warnings():
            print(f"warning: {printable(line)}")
    if sim is not None:
        _print_simulation(sim, as_of)
    if args.accept:
        with warehouse.open_warehouse(layout.warehouse) as con:
            decide.accept(con, policy, args.approved_by, newly_due=sim.newly_due, now=now)
        print(f"accepted: policy sha256 {policy.sha256[:12]} by {printable(args.approved_by)} "
              "(recorded in the audit log); the next night applies it")
    return EXIT_OK


def _print_simulation(sim: "simulate.Simulation", as_of: date) -> None:
    print(f"simulation as of {as_of} on {sim.messages} messages (policy in force -> this file):")
    for rule in dict.fromkeys(list(sim.rules_now) + list(sim.rules_new)):
        print(f"  rule {printable(rule)}: {sim.rules_now.get(rule, 0)} -> {sim.rules_new.get(rule, 0)} messages")
    for hold in dict.fromkeys(list(sim.holds_now) + list(sim.holds_new)):
        print(f"  hold {printable(hold)}: {sim.holds_now.get(hold, 0)} -> {sim.holds_new.get(hold, 0)} messages")
    print(f"  would list: {sim.listed_now} -> {sim.listed_new} messages; newly due {sim.newly_due} "
          f"({sim.new_share:.1%} of all), no longer due {sim.no_longer_due}, losing a hold {sim.lose_hold}")
    if sim.changes:
        print(f"  {'chat id':<18} {'rule':<28} {'newly due':>9} {'no longer':>9} {'lose hold':>9}")
        for (chat_id, rule), (new, gone, lost) in sim.changes.items():
            print(f"  {chat_id[:18]:<18} {printable(rule)[:28]:<28} {new:>9} {gone:>9} {lost:>9}")
    print("nothing was written")


def _parse_day(text: str) -> date:
    from o3_governance.retention import events
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise events.EventError("--date must be a real date written YYYY-MM-DD") from None


def event_record(args) -> int:
    from o3_governance.retention import approvals
    from o3_governance.retention import events
    from o3_governance.retention.policy import PolicyError
    from o3_governance.retention.policy import load_policy
    from o3_governance.storage import warehouse
    try:
        day = _parse_day(args.event_date)
        policy = load_policy(settings.load().policy_file)
        layout = config.require_warehouse()
        with warehouse.open_warehouse(layout.warehouse) as con:
            event_id = events.record(con, policy, event_type=args.event_type, event_date=day,
                                     recorded_by=args.recorded_by, now=_now(), chat=args.chat, subject=args.subject,
                                     secret=_secret(layout) if args.subject else None, reason=args.reason)
    except (events.EventError, approvals.ApprovalError, PolicyError) as exc:
        print(f"o3-governance event record: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"recorded event {event_id}: {args.event_type} on {day}; the next night counts from it")
    return EXIT_OK


def event_list(args) -> int:
    from o3_governance.retention import events
    from o3_governance.storage import warehouse
    layout = config.require_warehouse()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = events.list_events(con)
    if not rows:
        print("no retention events recorded")
        return EXIT_OK
    print(f"{'event id':<16} {'type':<18} {'date':<10}  {'for':<22} {'recorded':<10}  {'by':<20} status")
    for e in rows:
        target = "a subject" if e.subject else f"chat {e.chat_id}"
        status = f"withdrawn {e.withdrawn_at:%Y-%m-%d}" if e.withdrawn_at else "in force"
        print(f"{e.event_id:<16} {e.event_type:<18} {e.event_date}  {target[:22]:<22} {e.recorded_at:%Y-%m-%d}  "
              f"{printable(e.recorded_by)[:20]:<20} {status}")
    return EXIT_OK


def event_withdraw(args) -> int:
    from o3_governance.retention import approvals
    from o3_governance.retention import events
    from o3_governance.storage import warehouse
    try:
        layout = config.require_warehouse()
        with warehouse.open_warehouse(layout.warehouse) as con:
            events.withdraw(con, args.event_id, withdrawn_by=args.recorded_by, reason=args.reason, now=_now())
    except (events.EventError, approvals.ApprovalError) as exc:
        print(f"o3-governance event withdraw: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"withdrew event {args.event_id}: its messages wait for the event again from the next night")
    return EXIT_OK


def explain(args) -> int:
    from o3_governance.retention import simulate
    from o3_governance.retention.policy import PolicyError
    from o3_governance.retention.policy import load_policy
    from o3_governance.storage import warehouse
    try:
        policy = load_policy(settings.load().policy_file)
    except PolicyError as exc:
        print(f"o3-governance explain: refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    layout = config.require_warehouse()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        found = simulate.explain(con, args.message_id, policy, config.as_of(), _now(), directory=_directory(),
                                 secret=_secret(layout))
    if found is None:
        print("o3-governance explain: no message with this id in the warehouse", file=sys.stderr)
        return EXIT_BAD_INPUT
    for line in found.lines():
        print(printable(line))
    return EXIT_OK


def show_list(args) -> int:
    from o3_governance.storage import warehouse
    layout = config.require_warehouse()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        if not warehouse.table_exists(con, DELETION_LISTS):
            print("no deletion list yet: run the nightly job first")
            return EXIT_OK
        rows = con.execute(
            "SELECT list_id, status, created_at, as_of, item_count FROM deletion_lists "
            "WHERE status IN ('awaiting_approval', 'executing') ORDER BY created_at DESC LIMIT 1").fetchall()
        if not rows:
            print("no deletion list awaiting approval: nothing is due")
            return EXIT_OK
        list_id, status, created, as_of, n = rows[0]
        print(f"deletion list {list_id} ({status}), listed {created:%Y-%m-%d %H:%M} UTC as of {as_of}: {n} messages")
        print(f"{'chat':<32} {'rule':<28} {'action':<10} {'messages':>8}  oldest      newest")
        for chat, rule, action, count, oldest, newest in con.execute(
                "SELECT coalesce(m.chat_name, i.chat_id), i.rule, i.action, count(*), min(i.local_date), "
                "max(i.local_date) FROM deletion_list_items i LEFT JOIN messages m USING (message_id) "
                "WHERE i.list_id = ? GROUP BY ALL ORDER BY 1, 2, 3", [list_id]).fetchall():
            print(f"{printable(str(chat))[:32]:<32} {printable(rule)[:28]:<28} {action:<10} {count:>8}  {oldest}  {newest}")
        if args.csv:
            items = con.execute(
                "SELECT i.message_id, m.chat_name, i.chat_id, i.local_date, i.rule, i.action, i.retain_until "
                "FROM deletion_list_items i LEFT JOIN messages m USING (message_id) WHERE i.list_id = ? "
                "ORDER BY m.chat_name, i.local_date, i.message_id", [list_id]).fetchall()
            with open(args.csv, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["message_id", "chat_name", "chat_id", "local_date", "rule", "action", "retain_until"])
                w.writerows(items)
            print(f"wrote {len(items)} rows to {args.csv}")
    print(f"to apply: o3-governance approve-deletions --list-id {list_id} --approved-by \"<your name>\"")
    return EXIT_OK


def launch(list_id: str, approved_by: str):
    """Run the job on the instance in DAGSTER_HOME, so it shows in the UI like any other run."""
    from o3_governance.cli import launcher  # imports Dagster and the definitions: only when a job runs

    return launcher.execute_exclusively(  # holds the writer lock; fails runs a killed process left behind
        "apply_deletion_list", config.layout(),
        run_config={"ops": {"apply_deletion_list_op": {"config": {"list_id": list_id,
                                                                  "approved_by": approved_by}}}},
        raise_on_error=False, tags={"o3/authenticated_user": authenticated_user()})


def authenticated_user() -> str:
    """The operating-system login running this command: the server authenticated it (ssh, sudo)."""
    import getpass

    try:
        return f"os:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"os:uid-{os.getuid()}"


def approve(args) -> int:
    from o3_governance.retention import approvals
    from o3_governance.retention import dispose
    from o3_governance.retention.policy import PolicyError
    from o3_governance.retention.policy import load_policy
    from o3_governance.rights.register import affected_from_json
    from o3_governance.storage import warehouse
    try:
        dispose._approver(args.approved_by)
        policy = load_policy(settings.load().policy_file)
        status = _known_list(args.list_id)
        if status == LIST_AWAITING_APPROVAL and not _enough_approvals(args.list_id, args.approved_by, policy):
            return EXIT_OK
    except (dispose.DisposalError, PolicyError, approvals.ApprovalError) as exc:
        print(f"o3-governance approve-deletions: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = launch(args.list_id, args.approved_by)
    if not result.success:
        reason = _failure_reason(result)
        print(f"o3-governance approve-deletions: not applied: {reason} (run {result.run_id})", file=sys.stderr)
        return EXIT_FAILED
    layout = config.layout()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        row = con.execute("SELECT counts, certificate_path FROM deletion_certificates WHERE list_id = ? "
                          "AND status = 'complete'", [args.list_id]).fetchall()
    cert, path = json.loads(row[0][0]), row[0][1]
    outcome = result.output_for_node("apply_deletion_list_op")
    if outcome == "already_applied":
        print(f"deletion list {args.list_id} was already applied")
    print(f"deletion list {args.list_id}: deleted {cert['executed']['delete']}, anonymised "
          f"{cert['executed']['anonymise']}, skipped {sum(cert['skipped'].values())} "
          f"({', '.join(f'{k} {v}' for k, v in cert['skipped'].items() if v) or 'none'})")
    for affected in affected_from_json(cert.get("access_exports_affected")):
        print(affected.line("disposal"))
    print(f"approved by {cert.get('approved_by', args.approved_by)}; authenticated user: "
          f"{cert.get('authenticated_user', dispose.UNAUTHENTICATED)}")
    print(f"certificate: {layout.root / path}  (run {result.run_id})")
    return EXIT_OK


def _enough_approvals(list_id: str, name: str, policy: Policy) -> bool:
    """Four eyes: records this approval; False (after saying so) while another person must still approve."""
    from o3_governance.retention import approvals
    from o3_governance.storage import warehouse
    if policy.approvers_required < 2:
        return True
    with warehouse.open_warehouse(config.layout().warehouse) as con:
        names = approvals.approve(con, list_id, name, required=policy.approvers_required, now=_now())
    if len(names) < policy.approvers_required:
        print(f"approval {len(names)} of {policy.approvers_required} recorded for deletion list {list_id}: one more "
              f"approver (a different person) is needed before anything is deleted")
        return False
    return True


def _known_list(list_id: str) -> str:
    """A typo in the id is answered here, without a failed run in the UI; returns the list's status."""
    from o3_governance.retention import dispose
    from o3_governance.storage import warehouse
    layout = config.layout()
    found = []
    if layout.warehouse.exists():
        with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
            if warehouse.table_exists(con, DELETION_LISTS):
                found = con.execute("SELECT status FROM deletion_lists WHERE list_id = ?", [list_id]).fetchall()
    if not found:
        raise dispose.DisposalError("no deletion list with this id (see: o3-governance deletion-list)")
    if found[0][0] == LIST_SUPERSEDED:
        raise dispose.DisposalError("this deletion list was superseded by a newer one: approve the current list")
    return found[0][0]


def _failure_reason(result) -> str:
    """Our own refusals are one line without content; anything else is named by its class only,
    since a library's message could quote data."""
    for event in result.all_events:
        if event.is_failure and event.step_failure_data and event.step_failure_data.error:
            err = event.step_failure_data.error
            if err.cls_name == "Failure":
                text = (err.message or "").strip().splitlines()
                return text[0].split("Failure: ", 1)[-1] if text else "refused"
            while err.cause is not None:
                err = err.cause
            return f"{err.cls_name} (finish it by approving the same list again)"
    return "run failed"


def resume(args) -> int:
    from o3_governance.cli import launcher  # imports Dagster and the definitions: only when needed
    from o3_governance import purge

    launcher.fail_abandoned_runs_on_home()  # a run killed mid-purge is marked failed, not left running
    results = purge.resume_pending(config.layout(), now=datetime.now(timezone.utc))
    print(f"finished {len(results)} interrupted purge(s)" if results else "no interrupted purge")
    return EXIT_OK
