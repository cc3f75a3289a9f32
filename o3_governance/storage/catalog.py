"""What the warehouse holds: the one ``table_exists`` (tables and views) every module asks."""
from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists in the connection's database."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0])
