"""The nightly job end to end, run the way the schedule runs it, on a generated corpus:

    dagster job execute -m o3_governance.definitions -j nightly_governance

with a temporary DAGSTER_HOME and O3_DATA_DIR. Printed side by side from one run:

- a full night (six exports: android and iOS, each in nl, fr and en), a no-op night (nothing new), and
  a night adding one export of ~2.5 % new messages, as wall time of the whole command;
- Dagster's own start-up: the same command on a job of one empty op;
- for each night, the Dagster events its run wrote and the seconds from the run's start event to its
  end event (the steps), so that start-up, Dagster's per-event work and our own work can be told apart;
- a naive loop of ``AnalyzerEngine.analyze()`` per message (the same engine, models and recognizers)
  on the same bodies, as messages per second, against the full night's end-to-end messages per second;
- opt-in (``--million`` or ``O3_BENCH_MILLION=1``): the full night at 1,000,000 messages, with the
  peak memory of the job's whole process tree (the job and its scan workers, summed), as resident memory
  (pages the forked workers share with the job counted in each) and as proportional memory (PSS: each
  shared page counted once in all), the memory the night actually holds.

Timings share the machine with whatever else runs: compare the ratios of one run, not absolute times.

    python -m bench.bench_nightly                       # 60,000 messages
    python -m bench.bench_nightly --messages 20000 --naive-sample 500
    python -m bench.bench_nightly --million             # and the 1M full night (minutes)
    python -m bench.bench_nightly --million-only        # only the 1M full night
    python -m bench.bench_nightly --profile /tmp/prof   # cProfile files of the job's process per night
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = [(p, lang) for p in ("android", "ios") for lang in ("nl", "fr", "en")]
TRIVIAL_JOB = """import dagster as dg


@dg.op
def nothing():
    return None


@dg.job(executor_def=dg.in_process_executor)
def trivial():
    nothing()
"""


def _pss(pid: int) -> int:
    """Proportional set size (bytes): each page shared by n processes counted 1/n in each, so the sum over
    processes is the memory they use together (the scan workers share the parent's pages after fork)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _tree_memory(root_pid: int) -> tuple[int, int]:
    """Resident memory and proportional memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pid, ppid = int(entry), int(fields[1])
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(ppid, []).append(pid)
        except (OSError, IndexError, ValueError):
            continue
    total, proportional, todo = 0, 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        proportional += _pss(pid)
        todo.extend(children.get(pid, ()))
    return total, proportional


def timed(cmd: list[str], env: dict[str, str], cwd: Path, profile: Path | None = None) -> dict:
    """Wall time, exit code and peak memory of the process tree of ``cmd``."""
    if profile is not None:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(profile)] + cmd
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0, 0]
    done = threading.Event()

    def watch():
        while not done.is_set():
            rss, pss = _tree_memory(proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            done.wait(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - t0
    done.set()
    watcher.join()
    if proc.returncode != 0:
        sys.stderr.write(err[-4000:])
    return {"seconds": round(seconds, 2), "rc": proc.returncode, "peak_mb": round(peak[0] / 2**20), "peak_pss_mb": round(peak[1] / 2**20)}


def last_run(home: Path) -> dict:
    """Of the instance's latest run: the Dagster events it wrote (each is a write to the instance's
    storage) and the seconds from its start event to its end event (the steps; the rest of the wall
    time is the process starting, imports and loading the definitions)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.get_runs(limit=1)[0]
        records = instance.all_logs(run.run_id)
    at = {r.dagster_event.event_type_value: r.timestamp for r in records if r.dagster_event}
    end = at.get("PIPELINE_SUCCESS", at.get("PIPELINE_FAILURE"))
    return {"events": len(records),
            "in_run_seconds": round(end - at["PIPELINE_START"], 2) if end and "PIPELINE_START" in at else None}


def dagster_cmd(job: str, *target: str) -> list[str]:
    return [str(Path(sys.executable).with_name("dagster")), "job", "execute", *target, "-j", job]


def _letters(n: int) -> str:
    """A word no language has (``qz`` and letters from ``jkqwxz``), one for each ``n``."""
    out = "qz"
    while True:
        n, r = divmod(n, 6)
        out += "jkqwxz"[r]
        if not n:
            return out


