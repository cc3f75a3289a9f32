"""Scanning speed, side by side on the same generated messages:

1. the nightly job's scanning step (``scan_warehouse``: skips, dedupe, batched spaCy, two processes)
   against a naive loop of ``AnalyzerEngine.analyze()`` per message with the same engine (the same
   models and recognizers), as messages per second;
2. an incremental night (1 % new messages) against the full night, as a share of its cost.

Each night runs in a fresh process, as a nightly Dagster run would, so engine start-up is counted.

    python -m bench.bench_scanning                    # 300k demo messages, then 300k distinct bodies
    python -m bench.bench_scanning --messages 1000000  # both scenarios at 1M messages
    python -m bench.bench_scanning --messages 20000 --naive-sample 1000
    python -m bench.bench_scanning --scenario distinct  # no repeated bodies: the engine alone
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

CHATS = {"nl": ("Werf Leuven", "Wout Van den Broeck", "Sofie Janssens", "Kevin De Smet", "Geert Wuyts"),
         "fr": ("Client Bruxelles", "Marc Lemaire", "Isabelle Moreau", "Anne-Sophie Lambert", "Yannick Dubois"),
         "en": ("Supplier LumenPro", "Daan de Vries", "Klaus Becker", "Pieter Maes", "Lotte Claes")}
PLACEHOLDERS = {"nl": "<Media weggelaten>", "fr": "<Médias omis>", "en": "<Media omitted>"}
SYSTEM = {"nl": "Berichten en oproepen worden end-to-end versleuteld.", "fr": "Les messages sont chiffrés de bout en bout.",
          "en": "Messages and calls are end-to-end encrypted."}


def bench_messages(n: int, seed: int):
    """(body, language) pairs from the project's demo generator when present, else a local stand-in."""
    try:
        from o3_governance.demo import generate_bench_messages
    except ImportError:  # the demo generator is optional for this benchmark
        generate_bench_messages = None
    if generate_bench_messages is not None:
        yield from generate_bench_messages(n, seed=seed)
        return
    rng = random.Random(seed)
    words = {"nl": "de werf kabels morgen levering klant offerte planning bel ik ben om uur".split(),
             "fr": "le chantier câbles demain livraison client devis planning appelle je suis à heure".split(),
             "en": "the site cables tomorrow delivery client quote planning call I am at hour".split()}
    for _ in range(n):
        lang = rng.choice(("nl", "nl", "fr", "en"))
        yield " ".join(rng.choice(words[lang]) for _ in range(rng.randint(2, 14))), lang


def message_rows(n: int, seed: int, prefix: str, distinct: bool = False) -> pa.Table:
    """Messages as ingest writes them: mostly text, with media placeholders, system lines and
    deleted messages in about the demo exports' proportions (7 %, 0.2 %, 1.2 %)."""
    import hashlib

    from o3_governance.storage.warehouse import MESSAGE_COLUMNS

    rng = random.Random(seed + 1)
    cols: dict[str, list] = {name: [] for name, _ in MESSAGE_COLUMNS}
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for i, (body, lang) in enumerate(bench_messages(n, seed)):
        if distinct:  # every body different: measures the engine without the help of repeated texts
            body = f"{body} {''.join(rng.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(6))}"
        chat, *authors = CHATS[lang]
        r = rng.random()
        mtype = "text"
        if r < 0.07:
            mtype, body = "media", PLACEHOLDERS[lang]
        elif r < 0.072:
            mtype, body = "system", SYSTEM[lang]
        elif r < 0.084:
            mtype, body = "deleted", None
        sent = t0 + timedelta(seconds=i * 37)
        row = {"message_id": f"{prefix}{i:09d}", "archive_id": "bench", "chat_id": hashlib.sha256(chat.encode()).hexdigest()[:16],
               "chat_name": chat, "source_format": "android", "sent_at": sent, "sent_local": sent.replace(tzinfo=None),
               "local_date": sent.date(), "month": sent.strftime("%Y-%m"), "author": rng.choice(authors),
               "author_phone": None, "message_type": mtype, "body": body, "attachment": None, "media_sha256": None,
               "edited": False, "language": lang, "line_no": i}
        for k in cols:   # columns the row does not set (author_id, content_key) stay null
            cols[k].append(row.get(k))
    return pa.table(cols)


