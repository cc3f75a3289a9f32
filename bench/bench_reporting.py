"""Nightly report build time and size on a large warehouse: N messages over 200 chats and 36
months, one finding in five messages, a retention row for each, the due ones on the deletion list.
Rows are made in SQL (the report reads only the warehouse), each size in its own process so peak
RSS belongs to that size alone.

    python -m bench.bench_reporting                 # 1M messages
    python -m bench.bench_reporting --sizes 250000 1000000
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import DEFAULT_POLICY_FILE
from o3_governance.reporting.build import build_report
from o3_governance.retention import decide
from o3_governance.scanning import store
from o3_governance.storage import warehouse

AS_OF = date(2026, 11, 24)


def fill(con, n: int) -> None:
    cols = [c for c, _ in warehouse.MESSAGE_COLUMNS]
    values = {
        "message_id": "md5(i::VARCHAR)", "archive_id": "'bench'", "chat_id": "substr(md5((i % 200)::VARCHAR), 1, 16)",
        "chat_name": "'Bench chat ' || (i % 200)::VARCHAR", "source_format": "'android'",
        "sent_at": "TIMESTAMPTZ '2023-12-01 00:00:00+00' + to_seconds(i * (94608000 // $n))",
        "sent_local": "TIMESTAMP '2023-12-01' + to_seconds(i * (94608000 // $n))",
        "local_date": "(TIMESTAMP '2023-12-01' + to_seconds(i * (94608000 // $n)))::DATE",
        "month": "strftime(TIMESTAMP '2023-12-01' + to_seconds(i * (94608000 // $n)), '%Y-%m')",
        "author": "'Bench person ' || (i % 37)::VARCHAR", "author_phone": "NULL",
        "message_type": "CASE WHEN i % 14 = 0 THEN 'media' WHEN i % 97 = 0 THEN 'deleted' ELSE 'text' END",
        "body": "'bench body ' || i::VARCHAR", "attachment": "NULL", "media_sha256": "NULL", "edited": "false",
        "language": "['nl', 'fr', 'en'][1 + i % 3]", "line_no": "i::INTEGER",
    }
    select = ", ".join(values.get(c, "NULL").replace("$n", str(n)) for c in cols)
    con.execute(f"INSERT INTO messages SELECT {select} FROM range({n}) t(i)")
    # The domains' own tables, made by their own schema code (the report reads them through their queries).
    store.ensure_schema(con)
    decide.ensure_schema(con)
    con.execute("INSERT INTO findings SELECT message_id, (['PERSON', 'PHONE_NUMBER', 'LOCATION', 'HEALTH_DATA', "
                "'IBAN_CODE'])[1 + (line_no // 5) % 5], 0, 4, 0.8, 'bench' FROM messages WHERE line_no % 5 = 0")
    con.execute("INSERT INTO retention (message_id, chat_id, rule, action, retain_days, local_date, retain_until, "
                "legal_hold, restricted, anonymised, eligible, as_of) SELECT message_id, chat_id, 'default', 'delete', "
                "730, local_date, local_date + 730, CASE WHEN line_no % 200 = 7 THEN 'bench-hold' END, false, false, "
                f"(local_date + 730 <= DATE '{AS_OF}' AND line_no % 200 <> 7), DATE '{AS_OF}' FROM messages")
    con.execute("INSERT INTO deletion_list_items SELECT 'bench-list', message_id, chat_id, rule, action, retain_until, "
                "local_date FROM retention WHERE eligible")
    con.execute("INSERT INTO deletion_lists (list_id, list_hash, created_at, as_of, status, item_count, delete_count, "
                f"anonymise_count, chat_count) SELECT 'bench-list', 'bench', TIMESTAMPTZ '{AS_OF} 02:00:00+00', "
                f"DATE '{AS_OF}', 'awaiting_approval', count(*), count(*), 0, count(DISTINCT chat_id) "
                "FROM deletion_list_items")


def one(n: int, workdir: Path) -> dict:
    layout = DataLayout(workdir / "data").ensure()
    t0 = time.perf_counter()
    with warehouse.open_warehouse(layout.warehouse) as con:
        fill(con, n)
    fill_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = build_report(layout, AS_OF, DEFAULT_POLICY_FILE, now=datetime.now(timezone.utc), keep_days=365,
                          raw_retention_days=0, approval_warn_days=7)
    elapsed = time.perf_counter() - t0
    sizes = {p.name: p.stat().st_size for p in result.folder.iterdir()}
    return {"messages": result.counts["messages"], "findings": result.counts.get("findings"),
            "deletion_list": result.counts.get("deletion_list_messages"), "fill_s": round(fill_s, 1),
            "report_s": round(elapsed, 2), "html_kb": round(sizes["report.html"] / 1024),
            "deletion_list_csv_mb": round(sizes["deletion_list.csv"] / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one(args.one, Path(tmp))))
        return
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-m", "bench.bench_reporting", "--one", str(n)], capture_output=True,
                             text=True, check=True)
        print(f"report n={n}: {out.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
