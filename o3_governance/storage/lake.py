"""The Parquet lake of messages: hive-partitioned by chat and month, so that rewriting one
chat-month (retention, erasure) touches only its own small files."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb


def chat_id_for(chat_name: str) -> str:
    """Stable, non-personal key for a chat: chat names can be people's names, paths must not be."""
    return hashlib.sha256(chat_name.encode("utf-8")).hexdigest()[:16]


CHAT_ID_SQL = "substr(sha256(chat_name), 1, 16)"  # chat_id_for(), vectorised in DuckDB


def partition_dir(lake_messages: Path, chat_id: str, month: str) -> Path:
    return lake_messages / f"chat_id={chat_id}" / f"month={month}"


def write_archive_rows(con: duckdb.DuckDBPyConnection, select_sql: str, lake_messages: Path,
                       staging_dir: Path, archive_id: str) -> int:
    """Write the rows of ``select_sql`` into the lake as ``part-<archive_id>-<n>.parquet`` files.

    Files are written under ``staging_dir`` first and then renamed into place, so a crash leaves
    either no file or a whole file; the names depend only on the archive, so a re-run after a
    crash overwrites the same files with the same rows.
    """
    if staging_dir.exists():
        shutil.rmtree(staging_dir)
    staging_dir.mkdir(parents=True)
    target = str(staging_dir).replace("'", "''")
    con.execute(
        f"COPY ({select_sql}) TO '{target}' (FORMAT PARQUET, PARTITION_BY (chat_id, month), "
        f"WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN 'part-{archive_id}-{{i}}', COMPRESSION zstd, "
        f"OVERWRITE_OR_IGNORE true)")
    written = 0
    for file in sorted(staging_dir.rglob("*.parquet")):
        rel = file.relative_to(staging_dir)
        dest = lake_messages / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, dest)
        written += 1
    shutil.rmtree(staging_dir, ignore_errors=True)
    return written


def remove_archive_files(lake_messages: Path, archive_id: str) -> int:
    """Remove the lake files one archive wrote (an ingest that failed after writing them)."""
    removed = 0
    for f in lake_messages.glob(f"*/*/part-{archive_id}-*.parquet"):
        f.unlink(missing_ok=True)
        removed += 1
    return removed


def lake_glob(lake_messages: Path) -> str:
    return str(lake_messages / "*" / "*" / "*.parquet")


def lake_row_count(con: duckdb.DuckDBPyConnection, lake_messages: Path) -> int:
    if not any(lake_messages.rglob("*.parquet")):
        return 0
    path = lake_glob(lake_messages).replace("'", "''")
    return con.execute(f"SELECT count(*) FROM read_parquet('{path}', hive_partitioning=false)").fetchone()[0]
