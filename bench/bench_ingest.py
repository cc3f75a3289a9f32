"""Ingest throughput and peak memory: one generated export of N messages, end to end into the
Parquet lake and DuckDB, each size in its own process so peak RSS belongs to that size alone.

    python -m bench.bench_ingest                # 250k and 1M messages
    python -m bench.bench_ingest --sizes 100000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path


def one(n: int, workdir: Path) -> dict:
    from o3_governance.storage.layout import DataLayout
    from o3_governance.demo import generate_bench_export
    from o3_governance.ingest import ingest_inbox

    layout = DataLayout(workdir / "data").ensure()
    export = layout.inbox / "WhatsApp Chat with Bench Werf.txt"
    t0 = time.perf_counter()
    generate_bench_export(export, n_messages=n, seed=1)
    gen_s = time.perf_counter() - t0
    size_mb = export.stat().st_size / 1e6
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    summary = ingest_inbox(layout, now=datetime.now(timezone.utc))
    elapsed = time.perf_counter() - t0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (a,) = summary.archives
    return {"messages": a.message_count, "new": a.new_message_count, "status": a.status, "file_mb": round(size_mb, 1),
            "generate_s": round(gen_s, 1), "ingest_s": round(elapsed, 2),
            "messages_per_s": round(a.message_count / elapsed), "peak_rss_mb": round(rss_peak),
            "rss_before_ingest_mb": round(rss_before)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[250_000, 1_000_000, 2_000_000])
    ap.add_argument("--child", type=int, default=None)
    args = ap.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(one(args.child, Path(tmp))))
        return
    print(f"ingest benchmark on {os.cpu_count()} cores")
    for n in args.sizes:
        out = subprocess.run([sys.executable, "-m", "bench.bench_ingest", "--child", str(n)],
                             check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(out)
        print(f"  {r['messages']:>9,} messages ({r['file_mb']} MB export): {r['ingest_s']} s ingest, "
              f"{r['messages_per_s']:,} messages/s, peak RSS {r['peak_rss_mb']} MB "
              f"(status {r['status']}, {r['new']:,} new)", flush=True)


if __name__ == "__main__":
    main()
