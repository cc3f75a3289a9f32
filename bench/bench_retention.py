"""Retention and disposal at scale: one generated export of N messages is ingested, findings are
planted on 2 % of the messages (half of them special-category), then we time

- the nightly decision (``retention`` + ``deletion_list``) with the default policy and a subject hold,
- applying the list: deletion and anonymisation through ``purge`` (lake rewrite, warehouse, compaction).

    python -m bench.bench_retention                  # 250k messages
    python -m bench.bench_retention --messages 1000000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

POLICY = """
rules:
  - {name: sensitive, match: {special_category: true}, retain_days: 30, action: anonymise}
  - {name: system, match: {message_type: [system, deleted]}, retain_days: 90, action: delete}
  - {name: media, match: {message_type: [media]}, retain_days: 1825, action: delete}
  - {name: default, retain_days: 730, action: delete}
legal_holds:
  - {name: person-hold, subjects: ["+32 471 55 66 77", "Jan Janssens"]}
"""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)  # the bench is an entry point: it reads the clock


def run(n: int, workdir: Path) -> dict:
    from o3_governance.storage import warehouse
    from o3_governance.storage.layout import DataLayout
    from o3_governance.demo import generate_bench_export
    from o3_governance.ingest import ingest_inbox
    from o3_governance.retention import decide, dispose
    from o3_governance.retention.policy import parse_policy
    from o3_governance.rights.register import record_affected_exports

    layout = DataLayout(workdir / "data").ensure()
    generate_bench_export(layout.inbox / "WhatsApp Chat with Bench Werf.txt", n_messages=n, seed=1)
    ingest_inbox(layout, now=datetime.now(timezone.utc))  # the bench is an entry point: it reads the clock
    policy = parse_policy(POLICY)
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute('CREATE TABLE IF NOT EXISTS findings (message_id VARCHAR, entity_type VARCHAR, start INTEGER, '
                    '"end" INTEGER, score DOUBLE, recognizer VARCHAR)')
        con.execute("""INSERT INTO findings SELECT message_id,
                           CASE WHEN hash(message_id) % 2 = 0 THEN 'HEALTH_DATA' ELSE 'PERSON' END, 0,
                           least(length(body), 5), 0.9, 'bench'
                       FROM messages WHERE message_type = 'text' AND length(body) > 5 AND hash(message_id) % 50 = 0""")
        messages = con.execute("SELECT count(*) FROM messages").fetchall()[0][0]
        # As of two years after the median message: about half of the chat falls due at once.
        as_of = con.execute("SELECT CAST(quantile_disc(local_date, 0.5) + 730 AS DATE) FROM messages").fetchall()[0][0]
        t0 = time.perf_counter()
        summary = decide.compute(con, policy, as_of, now=_utc_now())
        decide_s = time.perf_counter() - t0
        con.execute("CHECKPOINT")
    size_before = layout.warehouse.stat().st_size
    t0 = time.perf_counter()
    result = dispose.apply_deletion_list(summary.list_id, "bench", layout=layout, policy=policy, as_of=as_of,
                                         clock=_utc_now, flag_exports=record_affected_exports)
    apply_s = time.perf_counter() - t0
    stores = result.certificate["stores"]
    return {"messages": messages, "decide_s": round(decide_s, 2),
            "decide_messages_per_s": round(messages / decide_s), "listed": summary.list_items,
            "deleted": stores["messages_deleted"], "anonymised": stores["messages_updated"],
            "apply_s": round(apply_s, 2), "lake_files_rewritten": stores["lake_files_rewritten"],
            "warehouse_mb_before": round(size_before / 1e6, 1),
            "warehouse_mb_after": round(layout.warehouse.stat().st_size / 1e6, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=250_000)
    args = ap.parse_args()
    print(f"retention benchmark on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        r = run(args.messages, Path(tmp))
    print(f"  {r['messages']:,} messages: decisions + list in {r['decide_s']} s "
          f"({r['decide_messages_per_s']:,} messages/s), {r['listed']:,} listed; applied in {r['apply_s']} s "
          f"({r['deleted']:,} deleted, {r['anonymised']:,} anonymised, {r['lake_files_rewritten']} lake files "
          f"rewritten); warehouse {r['warehouse_mb_before']} -> {r['warehouse_mb_after']} MB; "
          f"peak RSS {r['peak_rss_mb']} MB")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
