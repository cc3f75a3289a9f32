"""The package's shape is checked, not hoped for: the import-linter contracts in pyproject.toml (layers
from the command line down to settings and vocabulary; no Dagster in the core; only the shell reads the
environment) must hold for every import, direct or through other modules."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports() -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is a dev dependency (pip install -e '.[dev]')"
    return subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_import_contract_holds():
    result = lint_imports()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_the_contracts_are_the_ones_the_docs_describe():
    """A contract dropped from pyproject.toml would make the first test pass vacuously."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("Layers: shell above domains", "The core does not know Dagster",
                 "Only the shell reads the environment"):
        assert name in text
