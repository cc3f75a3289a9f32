"""Command-line subcommands of this domain, registered on the ``o3-governance`` parser.

- ``o3-governance scan [--workers N] [--staff-directory FILE]``: scan the warehouse now (counts only).
- ``o3-governance scan-eval [--set NAME]``: recall and precision on each labelled evaluation set, separately
  (the blind held-out set first).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.storage.layout import DataLayout


def register(subparsers) -> None:
    p = subparsers.add_parser("scan", help="find personal and special-category data in messages not yet scanned")
    p.add_argument("--workers", type=int, default=2, help="processes to use (default 2)")
    p.add_argument("--staff-directory", default=None,
                   help="file of staff names (YAML, CSV with a name column, or one name a line); "
                        "default: $O3_DIRECTORY_FILE")
    p.set_defaults(handler=_scan)
    e = subparsers.add_parser("scan-eval", help="recall and precision of the scanner on each labelled set")
    e.add_argument("--set", dest="sets", action="append", default=None,
                   help="only this set (repeatable): holdout5, holdout4, development, holdout1-3, dev5; default: all")
    e.set_defaults(handler=_evaluate)


def _scan(args) -> int:
    from o3_governance.scanning.store import scan_warehouse
    from o3_governance.storage import warehouse
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    conf = settings.load()
    staff = Path(args.staff_directory) if args.staff_directory else conf.directory_file
    layout = config.require_warehouse(DataLayout(conf.data_dir))
    with warehouse.open_warehouse(layout.warehouse) as con:
        s = scan_warehouse(con, staff_directory=staff, workers=args.workers, window_chars=conf.scan_window_chars,
                           seconds_budget=conf.scan_seconds_per_night, monotonic=time.monotonic)
    print(json.dumps({"config_hash": s.config_hash, "due": s.due, "scanned": s.scanned, "skipped": s.skipped,
                      "distinct_texts_analysed": s.unique_texts, "distinct_texts_reused": s.reused_texts,
                      "findings_written": s.findings_written, "by_type": s.by_type, "seconds": round(s.seconds, 2),
                      "truncated_for_scan": s.truncated_for_scan, "left_for_next_night": s.left_for_next_night,
                      "carried_forward": s.carried_forward},
                     sort_keys=True))
    return 0


def _evaluate(args) -> int:
    # spaCy and Presidio take seconds to import: only this command needs them.
    from o3_governance.scanning.evaluation import SETS, evaluate, known_people
    from o3_governance.scanning.worker import local_scanner

    names = args.sets or list(SETS)
    unknown = [n for n in names if n not in SETS]
    if unknown:
        raise ValueError(f"unknown evaluation set {unknown[0]!r}; known: {', '.join(SETS)}")
    scanner, _ = local_scanner(known_people())
    for k, name in enumerate(names):
        pattern, what = SETS[name]
        print(f"{'' if k == 0 else chr(10)}{name}: {what} [{pattern}]")
        print(evaluate(scanner, pattern=pattern).table())
    return 0
