"""Worker processes for the scan. Importing this module loads neither spaCy nor Presidio: the nightly
job starts the workers first, and they load their engines while it reads and deduplicates the
warehouse; its own process never needs the engine when the workers do the work."""
from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterable, Sequence

from o3_governance.scanning.categories import Finding
from o3_governance.scanning.fingerprint import TERMS_DIR

CHUNK = 1000               # unique texts per task sent to a worker
PARALLEL_MIN = 4000        # below this many unique texts, starting workers costs more than it saves


def _people(known_people: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({p.strip() for p in known_people if p and p.strip()}))


# Entry points of the worker processes. They import ``worker`` (spaCy, Presidio) inside the worker:
# this module must stay light, so the caller starts the workers before any engine is loaded.
def _worker_init(known_people: tuple[str, ...], terms_dir: Path = TERMS_DIR) -> None:
    from o3_governance.scanning import worker  # start-up time: spaCy/Presidio load in the worker only

    worker.init(known_people, terms_dir)


def _worker_run(items: list[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
    from o3_governance.scanning import worker  # start-up time: spaCy/Presidio load in the worker only

    return worker.run(items)


def _ping() -> int:
    return os.getpid()


class WorkerPool:
    """Worker processes that each build the engine once. Started early (``start_pool``), they load
    spaCy while the caller is still reading the warehouse."""

    def __init__(self, known_people: Iterable[str], workers: int, terms_dir: Path = TERMS_DIR):
        self.people = _people(known_people)
        self.workers = workers
        # spawn, not fork: the caller holds DuckDB and Dagster threads that a fork would copy mid-flight.
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_worker_init, initargs=(self.people, terms_dir))
        self._warm = [self._pool.submit(_ping) for _ in range(workers)]  # one task each: all start now

    def run(self, items: Sequence[tuple[str, str | None]]) -> list[tuple[str, list[Finding]]]:
        chunks = [list(items[i:i + CHUNK]) for i in range(0, len(items), CHUNK)]
        results: list[tuple[str, list[Finding]]] = []
        for part in self._pool.map(_worker_run, chunks):
            results.extend(part)
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def start_pool(known_people: Iterable[str], workers: int, expected_items: int,
               terms_dir: Path = TERMS_DIR) -> WorkerPool | None:
    """A pool when the work is big enough for two processes to pay off, else None."""
    workers = max(1, min(workers, os.cpu_count() or 1))
    if workers == 1 or expected_items < PARALLEL_MIN:
        return None
    return WorkerPool(known_people, workers, terms_dir)


def _here(people: tuple[str, ...], items, terms_dir: Path = TERMS_DIR) -> list[tuple[str, list[Finding]]]:
    from o3_governance.scanning import worker  # start-up time: spaCy/Presidio load only when scanning here

    return worker.scan_here(people, items, terms_dir)


def scan_unique(items: Sequence[tuple[str, str | None]], known_people: Iterable[str],
                workers: int = 2, pool: WorkerPool | None = None,
                terms_dir: Path = TERMS_DIR) -> tuple[list[tuple[str, list[Finding]]], int]:
    """Detect and scan unique (text, prior) items; returns the results and the number of processes used.
    ``pool``: workers already started by the caller (it closes them)."""
    people = _people(known_people)
    own = pool is None
    if own:
        pool = start_pool(people, workers, len(items), terms_dir)
    if pool is None:
        return _here(people, items, terms_dir), 1
    try:
        return pool.run(items), pool.workers
    except BrokenProcessPool:
        # Workers could not start (e.g. a calling script without a ``__main__`` guard): scan here.
        logging.getLogger(__name__).warning("scan workers unavailable; scanning in one process")
        return _here(people, items, terms_dir), 1
    finally:
        if own:
            pool.close()
