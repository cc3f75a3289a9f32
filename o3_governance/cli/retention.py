"""Command-line subcommands of the retention domain, registered on the ``o3-governance`` parser.

- ``check-policy [FILE]``            validate a policy file (exit 2 with the line and problem)
- ``deletion-list [--csv PATH]``     the current list for review: counts per rule, chat and action
- ``approve-deletions --list-id ID --approved-by NAME``  run the apply_deletion_list job
- ``resume-purges``                  finish purges a crash interrupted
"""
from __future__ import annotations

import csv
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from o3_governance import purge, settings
from o3_governance.cli import context as config
from o3_governance.identity.chats import printable
from o3_governance.retention import dispose
from o3_governance.retention.policy import PolicyError, load_policy
from o3_governance.rights.register import affected_from_json
from o3_governance.storage import warehouse
from o3_governance.vocabulary import DELETION_LISTS, LIST_SUPERSEDED

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser("check-policy", help="validate the retention policy file")
    p.add_argument("file", nargs="?", default=None, help="policy file (default: O3_POLICY_FILE or the default)")
    p.set_defaults(handler=check_policy)

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


def check_policy(args) -> int:
    try:
        policy = load_policy(args.file if args.file is not None else settings.load().policy_file)
    except PolicyError as exc:
        print(f"o3-governance check-policy: refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"policy ok: {len(policy.rules)} rules, {len(policy.holds)} legal holds, sha256 {policy.sha256[:12]}")
    for r in policy.rules:
        match = "; ".join(f"{k}: {', '.join(v) if isinstance(v, tuple) else str(v).lower()}"
                          for k, v in r.match.items()) or "everything else"
        print(f"  {r.name}: {match} -> {r.action} after {r.retain_days} days")
    for h in policy.holds:
        scope = ", ".join(x for x in (f"{len(h.chats)} chat(s)" if h.chats else "",
                                      f"{len(h.subjects)} subject(s)" if h.subjects else "") if x)
        print(f"  hold {h.name}: {scope}, until {h.until or 'further notice'}")
    return EXIT_OK


def show_list(args) -> int:
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
    try:
        dispose._approver(args.approved_by)
        load_policy(settings.load().policy_file)
        _known_list(args.list_id)
    except (dispose.DisposalError, PolicyError) as exc:
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


def _known_list(list_id: str) -> None:
    """A typo in the id is answered here, without a failed run in the UI."""
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

    launcher.fail_abandoned_runs_on_home()  # a run killed mid-purge is marked failed, not left running
    results = purge.resume_pending(config.layout(), now=datetime.now(timezone.utc))
    print(f"finished {len(results)} interrupted purge(s)" if results else "no interrupted purge")
    return EXIT_OK
