"""The contract's entity types and the query other domains need, without loading the NLP engine."""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

SPECIAL_CATEGORY_TYPES = frozenset({
    "HEALTH_DATA", "POLITICAL_OPINION", "RELIGIOUS_BELIEF", "TRADE_UNION_MEMBERSHIP", "SEXUAL_ORIENTATION",
    "ETHNIC_ORIGIN", "BIOMETRIC_DATA", "GENETIC_DATA", "CRIMINAL_OFFENCE"})
PERSONAL_DATA_TYPES = frozenset({"PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "BE_NATIONAL_NUMBER",
                                 "PERSON", "LOCATION"})
ENTITY_TYPES = PERSONAL_DATA_TYPES | SPECIAL_CATEGORY_TYPES


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
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'findings'").fetchone()[0]
    if not exists:
        return set()
    return {r[0] for r in con.execute(
        "SELECT DISTINCT message_id FROM findings WHERE entity_type IN (SELECT unnest(?::VARCHAR[]))",
        [sorted(SPECIAL_CATEGORY_TYPES)]).fetchall()}
