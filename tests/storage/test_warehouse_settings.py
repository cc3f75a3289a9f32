"""Storage reads no settings and no clock: the memory limit, the lock waits and an audit event's
time are given by the caller, or configured for a block by the entry point."""
from datetime import datetime, timezone

import pytest

from o3_governance import cli
from o3_governance.storage import audit, locking, warehouse

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def memory(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_memory_limit_is_a_parameter_with_a_default_the_entry_point_configures(tmp_path, monkeypatch):
    monkeypatch.setenv("O3_DUCKDB_MEMORY", "3GB")   # read by nothing in storage
    db = tmp_path / "warehouse.duckdb"
    with warehouse.open_warehouse(db) as con:
        default = memory(con)
    with warehouse.open_warehouse(db, memory_limit="256MB") as con:
        given = memory(con)
    with warehouse.configured(memory_limit="1GB", lock_wait_seconds=1, read_wait_seconds=2):
        with warehouse.open_warehouse(db) as con:
            configured = memory(con)
        assert locking._wait_seconds("write", None) == 1 and locking._wait_seconds("read", None) == 2
        assert locking._wait_seconds("read", 7) == 7
    with warehouse.open_warehouse(db) as con:
        after = memory(con)
    assert default == after and default.startswith("488")           # 512MB, DuckDB shows MiB
    assert given.startswith("244") and configured.startswith("953")   # 256MB, 1GB
    assert locking._wait_seconds("write", None) == locking.DEFAULT_WRITE_WAIT_SECONDS
    assert locking._wait_seconds("read", None) == locking.DEFAULT_READ_WAIT_SECONDS


def test_a_memory_limit_that_is_not_a_size_is_refused(tmp_path):
    with pytest.raises(ValueError, match="memory limit"):
        warehouse.connect(tmp_path / "w.duckdb", memory_limit="512'; DROP TABLE messages; --")


def test_the_cli_connects_with_the_configured_memory_limit(data_layout, monkeypatch):
    seen = []

    def handler(args):
        with warehouse.open_warehouse(data_layout.warehouse) as con:
            seen.append(memory(con))
        seen.append(locking._wait_seconds("read", None))
        return 0

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    for action in parser._subparsers._group_actions:
        action.choices["scan"].set_defaults(handler=handler)
    monkeypatch.setenv("O3_DUCKDB_MEMORY", "256MB")
    monkeypatch.setenv("O3_READ_WAIT_SECONDS", "3")
    assert cli.main(["scan"]) == 0
    assert seen[0].startswith("244") and seen[1] == 3.0
    assert locking._wait_seconds("read", None) == locking.DEFAULT_READ_WAIT_SECONDS   # restored after


def test_an_audit_event_carries_the_callers_time(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        with pytest.raises(TypeError):
            audit.append(con, "event", {"n": 1})   # no clock of its own
        audit.append(con, "event", {"n": 1}, ts=T0)
        assert con.execute("SELECT ts FROM audit_log").fetchone()[0] == T0
        assert audit.verify(con).ok


def test_a_dagster_writer_connects_with_the_configured_memory_limit(data_layout, monkeypatch):
    import dagster as dg

    from o3_governance.defs.resources import GovernanceResource, writes_warehouse
    from support.dagster_resources import resources

    seen = []

    @dg.asset
    @writes_warehouse
    def probe(governance: GovernanceResource):
        with warehouse.open_warehouse(governance.layout().warehouse) as con:
            seen.append(memory(con))
        seen.append(locking._wait_seconds("read", None))

    monkeypatch.setenv("O3_DUCKDB_MEMORY", "256MB")
    monkeypatch.setenv("O3_READ_WAIT_SECONDS", "4")
    assert dg.materialize([probe], resources=resources(data_layout)).success
    assert seen[0].startswith("244") and seen[1] == 4.0
    assert locking._wait_seconds("read", None) == locking.DEFAULT_READ_WAIT_SECONDS
