"""``warehouse.register_columns``: Python lists as a temporary table, the table pyarrow would build,
built by DuckDB so that a night with nothing new imports neither pandas nor pyarrow (issue 16)."""
import subprocess
import sys

import duckdb
import pyarrow as pa
import pytest

from o3_governance.storage import warehouse


def test_the_view_holds_the_lists_with_the_types_pyarrow_would_give():
    con = duckdb.connect()
    warehouse.register_columns(con, "v", {"name": ["Ann", None, "Ré"], "end": [3, 4, None], "score": [0.5, None, 1.0]},
                               {"end": "INTEGER", "score": "DOUBLE"})
    assert con.execute('SELECT name, "end", score FROM v').fetchall() == [("Ann", 3, 0.5), (None, 4, None), ("Ré", None, 1.0)]
    by_pyarrow = pa.table({"name": pa.array(["Ann"], pa.string()), "end": pa.array([3], pa.int32()),
                           "score": pa.array([0.5], pa.float64())})
    assert con.sql("SELECT * FROM v").to_arrow_table().schema == by_pyarrow.schema
    warehouse.register_columns(con, "v", {"name": [], "end": []}, {"end": "INTEGER"})   # replaced; empty is fine
    assert con.execute("SELECT count(*) FROM v").fetchone()[0] == 0


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError):
        warehouse.register_columns(duckdb.connect(), "v", {"a": ["x"], "b": []})


def test_registering_imports_neither_pandas_nor_pyarrow():
    probe = ("import sys, duckdb\nfrom o3_governance.storage import warehouse\ncon = duckdb.connect()\n"
             "warehouse.register_columns(con, 'v', {'a': ['x', 'y']})\ncon.execute('SELECT * FROM v').fetchall()\n"
             "print([m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unregistering_drops_the_table_and_leaves_a_table_of_the_database_alone(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE kept (a VARCHAR)")
    warehouse.register_columns(con, "v", {"a": ["x"]})
    warehouse.unregister_columns(con, "v")
    warehouse.unregister_columns(con, "v")      # twice: nothing to do
    warehouse.unregister_columns(con, "kept")   # only temporary tables are dropped
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert names == {"kept"}
    warehouse.register_columns(con, "read", {"a": ["x"]})
    con.close()
    ro = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)   # a reader may register columns too
    warehouse.register_columns(ro, "v", {"a": ["y"]})
    assert ro.execute("SELECT a FROM v").fetchall() == [("y",)]