def insert(db: Path, table: pa.Table) -> None:
    from o3_governance.storage.warehouse import open_warehouse

    with open_warehouse(db) as con:
        con.register("_bench_rows", table)
        con.execute("INSERT INTO messages SELECT * FROM _bench_rows")
        con.unregister("_bench_rows")


def child_night(db: Path) -> dict:
    t0 = time.perf_counter()
    from o3_governance.scanning import scan_warehouse
    from o3_governance.storage.warehouse import open_warehouse

    with open_warehouse(db) as con:
        s = scan_warehouse(con, workers=2)
        total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    return {"seconds": time.perf_counter() - t0, "scan_seconds": s.seconds, "due": s.due, "scanned": s.scanned,
            "skipped": s.skipped, "unique": s.unique_texts, "reused": s.reused_texts, "workers": s.workers,
            "findings": s.findings_written,
            "messages": total}


def child_naive(db: Path, sample: int, full_pipeline: bool) -> dict:
    """``AnalyzerEngine.analyze()`` once per message, in message order, on one core: what a first
    version would do. Engine construction is not counted against it. ``full_pipeline``: the French
    model with every component, as Presidio's ``SpacyNlpEngine`` loads it; otherwise the scanner's own
    engine (NER components only)."""
    from presidio_analyzer import AnalyzerEngine

    from o3_governance.scanning import engine as E
    from o3_governance.scanning.scan import analyze_one
    from o3_governance.scanning.store import known_people_from_authors
    from o3_governance.storage.warehouse import open_warehouse

    with open_warehouse(db, read_only=True) as con:
        people = known_people_from_authors(con)
        rows = con.execute("SELECT body, language FROM messages ORDER BY line_no LIMIT ?", [sample]).fetchall()
    t_build = time.perf_counter()
    scanner = E.build_scanner(people)
    for lang in E.LANGUAGES:  # the scanner loads pipelines on first use: not inside the timed loop
        scanner.nlp_engine.get_nlp(lang)
    build_seconds = time.perf_counter() - t_build
    if full_pipeline:
        nlp = E.OfflineSpacyNlpEngine(exclude=[], lazy=False)
        nlp.load()
        scanner.analyzer = AnalyzerEngine(registry=E.build_registry(people), nlp_engine=nlp,
                                          supported_languages=list(E.LANGUAGES),
                                          default_score_threshold=E.SCORE_THRESHOLD)
    t0 = time.perf_counter()
    findings = 0
    for body, lang in rows:
        if body:
            findings += len(analyze_one(scanner, body, lang or "nl"))
    elapsed = time.perf_counter() - t0
    return {"seconds": elapsed, "messages": len(rows), "findings": findings, "build_seconds": build_seconds}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.bench_scanning", *args], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    return json.loads(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=0, help="messages per scenario (default 300,000)")
    ap.add_argument("--scenario", choices=["demo", "distinct", "both"], default="both",
                    help="demo generator's bodies as they come, every body made distinct, or both (default)")
    ap.add_argument("--naive-sample", type=int, default=3_000)
    ap.add_argument("--new-share", type=float, default=0.01)
    ap.add_argument("--distinct", action="store_true", help="same as --scenario distinct")
    ap.add_argument("--child", choices=["night", "naive", "naive-full"])
    ap.add_argument("--db")
    args, _ = ap.parse_known_args()  # `python -m bench bench_scanning` passes the bench's name through
    if args.child == "night":
        print(json.dumps(child_night(Path(args.db))))
        return
    if args.child in ("naive", "naive-full"):
        print(json.dumps(child_naive(Path(args.db), args.naive_sample, args.child == "naive-full")))
        return

    size = args.messages or 300_000
    kinds = ["distinct"] if args.distinct else {"demo": ["demo"], "distinct": ["distinct"],
                                                 "both": ["demo", "distinct"]}[args.scenario]
    summary = [scenario(size, args.naive_sample, args.new_share, distinct=(kind == "distinct")) for kind in kinds]
    print(f"SUMMARY ({size:,} messages, {os.cpu_count()} cores; targets: nightly/naive >= 10x, incremental/full <= 10%)")
    for kind, r in zip(kinds, summary):
        label = "demo bodies (repeats)" if kind == "demo" else "every body distinct"
        print(f"  {label:<22} nightly/naive (Presidio's loading) {r['speedup']:5.1f}x   "
              f"(same engine {r['speedup_same']:5.1f}x)   incremental/full {r['incremental']:6.1%}", flush=True)