def _placeholders() -> tuple[str, ...]:
    """Every placeholder text of the exports (media, attachments, deleted, edited): left as they are."""
    from o3_governance.demo import formats as F

    out: list[str] = []

    def strings(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                strings(v)

    for name, value in vars(F).items():
        if name.isupper() and isinstance(value, dict):
            strings(value)
    return tuple(p.split("{")[0].strip() for p in out if p and p.split("{")[0].strip())


_HEADER = re.compile(r"^\u200e?(?:\[[^\]]{8,40}\] |\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4},? [^-]{4,20} - )[^:]{1,60}: ")


def make_distinct(path: Path, every: int, start: int) -> int:
    """Appends a distinct lower-case word (``ref qz…``: nothing a recognizer finds) to every
    ``every``-th text message, so that the corpus has as many distinct bodies as a real one; returns the
    next counter. Placeholders, deleted and system lines are left alone."""
    placeholders = _placeholders()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n, k = start, 0
    for i, line in enumerate(lines):
        head = _HEADER.match(line)
        if not head or any(p in line for p in placeholders):
            continue
        k += 1
        if k % every:
            continue
        body_end = len(line.rstrip("\r\n"))
        lines[i] = f"{line[:body_end]} ref {_letters(n)}{line[body_end:]}"
        n += 1
    path.write_text("".join(lines), encoding="utf-8")
    return n


def write_corpus(inbox: Path, messages: int, seed: int, distinct_every: int = 3, counter: int = 0) -> int:
    """Six exports (android and iOS in nl, fr and en), about half the bodies distinct."""
    from o3_governance.demo import generate_bench_export

    total = 0
    for k, (platform, language) in enumerate(FORMATS):
        path = inbox / f"WhatsApp Chat with Bench {platform} {language}.txt"
        total += generate_bench_export(path, messages // len(FORMATS), seed=seed + k, platform=platform,
                                       language=language).messages
        counter = make_distinct(path, distinct_every, counter + 1_000_000 * k)
    return total


def warehouse_counts(data: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT body) FROM messages").fetchone()
        scanned = con.execute("SELECT count(*) FROM scan_state").fetchone()[0]
        findings = con.execute("SELECT count(*) FROM findings").fetchone()[0]
    finally:
        con.close()
    return {"messages": n, "distinct_bodies": distinct, "scan_state_rows": scanned, "findings": findings}


def sample_bodies(data: Path, n: int, seed: int) -> list[tuple[str, str]]:
    import duckdb

    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT body, coalesce(language, 'nl') FROM messages WHERE message_type = 'text' "
                           "AND body IS NOT NULL").fetchall()
    finally:
        con.close()
    random.Random(seed).shuffle(rows)
    return rows[:n]


NAIVE = """
import json, sys, time
from presidio_analyzer import AnalyzerEngine
from o3_governance.scanning import engine as E
items = json.load(open(sys.argv[1]))
people = json.load(open(sys.argv[2]))
out = {}
scanner = E.build_scanner(people)
for lang in E.LANGUAGES:
    scanner.nlp_engine.get_nlp(lang)
# Presidio's own loading: the French model with every component, as SpacyNlpEngine loads it
nlp = E.OfflineSpacyNlpEngine(exclude=[], lazy=False)
nlp.load()
presidio = AnalyzerEngine(registry=E.build_registry(people), nlp_engine=nlp, supported_languages=list(E.LANGUAGES),
                          default_score_threshold=E.SCORE_THRESHOLD)
for name, analyzer in (("presidio_loading", presidio), ("same_engine", scanner.analyzer)):
    for lang in E.LANGUAGES:
        analyzer.analyze(text="Warm-up Marc", language=lang)
    t0 = time.perf_counter()
    for text, lang in items:
        analyzer.analyze(text=text, language=lang)
    out[name] = time.perf_counter() - t0
print(json.dumps({"messages": len(items), **out}))
"""


def naive_rate(data: Path, tmp: Path, n: int, env: dict[str, str]) -> dict:
    """Messages per second of plain ``analyze()`` calls, one per message, on a sample of the corpus's bodies."""
    import duckdb

    items = sample_bodies(data, n, seed=7)
    con = duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)
    try:
        from o3_governance.scanning.store import known_people_from_authors

        people = known_people_from_authors(con)
    finally:
        con.close()
    (tmp / "naive.json").write_text(json.dumps(items), encoding="utf-8")
    (tmp / "people.json").write_text(json.dumps(people), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", NAIVE, str(tmp / "naive.json"), str(tmp / "people.json")],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    return {"messages": r["messages"], "seconds": round(r["presidio_loading"], 2),
            "messages_per_s": round(r["messages"] / r["presidio_loading"], 1),
            "same_engine_messages_per_s": round(r["messages"] / r["same_engine"], 1)}


