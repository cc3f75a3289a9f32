"""``o3-governance run`` (the nightly job once, on the Dagster instance) and ``o3-governance demo``."""
from __future__ import annotations

import argparse

from o3_governance import config


def register(subparsers) -> None:
    run = subparsers.add_parser("run", help="run the nightly governance job once on O3_DATA_DIR")
    run.add_argument("--seed-demo", action="store_true",
                     help="write the project's demo archives into the inbox first when it is empty")
    run.set_defaults(handler=run_command)
    demo = subparsers.add_parser("demo", help="write the demo archives into the inbox (or a folder)")
    demo.add_argument("--to", type=str, default=None, help="target folder (default: the inbox)")
    demo.add_argument("--seed", type=int, default=7)
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from o3_governance.demo import write_demo_inbox

    target = Path(args.to) if args.to else config.layout().ensure().inbox
    written = write_demo_inbox(target, seed=args.seed)
    print(f"wrote {len(written)} demo archives to {target}")
    return 0


def run_nightly(seed_demo: bool = False):
    """Execute ``nightly_governance`` on the instance in DAGSTER_HOME, so the run shows in the UI."""
    from o3_governance import locking
    from o3_governance.definitions import defs
    from o3_governance.ingest import inbox_files

    config.dagster_home()
    layout = config.layout().ensure()
    seeded = 0
    if seed_demo and not inbox_files(layout.inbox) and not layout.warehouse.exists():
        from o3_governance.demo import write_demo_inbox

        seeded = len(write_demo_inbox(layout.inbox))
    # Holds the warehouse writer lock for the whole run, after failing runs a killed process left behind.
    result = locking.execute_exclusively(
        defs.resolve_job_def("nightly_governance"), layout, tags={"o3/trigger": "cli"}, raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}})
    return result, seeded


def run_command(args: argparse.Namespace) -> int:
    from o3_governance import warehouse

    result, seeded = run_nightly(seed_demo=args.seed_demo)
    layout = config.layout()
    if seeded:
        print(f"seeded the empty inbox with {seeded} demo archives")
    print(f"nightly_governance run {result.run_id}: {'succeeded' if result.success else 'FAILED'}")
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        for status, n in con.execute("SELECT status, count(*) FROM archives GROUP BY 1 ORDER BY 1").fetchall():
            print(f"  archives {status}: {n}")
        print(f"  messages: {con.execute('SELECT count(*) FROM messages').fetchone()[0]}")
        for table in ("findings", "retention", "deletion_list"):
            if warehouse.table_exists(con, table):
                print(f"  {table}: {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} rows")
    print(f"warehouse: {layout.warehouse}")
    dated = sorted(p for p in layout.reports.glob("*/report.html"))
    print(f"reports:   {dated[-1] if dated else layout.reports}  (index: {layout.reports / 'index.html'})")
    return 0 if result.success else 1
