"""Every store that can hold personal data, listed once.

Purge, erasure and the byte-level tests walk this list (``STORES``); a path under the data folder
that belongs to no store is reported by :func:`unlisted`, so a new store cannot be forgotten.
Dagster's own run and event storage (``DAGSTER_HOME``) is a store too; its folder is passed in by
the shell (never read from the environment here).

Also here: the housekeeping that keeps two stores from hiding data — :func:`clean_tmp` (our own
leftovers in ``tmp/``, at the start of every run) and :func:`unreferenced_media` (media files no
message references, deleted by the nightly run) — and :func:`find_bytes`, the byte search that
verifies an erasure (it opens zips, Parquet, DuckDB, SQLite and compressed files).

Run ``python -m o3_governance.storage.stores --data-dir DIR --dagster-home DIR --needle TEXT …`` to
search every store for some texts: it prints, per file, which needles (by number) were found.
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import sqlite3
import sys
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from o3_governance.storage import audit, locking, warehouse
from o3_governance.storage.layout import DataLayout

JOURNAL_PREFIX = "purge-journal-"      # as o3_governance.purge.journal (purge sits above storage)
MEDIA_PART = ("media-", ".part")       # MediaStore's staging copy of one media file
LAKE_STAGING = "lake-"                 # ingest's staging folder of one archive's lake files
MAX_MEMBER_BYTES = 512 * 1024 * 1024   # a zip member larger than this is searched in its raw bytes only


@dataclass(frozen=True)
class Store:
    name: str
    holds: str            # what personal data can sit there
    reached_by: str       # how purge and erasure reach it
    paths: Callable[[DataLayout, Path | None], list[Path]]


def _data(*parts: str) -> Callable[[DataLayout, Path | None], list[Path]]:
    return lambda layout, _home: [layout.root.joinpath(*parts)]


def _warehouse(layout: DataLayout, _home: Path | None) -> list[Path]:
    w = layout.warehouse
    return [w, w.with_name(w.name + ".wal"), w.with_name(w.name + ".compact"),
            w.with_name(w.name + ".compact.wal")]


STORES: tuple[Store, ...] = (
    Store("inbox", "exports waiting to be ingested",
          "the nightly ingest registers every file and removes it from the inbox", _data("inbox")),
    Store("lake", "messages (Parquet)", "purge rewrites the files holding an affected message", _data("lake")),
    Store("warehouse", "every table, registry rows of every status, audit and request register",
          "purge deletes/updates rows in every table with message_id, erasure blanks registry file names "
          "of every status and forgets identifiers; the file is then compacted", _warehouse),
    Store("media", "attachments (content-addressed)",
          "purge removes media no remaining message references; erasure removes media that mention the "
          "person (contact cards by their fields); the nightly deletes every unreferenced file", _data("media")),
    Store("raw", "archives kept after ingest", "purge and erasure remove those holding the person", _data("raw")),
    Store("quarantine", "files that could not be read",
          "erasure removes those holding the person (byte search, inside zips too); expiry", _data("quarantine")),
    Store("exports", "access exports", "purge removes those holding an affected message; erasure the "
          "person's own", _data("exports")),
    Store("reports", "nightly reports and certificates (counts, no names)", "hold no personal data by design",
          _data("reports")),
    Store("tmp", "staging copies (media-*.part, lake-*), purge journals",
          "cleaned of our own leftovers at the start of every run (clean_tmp)", _data("tmp")),
    Store("keys", "the data folder's keys (.secret): no personal data", "not personal", _data(".secret")),
    Store("locks", "the writer lock (a process id): no personal data", "not personal",
          lambda layout, _home: [locking.lock_file(layout)]),
    Store("audit head", "the audit chain's last hash (audit_head.json): no personal data", "not personal",
          _data("audit_head.json")),
    Store("dagster", "Dagster run and event storage, compute logs (DAGSTER_HOME)",
          "runs carry request ids only; old runs are purged by purge_orchestrator_history",
          lambda _layout, home: [home] if home is not None else []),
)


def store_paths(layout: DataLayout, dagster_home: Path | None = None) -> dict[str, list[Path]]:
    return {s.name: s.paths(layout, dagster_home) for s in STORES}


def unlisted(layout: DataLayout, dagster_home: Path | None = None) -> list[Path]:
    """Entries directly under the data folder that no store lists (a store someone forgot)."""
    listed = {p for paths in store_paths(layout, dagster_home).values() for p in paths}
    if not layout.root.exists():
        return []
    return sorted(p for p in layout.root.iterdir() if p not in listed)


# ------------------------------------------------------------------------------------ housekeeping

def clean_tmp(layout: DataLayout) -> int:
    """Remove our own leftovers from ``tmp/``: staging copies of media (``media-*.part``), staging lake
    folders (``lake-*``) and half-written purge journals (``purge-journal-*.json.tmp``) whose journal
    is not pending. A pending journal (``purge-journal-*.json``) and its files are never touched,
    nor anything we did not write. The caller holds the data folder's writer lock (no live writer
    is using these files). Returns how many entries were removed."""
    work = layout.work
    if not work.is_dir():
        return 0
    removed = 0
    for entry in sorted(work.iterdir()):
        name = entry.name
        ours = ((name.startswith(MEDIA_PART[0]) and name.endswith(MEDIA_PART[1]))
                or name.startswith(LAKE_STAGING)
                or (name.startswith(JOURNAL_PREFIX) and name.endswith(".json.tmp")
                    and not entry.with_name(name[:-len(".tmp")]).exists()))
        if not ours:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed += 1
    return removed


def media_files(layout: DataLayout) -> Iterator[tuple[str, Path]]:
    """(sha256, path) of every file in the media store (``<sha[:2]>/<sha256><ext>``)."""
    if not layout.media.is_dir():
        return
    for f in sorted(layout.media.rglob("*")):
        if f.is_file():
            yield f.name.split(".", 1)[0], f


def unreferenced_media(layout: DataLayout, referenced: set[str]) -> list[Path]:
    """Media files whose sha256 no message references."""
    return [p for sha, p in media_files(layout) if sha not in referenced]


def remove_unreferenced_media(layout: DataLayout, referenced: set[str]) -> int:
    """Delete media files no message references (a re-ingested older export stores its media before
    its erased messages are skipped; nothing may hide there). Returns the count."""
    removed = 0
    for p in unreferenced_media(layout, referenced):
        p.unlink(missing_ok=True)
        removed += 1
        parent = p.parent
        if parent != layout.media and not any(parent.iterdir()):
            parent.rmdir()
    return removed


@dataclass(frozen=True)
class Sweep:
    tmp_removed: int
    media_removed: int


def sweep(layout: DataLayout, *, now: datetime, run_id: str | None = None) -> Sweep:
    """The nightly sweep: ``tmp/`` cleaned of our leftovers, media no message references deleted,
    and one audit event with the counts (nothing personal). The caller holds the writer lock."""
    tmp_removed = clean_tmp(layout)
    if not layout.warehouse.exists():
        return Sweep(tmp_removed, 0)
    with warehouse.open_warehouse(layout.warehouse) as con:
        referenced = {r[0] for r in con.execute(
            "SELECT DISTINCT media_sha256 FROM messages WHERE media_sha256 IS NOT NULL").fetchall()}
        media_removed = remove_unreferenced_media(layout, referenced)
        audit.append(con, "stores_swept", {"tmp_entries_removed": tmp_removed,
                                           "unreferenced_media_removed": media_removed}, run_id=run_id, ts=now)
        con.execute("CHECKPOINT")
    return Sweep(tmp_removed, media_removed)


# ------------------------------------------------------------------------------------ byte search

def _decoded_texts(path: Path, data: bytes) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) of what a file holds once decoded: zip members (recursively), Parquet values,
    DuckDB tables, SQLite tables (zlib/gzip blobs decompressed), gzip contents."""
    name = path.name.lower()
    if zipfile.is_zipfile(io.BytesIO(data)):
        yield from _zip_texts(str(path), data)
    if data[:2] == b"\x1f\x8b":
        try:
            yield f"{path} (gzip)", gzip.decompress(data)
        except (OSError, EOFError):
            pass
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq
        try:
            rows = pq.read_table(path).to_pylist()
            yield f"{path} (parquet)", json.dumps(rows, default=str, ensure_ascii=False).encode("utf-8")
        except Exception:  # noqa: BLE001 - an unreadable file is still searched in its raw bytes
            pass
    if data[:16] == b"SQLite format 3\x00":
        yield from _sqlite_texts(path)
    if name.endswith(".duckdb") or data[8:12] == b"DUCK":
        yield from _duckdb_texts(path)


