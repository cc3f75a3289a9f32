"""What other domains (reporting) may read of the scanner's ``findings`` table, with its real
columns (DDL in :mod:`o3_governance.scanning.store`): counts per entity type, language, month and
chat id. Never offsets, never text. Findings in messages under a restriction of processing
(Art. 18) are left out where the rights domain's ``restricted_message_ids`` view exists."""
from __future__ import annotations

import duckdb

from o3_governance import vocabulary as v
from o3_governance.storage import restrictions, warehouse
from o3_governance.storage.catalog import column_exists


def has_findings(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the scanner has run on this warehouse (its table exists)."""
    return warehouse.table_exists(con, v.FINDINGS)


def _visible(con: duckdb.DuckDBPyConnection) -> str:
    return restrictions.visible(con, v.FINDINGS)


def findings_summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, int, int]]:
    """(entity type, language, month, findings, messages) of the visible findings; the message's
    language and month, or 'unknown' when the message is gone."""
    return con.execute(
        "SELECT f.entity_type, coalesce(m.language, 'unknown'), coalesce(m.month, 'unknown'), count(*), "
        f"count(DISTINCT f.message_id) FROM {_visible(con)} f LEFT JOIN {v.MESSAGES} m USING (message_id) "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3").fetchall()


def messages_with_findings(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT count(DISTINCT message_id) FROM {_visible(con)} f").fetchone()[0]


def special_category_per_chat(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(chat id, special-category type, findings, messages) of the visible findings."""
    return con.execute(
        "SELECT m.chat_id, f.entity_type, count(*), count(DISTINCT f.message_id) "
        f"FROM {_visible(con)} f JOIN {v.MESSAGES} m USING (message_id) "
        "WHERE f.entity_type IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1, 2 ORDER BY 1, 2",
        [list(v.SPECIAL_CATEGORY_TYPES)]).fetchall()


def findings_per_type(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(entity type, findings, messages) of every finding stored (the record of processing counts
    what is stored, restricted or not)."""
    return con.execute(f"SELECT entity_type, count(*), count(DISTINCT message_id) FROM {v.FINDINGS} "
                       "GROUP BY 1 ORDER BY 1").fetchall()


def attachment_findings_per_type(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(entity type, findings, messages) of the visible findings in attachments' text (source 'attachment')."""
    if not column_exists(con, v.FINDINGS, "source"):
        return []
    return con.execute(f"SELECT entity_type, count(*), count(DISTINCT message_id) FROM {_visible(con)} f "
                       "WHERE f.source = 'attachment' GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
