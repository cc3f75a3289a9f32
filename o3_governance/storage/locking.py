"""One writer at a time for the warehouse, and crashes that never block the next run.

Every process that writes the warehouse (nightly steps, approvals, data-subject requests,
resume-purges, compaction) holds an exclusive ``fcntl.flock`` on ``<data dir>/.warehouse.lock`` for
its whole write; readers hold a shared lock on the same file while their read-only connection is
open, so DuckDB's own file lock never meets a conflict. The kernel drops a flock when its process
dies, so a ``kill -9`` leaves nothing behind that blocks the next run.

Within one process the lock is re-entrant (a depth counter per lock file): a nightly run's steps run
in process under the CLI's lock and take it again without deadlock.

Waiting is bounded: writers wait up to ``wait_seconds`` (default :data:`DEFAULT_WRITE_WAIT_SECONDS`),
readers up to theirs (default :data:`DEFAULT_READ_WAIT_SECONDS`); then :class:`WarehouseBusy` is raised
with one line (no DuckDB text). The entry points (CLI, Dagster resource) set the configured waits for
the calls that give none with :func:`waits` (``O3_LOCK_WAIT_SECONDS``, ``O3_READ_WAIT_SECONDS``).
"""
from __future__ import annotations

import errno
import fcntl
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

LOCK_NAME = ".warehouse.lock"
POLL_SECONDS = 0.05
# The waits when a caller gives none and no entry point set others (the settings' defaults).
DEFAULT_WRITE_WAIT_SECONDS = 600.0
DEFAULT_READ_WAIT_SECONDS = 60.0
_waits = {"write": DEFAULT_WRITE_WAIT_SECONDS, "read": DEFAULT_READ_WAIT_SECONDS}


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse: one line, the holder's pid and how long we waited."""


@dataclass
class _Held:
    fd: int
    exclusive: bool
    depth: int


_held: dict[str, _Held] = {}
_guard = threading.RLock()


def lock_file(target) -> Path:
    """The lock file of a data folder: ``target`` is a DataLayout or the warehouse file's path."""
    path = Path(getattr(target, "warehouse", target))
    return path.parent / LOCK_NAME


def holder_pid(target) -> int | None:
    """The pid written by the process holding the writer lock (None when nobody wrote one)."""
    try:
        text = lock_file(target).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def holds_writer_lock(target) -> bool:
    held = _held.get(str(lock_file(target)))
    return bool(held and held.exclusive)


@contextmanager
def waits(write_seconds: float, read_seconds: float) -> Iterator[None]:
    """For the block, the waits of lock calls that give no ``wait_seconds`` (set by an entry point
    from its settings; the previous waits come back after)."""
    with _guard:
        before = dict(_waits)
        _waits.update(write=write_seconds, read=read_seconds)
    try:
        yield
    finally:
        with _guard:
            _waits.update(before)


def _wait_seconds(kind: str, given: float | None) -> float:
    return given if given is not None else _waits[kind]


def _open(path: Path, create: bool) -> int | None:
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        if create:
            raise
    except PermissionError:
        pass
    try:
        return os.open(path, os.O_RDONLY)
    except OSError:
        return None  # no data folder yet, or not ours: there is no writer to wait for


def _try(fd: int, flags: int) -> bool:
    try:
        fcntl.flock(fd, flags | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def _acquire(fd: int, flags: int, wait: float, on_wait: Callable[[], None] | None) -> float | None:
    """Polls for the lock up to ``wait`` seconds; returns None when got, else the seconds waited."""
    start = time.monotonic()
    if _try(fd, flags):
        return None
    if on_wait is not None:
        on_wait()
    while True:
        waited = time.monotonic() - start
        if waited >= wait:
            return waited
        time.sleep(min(POLL_SECONDS, max(wait - waited, 0.001)))
        if _try(fd, flags):
            return None


def _busy(target, waited: float, gave_up: bool) -> WarehouseBusy:
    pid = holder_pid(target)
    who = f"pid {pid}" if pid else "pid unknown"
    end = f"gave up after {waited:.0f} s" if gave_up else f"waited {waited:.0f} s"
    return WarehouseBusy(f"the warehouse is being written by another process ({who}); {end}")


def _write_pid(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    except OSError:
        pass


@contextmanager
def writer_lock(target, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the exclusive writer lock of ``target``'s data folder (re-entrant within the process)."""
    path = lock_file(target)
    key = str(path)
    with _guard:
        held = _held.get(key)
        if held is not None and held.exclusive:
            held.depth += 1
            upgraded = False
        elif held is not None:  # a reader of this process now writes: upgrade, and step back down after
            waited = _acquire(held.fd, fcntl.LOCK_EX, _wait_seconds("write", wait_seconds), None)
            if waited is not None:
                raise _busy(target, waited, gave_up=False)
            held.exclusive, held.depth = True, held.depth + 1
            _write_pid(held.fd)
            upgraded = True
        else:
            fd = _open(path, create=True)
            waited = _acquire(fd, fcntl.LOCK_EX, _wait_seconds("write", wait_seconds), None)
            if waited is not None:
                os.close(fd)
                raise _busy(target, waited, gave_up=False)
            _write_pid(fd)
            held = _held[key] = _Held(fd, True, 1)
            upgraded = False
    try:
        yield
    finally:
        with _guard:
            held.depth -= 1
            if upgraded:  # back to the shared lock this process's reader still holds
                _clear_pid(held.fd)
                fcntl.flock(held.fd, fcntl.LOCK_SH)
                held.exclusive = False
            elif held.depth == 0:
                _release(key, held)


def _clear_pid(fd: int) -> None:
    if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
        return
    try:
        os.ftruncate(fd, 0)
    except OSError:
        pass


def _release(key: str, held: _Held) -> None:
    if held.exclusive:
        _clear_pid(held.fd)
    try:
        fcntl.flock(held.fd, fcntl.LOCK_UN)
    finally:
        os.close(held.fd)
        _held.pop(key, None)


def _say_waiting(wait: float) -> Callable[[], None]:
    def say() -> None:
        print(f"the nightly run is writing; waiting up to {wait:g} s", file=sys.stderr, flush=True)
    return say


@contextmanager
def reader_lock(target, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold a shared lock while reading: waits for a writer (one line on stderr), then gives up in one line."""
    path = lock_file(target)
    key = str(path)
    with _guard:
        held = _held.get(key)
        if held is not None:
            held.depth += 1
        else:
            fd = _open(path, create=False)
            if fd is None:
                held = None
            else:
                wait = _wait_seconds("read", wait_seconds)
                waited = _acquire(fd, fcntl.LOCK_SH, wait, _say_waiting(wait))
                if waited is not None:
                    os.close(fd)
                    raise _busy(target, waited, gave_up=True)
                held = _held[key] = _Held(fd, False, 1)
    try:
        yield
    finally:
        if held is not None:
            with _guard:
                held.depth -= 1
                if held.depth == 0:
                    _release(key, held)
