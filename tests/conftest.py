import io
import os
import socket
import zipfile
from pathlib import Path

import pytest

from o3_governance.storage.layout import DataLayout

# The processes under test run private (umask 077: every entry point sets it); tests start the same
# way, so what a fixture creates is not "fixed" with a note by the first command a test runs. Tests of
# that fixing set an open umask themselves (tests/storage/test_private.py).
os.umask(0o077)


@pytest.fixture
def data_layout(tmp_path, monkeypatch) -> DataLayout:
    """A fresh data folder, set as O3_DATA_DIR for the test."""
    root = tmp_path / "data"
    monkeypatch.setenv("O3_DATA_DIR", str(root))
    monkeypatch.delenv("O3_AS_OF", raising=False)
    monkeypatch.delenv("O3_POLICY_FILE", raising=False)
    return DataLayout(root).ensure()


@pytest.fixture
def no_network(monkeypatch):
    """Fails the test on any attempt to open a non-loopback network connection."""
    real_connect = socket.socket.connect
    attempts: list = []

    def guarded(self, address, *a, **k):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return real_connect(self, address, *a, **k)
        attempts.append(address)
        raise OSError(f"network access attempted in a test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts


@pytest.fixture
def dagster_home(tmp_path, monkeypatch) -> Path:
    """A fresh Dagster instance folder (telemetry off), set as DAGSTER_HOME for the test."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip archive holding ``members`` (name → bytes), built in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture(scope="session")
def scanner():
    """The scanner of the evaluation sets (their known people), built once for every scanning test that reads text."""
    from o3_governance.scanning import evaluation
    from o3_governance.scanning.worker import local_scanner

    scanner, _ = local_scanner(evaluation.known_people())
    return scanner
