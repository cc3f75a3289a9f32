"""A real PostgreSQL server for the production instance (deploy/dagster.yaml): started from the
Debian package's binaries (``initdb``, ``pg_ctl``) for the test session, on a unix socket in a private
temporary folder, and stopped afterwards. As root, the server runs as ``nobody`` (PostgreSQL refuses
root). With CI=true a server that cannot be started fails the tests; elsewhere they skip with one line
saying what to install."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

INSTALL = "PostgreSQL is missing: apt-get install postgresql (Debian), or `make system-packages` as root"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI: the production-instance tests need a PostgreSQL server: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_socket():
    """The folder of a running PostgreSQL server's socket; user ``o3``, trust on the socket only."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not initdb or not pg_ctl:
        _unavailable(INSTALL)
    base = Path(tempfile.mkdtemp(prefix="o3-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
        as_user = ["runuser", "-u", "nobody", "--"]
    data, sock = base / "cluster", base / "sock"
    env = {**os.environ, "LC_ALL": "C"}
    try:
        subprocess.run(as_user + ["mkdir", "-m", "700", str(sock)], check=True, capture_output=True)
        subprocess.run(as_user + [initdb, "-D", str(data), "-U", "o3", "--auth=trust", "-E", "UTF8",
                                  "--no-instructions"], check=True, capture_output=True, env=env)
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-t", "60",
                                  "-o", f"-k {sock} -c listen_addresses=''", "start"],
                       check=True, capture_output=True, env=env)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        _unavailable(f"PostgreSQL could not be started: {str(exc).splitlines()[0]}")
    try:
        yield sock
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True, env=env)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_dagster_home(postgres_socket, tmp_path, monkeypatch) -> tuple[Path, str]:
    """DAGSTER_HOME with deploy/dagster.yaml on a fresh database of the session's server."""
    import psycopg2

    name = "dagster_" + os.urandom(4).hex()
    con = psycopg2.connect(dbname="postgres", user="o3", host=str(postgres_socket))
    con.autocommit = True
    con.cursor().execute(f"CREATE DATABASE {name}")
    con.close()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).parents[2] / "deploy" / "dagster.yaml", home / "dagster.yaml")
    url = f"postgresql+psycopg2://o3@/{name}?host={postgres_socket}"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("O3_DAGSTER_PG_URL", url)
    return home, name