def run_nights(messages: int, naive_sample: int, profile: Path | None, with_increment: bool = True) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="o3-bench-nightly-"))
    try:
        home, data = tmp / "dagster_home", tmp / "data"
        home.mkdir()
        if (ROOT / "dagster_home" / "dagster.yaml").exists():
            shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        (data / "inbox").mkdir(parents=True)
        env = dict(os.environ, DAGSTER_HOME=str(home), O3_DATA_DIR=str(data), PYTHONHASHSEED="0")
        for var in ("O3_DIRECTORY_FILE", "O3_POLICY_FILE", "O3_AS_OF"):
            env.pop(var, None)
        t0 = time.perf_counter()
        generated = write_corpus(data / "inbox", messages, seed=1)
        out: dict = {"generated_messages": generated, "generate_seconds": round(time.perf_counter() - t0, 1)}

        (tmp / "trivial.py").write_text(TRIVIAL_JOB, encoding="utf-8")
        out["dagster_startup"] = timed(dagster_cmd("trivial", "-f", str(tmp / "trivial.py")), env, ROOT)
        out["dagster_startup"].update(last_run(home))
        nightly = dagster_cmd("nightly_governance", "-m", "o3_governance.definitions")
        prof = (lambda name: None) if profile is None else (lambda name: profile / f"{name}.prof")
        out["full_night"] = timed(nightly, env, ROOT, prof("full"))
        out["full_night"].update(last_run(home))
        out["after_full"] = warehouse_counts(data)
        out["noop_night"] = timed(nightly, env, ROOT, prof("noop"))
        out["noop_night"].update(last_run(home))
        if with_increment:
            from o3_governance.demo import generate_bench_export

            extra = max(1, round(out["after_full"]["messages"] * 0.025))
            generate_bench_export(data / "inbox" / "WhatsApp Chat with Bench increment.txt", extra, seed=99,
                                  platform="android", language="nl")
            out["increment_night"] = timed(nightly, env, ROOT, prof("increment"))
            out["increment_night"].update(last_run(home))
            out["increment_night"]["new_messages"] = warehouse_counts(data)["messages"] - out["after_full"]["messages"]
        if naive_sample:
            out["naive"] = naive_rate(data, tmp, naive_sample, env)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=60_000)
    ap.add_argument("--naive-sample", type=int, default=2000)
    ap.add_argument("--million", action="store_true", default=os.environ.get("O3_BENCH_MILLION") == "1",
                    help="also the full night at 1,000,000 messages (minutes)")
    ap.add_argument("--profile", type=Path, help="write cProfile files of each night's job process here")
    ap.add_argument("--million-only", action="store_true", help="only the 1M full night")
    args = ap.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.million_only:
        m = run_nights(1_000_000, 0, None, with_increment=False)
        print(f"1M messages ({m['after_full']['distinct_bodies']:,} distinct bodies): full night "
              f"{m['full_night']['seconds']} s, peak memory {m['full_night']['peak_mb']:,} MB resident (job and "
              f"workers summed, shared pages counted in each), {m['full_night']['peak_pss_mb']:,} MB proportional "
              f"(shared pages counted once); no-op night {m['noop_night']['seconds']} s")
        print(json.dumps(m))
        sys.exit(1 if m["full_night"]["rc"] or m["noop_night"]["rc"] else 0)
    r = run_nights(args.messages, args.naive_sample, args.profile)
    full, noop = r["full_night"], r["noop_night"]
    n = r["after_full"]["messages"]
    e2e = n / full["seconds"]
    rows = [("messages (full night)", f"{n:,} ({r['after_full']['distinct_bodies']:,} distinct bodies, six exports)"),
            ("full night", f"{full['seconds']} s  ({e2e:,.0f} messages/s end to end, peak {full['peak_mb']} MB "
                           f"resident summed, {full['peak_pss_mb']} MB proportional)"),
            ("no-op night", f"{noop['seconds']} s  ({noop['in_run_seconds']} s from run start to end, "
                            f"{noop['events']} Dagster events)"),
            ("Dagster start-up alone (one empty op)", f"{r['dagster_startup']['seconds']} s  "
                                                      f"({r['dagster_startup']['in_run_seconds']} s in the run, "
                                                      f"{r['dagster_startup']['events']} events)"),
            ("no-op night minus Dagster start-up", f"{noop['seconds'] - r['dagster_startup']['seconds']:.2f} s")]
    if "increment_night" in r:
        inc = r["increment_night"]
        rows.append((f"+{inc['new_messages']:,} messages night ({inc['new_messages'] / n:.1%})",
                     f"{inc['seconds']} s  ({inc['seconds'] / full['seconds']:.0%} of the full night; "
                     f"{inc['in_run_seconds']} s from run start to end)"))
    if "naive" in r:
        nv = r["naive"]
        rows.append(("naive analyze() per message", f"{nv['messages_per_s']:,} messages/s (fr_core_news_sm as "
                                                    f"Presidio loads it; sample of {nv['messages']:,} bodies)"))
        rows.append(("full night end to end vs naive", f"{e2e / nv['messages_per_s']:.1f}×"))
        rows.append(("  (vs analyze() on the scanner's own engine)", f"{e2e / nv['same_engine_messages_per_s']:.1f}× "
                                                                      f"({nv['same_engine_messages_per_s']:,} messages/s)"))
    width = max(len(k) for k, _ in rows) + 2
    for k, v in rows:
        print(f"{k:<{width}}  {v}", flush=True)
    if args.million:
        m = run_nights(1_000_000, 0, None, with_increment=False)
        r["million"] = m
        print(f"{'1M messages: full night':<{width}}  {m['full_night']['seconds']} s, peak memory "
              f"{m['full_night']['peak_mb']:,} MB resident, {m['full_night']['peak_pss_mb']:,} MB proportional "
              f"(job and workers summed; "
              f"{m['after_full']['distinct_bodies']:,} distinct bodies)")
    print(json.dumps(r))
    failed = [k for k in ("full_night", "noop_night", "increment_night", "dagster_startup") if r.get(k, {}).get("rc")]
    if failed or r.get("million", {}).get("full_night", {}).get("rc"):
        print(f"failed: {failed or ['million']}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