def zip_members(data: bytes) -> Iterator[tuple[str, bytes | None]]:
    """(member name, member bytes) of a zip held in memory; bytes None for a member too large to read
    (over MAX_MEMBER_BYTES) or broken (its raw bytes were searched with the zip's). Nothing for a non-zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                member = None
                if info.file_size <= MAX_MEMBER_BYTES:
                    try:
                        member = zf.read(info)
                    except Exception:  # noqa: BLE001 - a broken member
                        member = None
                yield info.filename, member
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return


def _zip_texts(where: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    for name, member in zip_members(data):
        yield f"{where}!{name} (name)", name.encode("utf-8")
        if member is None:
            continue
        yield f"{where}!{name}", member
        if depth < 3 and zipfile.is_zipfile(io.BytesIO(member)):
            yield from _zip_texts(f"{where}!{name}", member, depth + 1)


def _blob_forms(value: object) -> list[bytes]:
    if isinstance(value, str):
        return [value.encode("utf-8")]
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        out = [raw]
        for decompress in (zlib.decompress, gzip.decompress):
            try:
                out.append(decompress(raw))
            except Exception:  # noqa: BLE001 - not compressed that way
                pass
        return out
    return [str(value).encode("utf-8")] if value is not None else []


def _sqlite_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            chunks: list[bytes] = []
            for row in con.execute(f'SELECT * FROM "{t}"'):
                for value in row:
                    chunks.extend(_blob_forms(value))
            yield f"{path} (sqlite {t})", b"\n".join(chunks)
    except sqlite3.Error:
        return
    finally:
        con.close()


def _duckdb_texts(path: Path) -> Iterator[tuple[str, bytes]]:
    import duckdb
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception:  # noqa: BLE001 - not a DuckDB file after all, or in use: raw bytes were searched
        return
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'").fetchall()]
        for t in tables:
            rows = con.execute(f'SELECT * FROM "{t}"').fetchall()
            yield f"{path} (duckdb {t})", json.dumps(rows, default=str, ensure_ascii=False).encode("utf-8")
    finally:
        con.close()


def find_bytes(roots: Iterable[Path], needles: list[str]) -> list[tuple[str, int]]:
    """Every (place, needle index) where a needle is found, case-insensitively, in the raw bytes of
    every file under ``roots`` and in what they hold once decoded (see ``_decoded_texts``); also in
    file and folder names."""
    forms = [(i, n.casefold().encode("utf-8")) for i, n in enumerate(needles) if n]
    found: list[tuple[str, int]] = []

    def search(where: str, data: bytes) -> None:
        lowered = data.lower() if data.isascii() else data.decode("utf-8", "replace").casefold().encode("utf-8")
        found.extend((where, i) for i, n in forms if n in lowered or n in data.lower())

    _walk(roots, search)
    return sorted(set(found))


def _walk(roots: Iterable[Path], search) -> None:
    """Hand ``search(where, bytes)`` every file name, every file's bytes and every decoded value inside it."""
    for root in roots:
        if not root.exists():
            continue
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            search(f"{path} (name)", path.name.encode("utf-8"))
            if not path.is_file() or path.is_symlink():
                continue
            data = path.read_bytes()
            search(str(path), data)
            for where, decoded in _decoded_texts(path, data):
                search(where, decoded)