def scenario(messages: int, naive_sample: int, new_share: float, distinct: bool) -> dict:
    print(f"scanning benchmark on {os.cpu_count()} cores, {messages:,} messages"
          f"{' (every body made distinct)' if distinct else ''}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        insert(db, message_rows(messages, seed=1, prefix="m", distinct=distinct))
        naive_full = run_child("--child", "naive-full", "--db", str(db), "--naive-sample", str(naive_sample))
        full_rate_naive = naive_full["messages"] / naive_full["seconds"]
        print(f"  naive analyze() loop, fr_core_news_sm as Presidio loads it: {naive_full['messages']:,} messages in "
              f"{naive_full['seconds']:.1f} s = {full_rate_naive:,.0f} messages/s (1 core)", flush=True)
        naive = run_child("--child", "naive", "--db", str(db), "--naive-sample", str(naive_sample))
        naive_rate = naive["messages"] / naive["seconds"]
        print(f"  naive analyze() loop, the scanner's own engine:           {naive['messages']:,} messages in "
              f"{naive['seconds']:.1f} s = {naive_rate:,.0f} messages/s (1 core); building that engine took "
              f"{naive['build_seconds']:.1f} s", flush=True)
        full = run_child("--child", "night", "--db", str(db))
        full_rate = full["messages"] / full["seconds"]
        print(f"  nightly scan (full):  {full['messages']:,} messages in {full['seconds']:.1f} s = {full_rate:,.0f} "
              f"messages/s ({full['workers']} processes; {full['scanned']:,} scanned, {full['skipped']:,} skipped, "
              f"{full['unique']:,} distinct texts, {full['findings']:,} findings)", flush=True)
        print(f"  RATIO nightly / naive (Presidio's loading): {full_rate / full_rate_naive:.1f}x  (target >= 10x)",
              flush=True)
        print(f"  RATIO nightly / naive (same engine):        {full_rate / naive_rate:.1f}x", flush=True)
        new = max(1, int(messages * new_share))
        insert(db, message_rows(new, seed=2, prefix="n", distinct=distinct))
        inc = run_child("--child", "night", "--db", str(db))
        print(f"  incremental night:    {inc['due']:,} new messages in {inc['seconds']:.1f} s "
              f"({inc['unique']:,} distinct new texts analysed, {inc['reused']:,} seen before, "
              f"{inc['workers']} process(es))", flush=True)
        print(f"  RATIO incremental / full night: {inc['seconds'] / full['seconds']:.1%}  (target <= 10%)", flush=True)
        again = run_child("--child", "night", "--db", str(db))
        print(f"  night with nothing new: {again['seconds']:.1f} s ({again['due']} due)", flush=True)
    return {"speedup": full_rate / full_rate_naive, "speedup_same": full_rate / naive_rate,
            "incremental": inc["seconds"] / full["seconds"]}


if __name__ == "__main__":
    main()
