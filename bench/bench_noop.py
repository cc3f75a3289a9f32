"""A night with nothing new, of two versions of the code, interleaved with Dagster's own start-up:

    python -m bench.bench_noop --before /tmp/noop-before --rounds 7 --messages 6000

``--before`` is a checkout of the code to compare with (``git archive <commit> | tar -x -C DIR``); the
code after is this checkout. One corpus (``bench_nightly.write_corpus``) gets a full night with the code
before; its data folder and Dagster home are copied twice, and each copy gets two more nights with its
own version of the code, so that both are settled (a version whose scanner code differs rescans every
text once, which is not what is measured). Then, round after round, in an order that rotates: the no-op
night of the code before (on its copy), of the code after (on its copy), and the job of one empty op
(``bench_nightly.TRIVIAL_JOB``). Wall and CPU seconds (user + system) of each process, their medians,
and the load average. Timings share the machine with whatever else runs: compare within one run.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_nightly import ROOT, TRIVIAL_JOB, dagster_cmd, write_corpus

NIGHTLY = ("nightly_governance", "-m", "o3_governance.definitions")


def _env(copy: Path, code: Path) -> dict[str, str]:
    env = dict(os.environ, DAGSTER_HOME=str(copy / "dagster_home"), O3_DATA_DIR=str(copy / "data"),
               PYTHONHASHSEED="0", PYTHONPATH=str(code))
    for var in ("O3_DIRECTORY_FILE", "O3_POLICY_FILE", "O3_AS_OF"):
        env.pop(var, None)
    return env


def _run(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one process (and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, required=True, help="a checkout of the code to compare with")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--messages", type=int, default=6000)
    args = ap.parse_args()
    codes = {"before": args.before.resolve(), "after": ROOT}
    tmp = Path(tempfile.mkdtemp(prefix="o3-bench-noop-"))
    try:
        start = tmp / "start"
        (start / "dagster_home").mkdir(parents=True)
        (start / "data" / "inbox").mkdir(parents=True)
        if (ROOT / "dagster_home" / "dagster.yaml").exists():
            shutil.copy(ROOT / "dagster_home" / "dagster.yaml", start / "dagster_home" / "dagster.yaml")
        write_corpus(start / "data" / "inbox", args.messages, seed=1)
        _run(dagster_cmd(*NIGHTLY), _env(start, codes["before"]), codes["before"])
        copies = {name: tmp / name for name in ("before", "after", "trivial")}
        for copy in copies.values():
            shutil.copytree(start, copy)
        for _ in range(2):
            for name in ("before", "after"):
                _run(dagster_cmd(*NIGHTLY), _env(copies[name], codes[name]), codes[name])
        (tmp / "trivial.py").write_text(TRIVIAL_JOB, encoding="utf-8")
        commands = {name: (dagster_cmd(*NIGHTLY), _env(copies[name], codes[name]), codes[name])
                    for name in ("before", "after")}
        commands["trivial"] = (dagster_cmd("trivial", "-f", str(tmp / "trivial.py")),
                               _env(copies["trivial"], ROOT), ROOT)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        loads = []
        names = list(commands)
        for i in range(args.rounds):
            loads.append(os.getloadavg()[0])
            for name in names[i % 3:] + names[:i % 3]:
                results[name].append(_run(*commands[name]))
            print(f"round {i + 1} at {time.strftime('%H:%M:%S', time.gmtime())} UTC, load {loads[-1]:.2f}: " +
                  ", ".join(f"{n} {w:.2f} s ({c:.2f} CPU)" for n, (w, c) in ((n, results[n][-1]) for n in names)),
                  flush=True)
        loads.append(os.getloadavg()[0])
        med = {n: (statistics.median(w for w, _ in r), statistics.median(c for _, c in r)) for n, r in results.items()}
        for n, (w, c) in med.items():
            print(f"{n}: median {w:.2f} s wall, {c:.2f} s CPU")
        print(f"beyond the trivial job: {med['before'][0] - med['trivial'][0]:.2f} s before, "
              f"{med['after'][0] - med['trivial'][0]:.2f} s after (wall); CPU "
              f"{med['before'][1] - med['trivial'][1]:.2f} → {med['after'][1] - med['trivial'][1]:.2f} s; "
              f"load average (1 min) {min(loads):.2f}–{max(loads):.2f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