def find_words(roots: Iterable[Path], words: list[str]) -> list[tuple[str, int]]:
    """Short needles ("VdB"): whole words, case-insensitively, in file names, in files that are text
    (valid UTF-8) and in decoded values (zip members, Parquet, DuckDB, SQLite) — not in the raw bytes
    of binary files, where three given letters turn up by chance."""
    import re
    patterns = [(i, re.compile(rb"(?<![A-Za-z0-9])" + re.escape(w.encode("utf-8")) + rb"(?![A-Za-z0-9])", re.I))
                for i, w in enumerate(words) if w]
    found: list[tuple[str, int]] = []

    def search(where: str, data: bytes) -> None:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return
        found.extend((where, i) for i, rx in patterns if rx.search(data))

    _walk(roots, search)
    return sorted(set(found))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m o3_governance.storage.stores",
                                     description="Search every store for texts (an erasure's proof).")
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--dagster-home", type=Path)
    parser.add_argument("--needle", action="append", required=True, help="a text to look for (repeatable)")
    args = parser.parse_args(argv)
    layout = DataLayout(args.data_dir)
    roots = [p for paths in store_paths(layout, args.dagster_home).values() for p in paths] + unlisted(
        layout, args.dagster_home)
    hits = find_bytes(roots, args.needle)
    for where, i in hits:
        print(f"needle {i + 1}: {where}")
    print(f"{len(hits)} hits in {len(STORES)} stores; {len(unreferenced_media(layout, referenced_media(layout)))} "
          "unreferenced media files")
    return 1 if hits else 0


def referenced_media(layout: DataLayout) -> set[str]:
    """sha256 of every media file a message references (all of them when there is no warehouse yet)."""
    if not layout.warehouse.exists():
        return {sha for sha, _ in media_files(layout)}
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return {r[0] for r in con.execute(
            "SELECT DISTINCT media_sha256 FROM messages WHERE media_sha256 IS NOT NULL").fetchall()}


if __name__ == "__main__":  # pragma: no cover - the command line of the byte search
    os.umask(0o077)
    sys.exit(main())
