"""Where a night's time goes: cProfile on a full night and on a 1 % night (the nightly job run as the
schedule runs it, on a generated corpus), and on the scan itself in one process (the worker processes'
work, which a profile of the job's process only sees as waiting). Exclusive time is summed per part:
imports, Dagster, DuckDB, language detection, spaCy, Presidio, our recognizers, the scan's Python glue.

    python -m bench.profile_nightly                    # 20,000 messages
    python -m bench.profile_nightly --messages 60000 --scan-sample 5000

Not part of ``make bench`` (profiling slows everything); its output goes into docs/DEVELOPING.md.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
from pathlib import Path

from bench.bench_nightly import ROOT, dagster_cmd, sample_bodies, timed, write_corpus

PARTS = [  # (part, substrings of the file path), first match wins
    ("imports (module loading)", ("<frozen ", "importlib/", "_imp.create_dynamic", "marshal.loads", "posix.stat",
                                  "_io.open_code", "builtins.__build_class__", "_imp.exec_dynamic", "posix.listdir",
                                  "pkg_resources", "importlib_metadata")),
    ("Dagster (run, events, storage)", ("/dagster/", "/dagster_shared/", "/sqlalchemy/", "/alembic/", "sqlite3")),
    ("DuckDB", ("duckdb",)),
    ("pyarrow / Parquet", ("pyarrow",)),
    ("language detection", ("py3langid", "scanning/language.py")),
    ("spaCy / thinc", ("/spacy/", "/thinc/", "spacy_", "fr_core_news", "srsly", "numpy", "cymem", "preshed")),
    ("Presidio (analyzer, enhancer)", ("presidio_analyzer",)),
    ("our recognizers (regex, terms, names)", ("scanning/recognizers.py", "scanning/special.py", "simplemma",
                                               "phonenumbers", "stdnum", "tldextract", "/re/", "sre_", "{method 'finditer'",
                                               "{method 'search'", "{method 'match'", "{method 'sub'")),
    ("scan glue (scan.py, store.py, pool, workers)", ("scanning/",)),
    ("waiting on worker processes / threads", ("acquire' of '_thread.lock", "threading.py", "concurrent/futures")),
    ("ingest, parsing, retention, reporting", ("o3_governance/",)),
]


def breakdown(stats: pstats.Stats, others: list | None = None) -> list[tuple[str, float]]:
    totals: dict[str, float] = {}
    for (file, _line, func), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{file} {func}"
        part = next((name for name, keys in PARTS if any(k in where for k in keys)), "other Python")
        totals[part] = totals.get(part, 0.0) + tt
        if part == "other Python" and others is not None:
            others.append((tt, where))
    return sorted(totals.items(), key=lambda kv: -kv[1])


def show(title: str, stats: pstats.Stats) -> None:
    total = sum(tt for _, tt in breakdown(stats))
    print(f"\n### {title}: {total:.1f} s of profiled time")
    print("| part | seconds | share |\n|---|---|---|")
    others: list = []
    for part, tt in breakdown(stats, others):
        if tt / total >= 0.005:
            print(f"| {part} | {tt:.1f} | {tt / total:.0%} |")
    print("largest of 'other Python': " + "; ".join(f"{w.split('site-packages/')[-1]} {tt:.2f} s"
                                                    for tt, w in sorted(others, reverse=True)[:6]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--scan-sample", type=int, default=3000)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="o3-profile-"))
    try:
        home, data = tmp / "dagster_home", tmp / "data"
        home.mkdir()
        (data / "inbox").mkdir(parents=True)
        env = dict(os.environ, DAGSTER_HOME=str(home), O3_DATA_DIR=str(data), PYTHONHASHSEED="0")
        n = write_corpus(data / "inbox", args.messages, seed=1)
        nightly = dagster_cmd("nightly_governance", "-m", "o3_governance.definitions")
        full = timed(nightly, env, ROOT, tmp / "full.prof")
        from o3_governance.demo import generate_bench_export

        generate_bench_export(data / "inbox" / "WhatsApp Chat with Bench one percent.txt", max(1, n // 100), seed=98,
                              platform="ios", language="fr")
        one = timed(nightly, env, ROOT, tmp / "one.prof")
        print(f"{n:,} messages: full night {full['seconds']} s, 1 % night {one['seconds']} s (wall, under cProfile)")
        show("full night, the job's process", pstats.Stats(str(tmp / "full.prof")))
        show("1 % night, the job's process", pstats.Stats(str(tmp / "one.prof")))

        items = [(body, None) for body in dict.fromkeys(b for b, _ in sample_bodies(data, args.scan_sample, seed=3))]
        from o3_governance.scanning import worker

        worker.local_scanner([])   # the engine's start-up is in the nights above; here only the scan
        prof = cProfile.Profile()
        prof.enable()
        worker.scan_here([], items)
        prof.disable()
        show(f"the scan of {len(items):,} bodies in one process (what each worker does)", pstats.Stats(prof))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
