"""The production instance (deploy/dagster.yaml) on a real PostgreSQL: the nightly job and a
data-subject request run there, its tables hold no personal data, and the housekeeping job's purge
removes old runs from them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from o3_governance import cli
from o3_governance.defs.rights import housekeeping
from support.postgres import pg_dagster_home, postgres_socket  # noqa: F401 - fixtures
from support.rights import DIRECTORY, NEEDLES_OF_SUBJECT, write_inbox


def _pg_text(postgres_socket, db: str) -> str:
    """Every row of every table of the instance's database, as text (what a dump would show)."""
    import psycopg2

    con = psycopg2.connect(dbname=db, user="o3", host=str(postgres_socket))
    try:
        cur = con.cursor()
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        parts = []
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT t::text FROM "{table}" t')
            parts += [r[0] for r in cur.fetchall()]
        return "\n".join(parts)
    finally:
        con.close()


def _count(postgres_socket, db: str, sql: str) -> int:
    import psycopg2

    con = psycopg2.connect(dbname=db, user="o3", host=str(postgres_socket))
    try:
        cur = con.cursor()
        cur.execute(sql)
        return cur.fetchone()[0]
    finally:
        con.close()


@pytest.mark.e2e
def test_nightly_and_erasure_on_postgres_leave_no_personal_data_and_old_runs_are_purged(
        data_layout, tmp_path, monkeypatch, postgres_socket, pg_dagster_home, capsys):
    home, db = pg_dagster_home
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    monkeypatch.setenv("O3_DIRECTORY_FILE", str(directory))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    write_inbox(data_layout)
    assert cli.main(["run"]) == 0, capsys.readouterr().err
    assert cli.main(["request", "access", "--request-id", "PG-1", "--subject-phone", "+32 471 23 45 67",
                     "--subject-name", "Jan Peeters"]) == 0
    capsys.readouterr()

    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == ["dsr_access", "nightly_governance"]
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    assert _count(postgres_socket, db, "SELECT count(*) FROM runs") == 2
    assert _count(postgres_socket, db, "SELECT count(*) FROM event_logs") > 10

    text = _pg_text(postgres_socket, db).casefold()
    assert "messages_exported" in text       # the counts are there: the search reads the real rows
    assert [n for n in NEEDLES_OF_SUBJECT if n.casefold() in text] == []
    files = [f for f in home.rglob("*") if f.is_file()]
    assert [f.name for f in files for n in NEEDLES_OF_SUBJECT if n.encode() in f.read_bytes()] == []

    with dg.DagsterInstance.get() as instance:
        later = datetime.now(timezone.utc) + timedelta(days=91)
        assert housekeeping.purge_run_history(instance, 90, now=later) == 2
    assert _count(postgres_socket, db, "SELECT count(*) FROM runs") == 0
    assert _count(postgres_socket, db, "SELECT count(*) FROM event_logs WHERE run_id <> ''") == 0


def test_a_bad_postgres_url_is_refused_in_one_line(data_layout, monkeypatch, capsys):
    monkeypatch.setenv("O3_DAGSTER_PG_URL", "postgres://o3:secret-pw@db/dagster")
    assert cli.main(["requests"]) == 2
    err = capsys.readouterr().err
    assert "O3_DAGSTER_PG_URL" in err and "postgresql+psycopg2://" in err and len(err.strip().splitlines()) == 1
    assert "secret-pw" not in err
