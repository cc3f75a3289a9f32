"""What one finding is, and the query other domains need, without loading the NLP engine.

The entity types themselves (personal data, Art. 9/10 special categories) are shared words:
``o3_governance.vocabulary``."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from o3_governance.storage.catalog import column_exists, table_exists
from o3_governance.vocabulary import FINDINGS, SPECIAL_CATEGORY_TYPES


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: where in the body, what, how sure, and which recognizer. Never the text."""

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str


def special_category_message_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Messages with at least one Art. 9 / Art. 10 finding (what the retention rule
    ``special_category: true`` matches). Empty before the first scan."""
    if not table_exists(con, FINDINGS):
        return set()
    return {r[0] for r in con.execute(
        f"SELECT DISTINCT message_id FROM {FINDINGS} WHERE entity_type IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(SPECIAL_CATEGORY_TYPES)]).fetchall()}


def body_findings_sql(con: duckdb.DuckDBPyConnection, alias: str = "") -> str:
    """A SQL condition keeping the findings whose offsets point into the message body (not into an
    attachment's text); ``TRUE`` on a findings table from before attachment scanning."""
    has_source = column_exists(con, FINDINGS, "source")
    return f"{alias + '.' if alias else ''}source = 'body'" if has_source else "TRUE"
