"""Runs every benchmark in turn, each in its own process: ``python -m bench`` (what ``make bench`` calls).
``python -m bench bench_ingest bench_scanning`` runs only those."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = ["bench_demo", "bench_parsing", "bench_ingest", "bench_scanning", "bench_reporting", "bench_rights",
           "bench_retention", "bench_attachments", "bench_nightly"]

if __name__ == "__main__":
    only = sys.argv[1:]
    failed = []
    for name in BENCHES:
        if only and name not in only:
            continue
        print(f"== {name} ==", flush=True)
        # A process each: benchmarks set environment variables and load models of their own.
        if subprocess.run([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)
