"""What the deployment promises: files the system writes (data, exports, backups, the ledger) are
owner-only even when the shell's umask is open; the units run as a dedicated user with umask 077 and
restart; both UIs listen on loopback and the proxy puts a login and the user header in front."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from o3_governance.storage import private
from support.rights import DIRECTORY, write_inbox

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent


def _cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    """The installed command, started with an open umask (022) as a careless shell would."""
    return subprocess.run([str(BIN / "o3-governance"), *args], env=env, capture_output=True, text=True,
                          preexec_fn=lambda: os.umask(0o022), timeout=600)


@pytest.mark.e2e
def test_data_exports_backups_and_ledger_are_owner_only_under_an_open_umask(data_layout, tmp_path, dagster_home):
    directory = tmp_path / "directory.yaml"
    directory.write_text(DIRECTORY, encoding="utf-8")
    write_inbox(data_layout)
    os.chmod(data_layout.root, 0o700)
    env = {**os.environ, "O3_DIRECTORY_FILE": str(directory), "O3_AS_OF": "2026-11-24",
           "O3_LEDGER_DIR": str(tmp_path / "ledger"), "O3_BACKUP_KEY_FILE": str(tmp_path / "backup.key")}
    key = _cli(["backup-key", "--out", str(tmp_path / "backup.key")], env)
    assert key.returncode == 0, key.stderr
    for args in (["run"], ["request", "erasure", "--request-id", "M-2", "--subject-phone", "0476 00 11 22"],
                 ["request", "access", "--request-id", "M-1", "--subject-phone", "0471 23 45 67"],
                 ["backup", "--to", str(tmp_path / "backups")]):
        done = _cli(args, env)
        assert done.returncode == 0, done.stderr
        assert "owner-only" not in done.stderr      # nothing needed fixing: it was created private
    assert any(data_layout.exports.iterdir()) and any(data_layout.lake.rglob("*.parquet"))
    assert (tmp_path / "ledger" / "ledger.jsonl").is_file()   # the erasure's purge was recorded
    for folder in (data_layout.root, tmp_path / "backups", tmp_path / "ledger"):
        assert private.open_modes(folder) == [], folder
    assert (tmp_path / "backup.key").stat().st_mode & 0o077 == 0


def test_the_systemd_units_run_as_a_dedicated_user_with_umask_077_and_restart():
    units = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["o3-dagster-daemon.service", "o3-dagster-webserver.service", "o3-reports.service"]
    for unit in units:
        text = unit.read_text()
        assert re.search(r"^User=o3gov$", text, re.M) and re.search(r"^UMask=0077$", text, re.M), unit.name
        assert re.search(r"^Restart=(on-failure|always)$", text, re.M), unit.name
        assert "EnvironmentFile=/etc/o3-governance/env" in text
        start = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
        if "daemon" not in unit.name:   # the web UIs listen on loopback only, behind the proxy
            assert "127.0.0.1" in start and "0.0.0.0" not in start, unit.name


def test_the_proxy_asks_for_a_login_and_sets_the_user_header_it_first_removes():
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "basic_auth" in text
    assert "request_header -X-Forwarded-User" in text and "{http.auth.user.id}" in text
    assert "reverse_proxy 127.0.0.1:3000" in text and "reverse_proxy 127.0.0.1:8765" in text


def test_make_ui_binds_to_loopback():
    ui = re.search(r"^ui:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert "dagster dev -h 127.0.0.1" in ui


def test_the_production_instance_reads_postgres_from_the_environment():
    import yaml

    conf = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert conf["storage"]["postgres"]["postgres_url"] == {"env": "O3_DAGSTER_PG_URL"}
    assert conf["telemetry"]["enabled"] is False
    assert conf["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_request_and_disposal_ops_claim_the_duckdb_write_pool_the_instance_limits_to_one():
    import yaml

    from o3_governance.definitions import defs

    conf = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    assert conf["concurrency"]["pools"]["default_limit"] == 1
    for job in ("apply_deletion_list", "dsr_erasure", "dsr_access"):
        pools = {n.definition.pool for n in defs.resolve_job_def(job).graph.node_dict.values()}
        assert pools == {"duckdb_write"}, job
