"""Generation speed of the benchmark data: one large export per platform, and scanner input bodies.

    python -m bench.bench_demo                      # 1,000,000 messages, android/nl and ios/fr
    python -m bench.bench_demo --messages 200000
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    from o3_governance.demo import build_demo, generate_bench_export, generate_bench_messages

    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1_000_000)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for platform, language in (("android", "nl"), ("ios", "fr")):
            path = Path(tmp) / f"bench-{platform}-{language}.txt"
            t0 = time.perf_counter()
            r = generate_bench_export(path, args.messages, seed=1, platform=platform, language=language)
            s = time.perf_counter() - t0
            results.append({"what": f"export {platform}/{language}", "messages": r.messages,
                            "file_mb": round(r.bytes / 1e6, 1), "seconds": round(s, 2),
                            "messages_per_s": round(r.messages / s)})
            path.unlink()
    t0 = time.perf_counter()
    n = sum(1 for _ in generate_bench_messages(args.messages, seed=1))
    s = time.perf_counter() - t0
    results.append({"what": "scanner bodies", "messages": n, "seconds": round(s, 2), "messages_per_s": round(n / s)})
    t0 = time.perf_counter()
    demo = build_demo.__wrapped__(7)
    s = time.perf_counter() - t0
    results.append({"what": "demo inbox (in memory)", "messages": sum(e.message_count for _, _, e in demo),
                    "seconds": round(s, 2)})
    for row in results:
        print(json.dumps(row))


if __name__ == "__main__":
    main()
