"""``o3-governance run`` (the nightly job once, on the Dagster instance), ``o3-governance demo`` and
``o3-governance quarantine list|retry``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.storage.layout import DataLayout


def register(subparsers) -> None:
    run = subparsers.add_parser("run", help="run the nightly governance job once on O3_DATA_DIR")
    run.add_argument("--seed-demo", action="store_true",
                     help="write the project's demo archives into the inbox first when it is empty")
    run.set_defaults(handler=run_command)
    demo = subparsers.add_parser("demo", help="write the demo archives into the inbox (or a folder)")
    demo.add_argument("--to", type=str, default=None, help="target folder (default: the inbox)")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=demo_command)
    quarantine = subparsers.add_parser("quarantine", help="quarantined files: list them, or re-queue one")
    qsub = quarantine.add_subparsers(dest="quarantine_command", required=True)
    qlist = qsub.add_parser("list", help="quarantined archives with their reasons (no file names)")
    qlist.set_defaults(handler=quarantine_list_command)
    qretry = qsub.add_parser("retry", help="move a quarantined archive back into the inbox for the next night")
    qretry.add_argument("archive_id")
    qretry.set_defaults(handler=quarantine_retry_command)


def demo_command(args: argparse.Namespace) -> int:
    from o3_governance.demo import write_demo_inbox
    target = Path(args.to) if args.to else DataLayout(settings.load().data_dir).ensure().inbox
    written = write_demo_inbox(target, seed=args.seed)
    print(f"wrote {len(written)} demo archives to {target}")
    return 0


def run_nightly(seed_demo: bool = False):
    """Execute ``nightly_governance`` on the instance in DAGSTER_HOME, so the run shows in the UI."""
    from o3_governance.demo import write_demo_inbox
    from o3_governance.ingest import inbox_files
    from o3_governance.cli import launcher  # imports Dagster (over a second): only when a job is launched

    config.dagster_home()
    layout = DataLayout(settings.load().data_dir).ensure()
    seeded = 0
    if seed_demo and not inbox_files(layout.inbox) and not layout.warehouse.exists():
        seeded = len(write_demo_inbox(layout.inbox))
    # Holds the warehouse writer lock for the whole run, after failing runs a killed process left behind.
    result = launcher.execute_exclusively(
        "nightly_governance", layout, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
    return result, seeded


def run_command(args: argparse.Namespace) -> int:
    """The nightly job once. Prints only what this run did, read from its own event log: its id, the
    steps that succeeded or failed, the counts its assets recorded, the report it wrote; on failure
    the one-line reason (no content) and a non-zero exit. Never last night's figures."""
    s = settings.load()
    if not s.data_dir.exists() and not (s.data_dir_explicit or args.seed_demo):
        # Run from the wrong folder, the default ./data would be created empty and recorded in Dagster.
        print(f"o3-governance run: no data folder at {s.data_dir} (Dagster home {s.dagster_home}): "
              f"set O3_DATA_DIR to the data folder (it is created when set explicitly) or use --seed-demo",
              file=sys.stderr)
        return 2
    result, seeded = run_nightly(seed_demo=args.seed_demo)
    if seeded:
        print(f"seeded the empty inbox with {seeded} demo archives")
    print(f"nightly_governance run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    outcome = run_outcome(result)
    print(f"  steps succeeded: {len(outcome['succeeded'])}"
          + (f"; failed: {', '.join(outcome['failed'])}" if outcome["failed"] else "")
          + (f"; not run: {len(outcome['skipped'])}" if outcome["skipped"] else ""))
    for asset, counts in outcome["counts"].items():
        print(f"  {asset}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if not result.success:
        print(f"o3-governance run: failed: {outcome['reason']} (run {result.run_id})", file=sys.stderr)
        return 1
    layout = DataLayout(s.data_dir)
    print(f"warehouse: {layout.warehouse}")
    report = outcome["report"]
    print(f"reports:   {report or 'no report written by this run'}  (index: {layout.reports / 'index.html'})")
    return 0


def run_outcome(result) -> dict:
    """What one run did, from its own events: step keys, integer counts per materialized asset, the
    report path it recorded and, for a failure, a one-line reason (our own refusals are one line
    without content; anything else is named by its class only, since a library's text could quote data)."""
    succeeded, failed, skipped = [], [], []
    counts: dict[str, dict[str, int]] = {}
    report = None
    reason = None
    for event in result.all_events:
        if event.is_step_success:
            succeeded.append(event.step_key)
        elif event.is_step_skipped:
            skipped.append(event.step_key)
        elif event.is_step_failure:
            failed.append(event.step_key)
            if reason is None:
                reason = _one_line_reason(event)
        elif event.is_step_materialization:
            mat = event.step_materialization_data.materialization
            name = mat.asset_key.to_user_string()
            items = {}
            for key, value in sorted(mat.metadata.items()):
                raw = getattr(value, "value", None)
                if isinstance(raw, int) and not isinstance(raw, bool):
                    items[key.replace("dagster/", "")] = raw
                if key == "report_path":
                    report = getattr(value, "path", None) or raw
            counts[name] = items
    if not result.success and reason is None:
        reason = "run failed"
    return {"succeeded": succeeded, "failed": failed, "skipped": skipped, "counts": counts,
            "report": report, "reason": reason}


def _one_line_reason(event) -> str:
    data = event.step_failure_data
    err = data.error if data else None
    if err is None:
        return "step failed"
    if err.cls_name == "Failure":
        if data.user_failure_data is not None and data.user_failure_data.description:
            return data.user_failure_data.description.strip().splitlines()[0]
        text = (err.message or "").strip().splitlines()
        return text[0].split("Failure: ", 1)[-1] if text else "refused"
    while err.cause is not None:
        err = err.cause
    return err.cls_name


def quarantine_list_command(args: argparse.Namespace) -> int:
    """One line per quarantined archive: id, received, size, kind (extension), reason. File names can
    name people: only their extension is shown."""
    from o3_governance.ingest import quarantine as quarantined
    from o3_governance.storage import warehouse
    layout = config.require_warehouse()
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        rows = quarantined.listing(con, layout)
    if not rows:
        print("no quarantined archives")
        return 0
    print("archive_id            received                   bytes  kind    kept  reason")
    for r in rows:
        received = r.received_at.isoformat(timespec="seconds") if r.received_at else ""
        size = "" if r.size_bytes is None else str(r.size_bytes)
        print(f"{r.archive_id:<20}  {received:<25} {size:>7}  {r.kind:<6}  {'yes' if r.kept else 'no':<4}  "
              f"{(r.reason or '').splitlines()[0] if r.reason else ''}")
    return 0


def quarantine_retry_command(args: argparse.Namespace) -> int:
    """Re-queue one quarantined archive (under the writer lock, like every writer): the next night
    ingests it and its registry row moves from quarantined to ingested, with history."""
    from o3_governance.ingest import quarantine as quarantined
    from o3_governance.storage import warehouse
    from datetime import datetime, timezone

    layout = config.require_warehouse()
    try:
        with warehouse.open_warehouse(layout.warehouse) as con:
            quarantined.retry(con, layout, args.archive_id, now=datetime.now(timezone.utc))
    except quarantined.UnknownArchive as exc:
        print(f"o3-governance quarantine retry: {exc}", file=sys.stderr)
        return 2
    except quarantined.NothingToRetry as exc:
        print(f"o3-governance quarantine retry: {exc}", file=sys.stderr)
        return 1
    print(f"archive {args.archive_id} is back in the inbox: the next night ingests it")
    return 0
