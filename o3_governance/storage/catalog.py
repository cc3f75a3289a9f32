"""What the warehouse holds: the one ``table_exists`` (tables and views) every module asks."""
from __future__ import annotations

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a table or view called ``name`` exists in the connection's database."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0])


def column_exists(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    """Whether ``table`` (in the main schema) has a column called ``column``."""
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = ? AND column_name = ? "
        "AND table_schema = 'main'", [table, column]).fetchall()[0][0])
