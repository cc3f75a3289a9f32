"""What other domains (reporting) may read of the register of attachments: counts per kind, status,
reason and faces. Never file names, never content."""
from __future__ import annotations

import duckdb

from o3_governance.storage.catalog import table_exists
from o3_governance.vocabulary import ATTACHMENTS, MESSAGES


def has_register(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the attachment scan has run on this warehouse (its table exists)."""
    return table_exists(con, ATTACHMENTS)


def files_per_kind_and_status(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(kind, status, files, bytes)."""
    return con.execute(f"SELECT kind, status, count(*), coalesce(sum(bytes), 0) FROM {ATTACHMENTS} "
                       "GROUP BY 1, 2 ORDER BY 1, 2").fetchall()


def unreadable_per_reason(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int]]:
    """(kind, status, reason, files) of the files that could not be read."""
    return con.execute(f"SELECT kind, status, coalesce(reason, ''), count(*) FROM {ATTACHMENTS} "
                       "WHERE status <> 'scanned' GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3").fetchall()


def photos_with_faces(con: duckdb.DuckDBPyConnection) -> tuple[int, int, int]:
    """(photos with at least one face, faces in them, messages carrying such a photo)."""
    files, faces = con.execute(f"SELECT count(*), coalesce(sum(faces), 0) FROM {ATTACHMENTS} "
                               "WHERE kind = 'image' AND faces > 0").fetchone()
    messages = con.execute(f"SELECT count(*) FROM {MESSAGES} m JOIN {ATTACHMENTS} a USING (media_sha256) "
                           "WHERE a.kind = 'image' AND a.faces > 0").fetchone()[0]
    return int(files), int(faces), int(messages)


def ocr_files(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(*) FROM {ATTACHMENTS} WHERE ocr").fetchone()[0]
