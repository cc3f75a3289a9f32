"""Runs every benchmark in turn: ``python -m bench`` (what ``make bench`` calls)."""
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHES = ["bench_demo", "bench_parsing", "bench_ingest", "bench_scanning", "bench_reporting", "bench_rights", "bench_retention"]

if __name__ == "__main__":
    only = sys.argv[1:]
    for name in BENCHES:
        if only and name not in only:
            continue
        if not (HERE / f"{name}.py").exists():
            print(f"[{name}] missing", file=sys.stderr)
            continue
        print(f"== {name} ==", flush=True)
        runpy.run_module(f"bench.{name}", run_name="__main__")
