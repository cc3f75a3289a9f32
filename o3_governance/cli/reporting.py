"""Command-line subcommands of the reporting domain, registered on the ``o3-governance`` parser:
``report``, ``serve-reports``, ``verify-reports``, ``record-of-processing`` and ``screenshot-report``.

The entry point reads the settings and the clock and passes them to the reporting core."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from o3_governance import settings
from o3_governance.cli import context as config
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import BRUSSELS


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="write today's audit report (HTML, CSV extracts, Art. 30 record, manifest)")
    p.add_argument("--as-of", type=date.fromisoformat, help="report date (default: O3_AS_OF or today in Brussels)")
    p.add_argument("--activity", type=Path, help="processing-activity statements for the Art. 30 record (YAML)")
    p.set_defaults(handler=cmd_report)

    p = subparsers.add_parser("serve-reports", help="serve the reports read-only over HTTP, behind O3_REPORTS_TOKEN")
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, default=None, help="port (default 8765)")
    p.add_argument("--reports-dir", type=Path, help="default: $O3_DATA_DIR/reports")
    p.add_argument("--forwarded-allow-ips", default=None,
                   help="proxies (IPs or networks, comma-separated) whose X-Forwarded-Proto is believed: the "
                        "session cookie is Secure when such a proxy says the request came over https")
    p.set_defaults(handler=cmd_serve)

    p = subparsers.add_parser("verify-reports", help="check every dated report against its sha256 manifest")
    p.add_argument("--reports-dir", type=Path, help="default: $O3_DATA_DIR/reports")
    p.set_defaults(handler=cmd_verify)

    p = subparsers.add_parser("record-of-processing",
                              help="export the GDPR Art. 30 record of processing (CSV and JSON)")
    p.add_argument("--out", type=Path, help="folder to write to (default: $O3_DATA_DIR/exports/record-of-processing-<date>)")
    p.add_argument("--activity", type=Path, help="processing-activity statements (YAML; default: the project's own)")
    p.set_defaults(handler=cmd_record)

    p = subparsers.add_parser("screenshot-report",
                              help="screenshot a report with headless Chromium (O3_CHROMIUM) and check it rendered")
    p.add_argument("html", nargs="?", type=Path, help="report.html (default: the newest report)")
    p.add_argument("png", nargs="?", type=Path, help="where to write the PNG (default: beside the reports, outside "
                                                     "any manifest: <reports>/screenshots/<date>.png)")
    p.set_defaults(handler=cmd_screenshot)


def as_of_date(s: settings.Settings, now: datetime) -> date:
    """O3_AS_OF, or today in Brussels by ``now``."""
    return s.as_of or now.astimezone(BRUSSELS).date()


def cmd_report(args) -> int:
    from o3_governance.reporting.build import build_report
    s = settings.load()
    now = datetime.now(timezone.utc)
    result = build_report(config.require_warehouse(DataLayout(s.data_dir)), args.as_of or as_of_date(s, now),
                          s.policy_file, now=now, keep_days=s.report_retention_days,
                          raw_retention_days=s.raw_retention_days, approval_warn_days=s.approval_warn_days,
                          activity_file=args.activity)
    for key, value in result.counts.items():
        print(f"{key}: {value}")
    if result.pruned:
        print(f"reports removed by retention: {len(result.pruned)}")
    print(f"report: {result.html}")
    return 0


def cmd_serve(args) -> int:
    from o3_governance.reporting import server
    s = settings.load()
    try:
        token = server.check_token(s.reports_token)
    except server.TokenError as exc:
        print(f"serve-reports: {exc}", file=sys.stderr)
        return 2
    host = args.host or server.DEFAULT_HOST
    port = args.port or server.DEFAULT_PORT
    reports = (args.reports_dir or DataLayout(s.data_dir).reports).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    if not server.is_loopback(host):
        print(f"serve-reports: warning: listening on {host}, reachable from other machines; "
              "put it behind TLS", file=sys.stderr)
    print(f"serving {reports} on http://{host}:{port}/ (send the token as 'Authorization: Bearer …' "
          f"or open http://{host}:{port}/?token=…)", flush=True)
    allow = getattr(args, "forwarded_allow_ips", None)
    try:
        server.TrustedProxies(allow)
    except ValueError as exc:
        print(f"serve-reports: {exc}", file=sys.stderr)
        return 2
    if allow:
        server.serve(reports, token, host=host, port=port, forwarded_allow_ips=allow)
    else:
        server.serve(reports, token, host=host, port=port)
    return 0


def cmd_verify(args) -> int:
    from o3_governance.reporting import history
    reports = args.reports_dir or DataLayout(settings.load().data_dir).reports
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
    from o3_governance.reporting import art30, policyview
    from o3_governance.storage import warehouse
    s = settings.load()
    now = datetime.now(timezone.utc)
    layout = config.require_warehouse(DataLayout(s.data_dir))
    as_of = as_of_date(s, now)
    policy = policyview.load(s.policy_file)
    activity = art30.load_activity(args.activity)
    out = args.out or layout.exports / f"record-of-processing-{as_of.isoformat()}"
    with warehouse.open_warehouse(layout.warehouse) as con:
        record = art30.build_record(con, policy, as_of, activity, now.astimezone(BRUSSELS).replace(microsecond=0),
                                    raw_retention_days=s.raw_retention_days,
                                    report_retention_days=s.report_retention_days)
    for path in art30.write_record(record, Path(out)):
        print(path)
    if policy.error:
        print(f"record-of-processing: warning: {policy.error}; retention periods are missing", file=sys.stderr)
        return 1
    return 0


def cmd_screenshot(args) -> int:
    from o3_governance.reporting import screenshot
    s = settings.load()
    reports = DataLayout(s.data_dir).reports
    html = args.html or screenshot.latest_report(reports)
    if html is None or not html.is_file():
        print("screenshot: no report found (run the nightly job first)", file=sys.stderr)
        return 2
    png = args.png or reports / "screenshots" / f"{html.parent.name}.png"
    try:
        screenshot.take(html, png, chromium=screenshot.find_chromium(s.chromium))
    except (FileNotFoundError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    problems = screenshot.check(png)
    for p in problems:
        print(f"screenshot: {p}", file=sys.stderr)
    print(png)
    return 1 if problems else 0
