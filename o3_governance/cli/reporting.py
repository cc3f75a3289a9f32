"""Command-line subcommands of the reporting domain, registered on the ``o3-governance`` parser:
``report``, ``serve-reports``, ``verify-reports`` and ``record-of-processing``."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from o3_governance import config


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="write today's audit report (HTML, CSV extracts, Art. 30 record, manifest)")
    p.add_argument("--as-of", type=date.fromisoformat, help="report date (default: O3_AS_OF or today in Brussels)")
    p.add_argument("--activity", type=Path, help="processing-activity statements for the Art. 30 record (YAML)")
    p.set_defaults(handler=cmd_report)

    p = subparsers.add_parser("serve-reports", help="serve the reports read-only over HTTP, behind O3_REPORTS_TOKEN")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=None, help="port (default 8765)")
    p.add_argument("--reports-dir", type=Path, help="default: $O3_DATA_DIR/reports")
    p.set_defaults(handler=cmd_serve)

    p = subparsers.add_parser("verify-reports", help="check every dated report against its sha256 manifest")
    p.add_argument("--reports-dir", type=Path, help="default: $O3_DATA_DIR/reports")
    p.set_defaults(handler=cmd_verify)

    p = subparsers.add_parser("record-of-processing",
                              help="export the GDPR Art. 30 record of processing (CSV and JSON)")
    p.add_argument("--out", type=Path, help="folder to write to (default: $O3_DATA_DIR/exports/record-of-processing-<date>)")
    p.add_argument("--activity", type=Path, help="processing-activity statements (YAML; default: the project's own)")
    p.set_defaults(handler=cmd_record)


def cmd_report(args) -> int:
    from o3_governance.reporting.build import build_report

    from datetime import datetime, timezone

    result = build_report(config.require_warehouse(), as_of=args.as_of, activity_file=args.activity, now=datetime.now(timezone.utc))
    for key, value in result.counts.items():
        print(f"{key}: {value}")
    if result.pruned:
        print(f"reports removed by retention: {len(result.pruned)}")
    print(f"report: {result.html}")
    return 0


def cmd_serve(args) -> int:
    from o3_governance.reporting import server

    try:
        token = server.token_from_env()
    except server.TokenError as exc:
        print(f"serve-reports: {exc}", file=sys.stderr)
        return 2
    host = args.host or server.DEFAULT_HOST
    port = args.port or server.DEFAULT_PORT
    reports = (args.reports_dir or config.layout().reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    if not server.is_loopback(host):
        print(f"serve-reports: warning: listening on {host}, reachable from other machines; "
              "put it behind TLS", file=sys.stderr)
    print(f"serving {reports} on http://{host}:{port}/ (send the token as 'Authorization: Bearer …' "
          f"or open http://{host}:{port}/?token=…)", flush=True)
    server.serve(reports, token, host=host, port=port)
    return 0


def cmd_verify(args) -> int:
    from o3_governance.reporting import history

    reports = args.reports_dir or config.layout().reports
    if not reports.is_dir():
        raise config.MissingData(f"no reports folder at {reports} ({config.where()}): set O3_DATA_DIR to the data folder")
    folders = history.dated_folders(reports)
    bad = 0
    for folder in folders:
        problems = history.verify_folder(folder)
        bad += bool(problems)
        print(f"{folder.name}: " + ("ok" if not problems else "; ".join(problems)))
    if not folders:
        print("no report found")
    return 1 if bad else 0


def cmd_record(args) -> int:
    from o3_governance.storage import warehouse
    from o3_governance.reporting import art30, policyview

    layout = config.require_warehouse()
    as_of = config.as_of()
    policy = policyview.load(config.policy_file())
    activity = art30.load_activity(args.activity)
    out = args.out or layout.exports / f"record-of-processing-{as_of.isoformat()}"
    with warehouse.open_warehouse(layout.warehouse) as con:
        record = art30.build_record(con, policy, as_of, activity)
    for path in art30.write_record(record, Path(out)):
        print(path)
    if policy.error:
        print(f"record-of-processing: warning: {policy.error}; retention periods are missing", file=sys.stderr)
        return 1
    return 0
