"""Parser throughput on generated exports (Android LF, iOS CRLF, iOS zip): lines/s and messages/s.

    python -m bench.bench_parsing [LINES]        (default 300000)
"""
from __future__ import annotations

import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from o3_governance.parsing import open_archive

WORDS = ("de installatie in Leuven start om tien uur morgen foto volgt kabels werf klaar ok "
         "le chantier commence demain matin the cable is ready").split()
AUTHORS = ["Ann Peeters", "Bram Claes", "\u202a+32\u00a0471\u00a055\u00a066\u00a077\u202c", "Chloé Dubois"]


def generate(path: Path, lines: int, style: str) -> int:
    rnd = random.Random(7)
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        i = 0
        while written < lines:
            day, month = 1 + (i // 3000) % 28, 1 + (i // 84000) % 12
            hh, mm, ss = (i // 60) % 24, i % 60, (i * 7) % 60
            body = " ".join(rnd.choices(WORDS, k=rnd.randint(2, 14)))
            author = rnd.choice(AUTHORS)
            if style == "android":
                f.write(f"{day:02d}/{month:02d}/2024, {hh:02d}:{mm:02d} - {author}: {body}\n")
                written += 1
                if i % 10 == 0:
                    f.write("een tweede regel\n")
                    written += 1
            else:
                extra = "\nen nog een regel" if i % 10 == 0 else ""
                f.write(f"[{day:02d}/{month:02d}/2024, {hh:02d}:{mm:02d}:{ss:02d}] {author}: {body}{extra}\r\n")
                written += 1 + bool(extra)
            i += 1
    return written


def measure(path: Path, lines: int) -> None:
    t0, c0 = time.perf_counter(), time.process_time()
    with open_archive(path) as export:
        count = sum(1 for _ in export.messages)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU time too: on a shared machine the wall clock also counts other processes' turns.
    print(f"{path.name:>16}: {lines:,} lines, {count:,} messages in {dt:.2f}s wall / {cpu:.2f}s CPU -> "
          f"{lines / dt:,.0f} lines/s wall, {lines / cpu:,.0f} lines/s CPU, {count / cpu:,.0f} messages/s CPU")


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        android, ios = tmp / "android.txt", tmp / "ios.txt"
        n_android = generate(android, lines, "android")
        n_ios = generate(ios, lines, "ios")
        zipped = tmp / "ios.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(ios, "_chat.txt")
        measure(android, n_android)
        measure(ios, n_ios)
        measure(zipped, n_ios)


if __name__ == "__main__":
    main()
