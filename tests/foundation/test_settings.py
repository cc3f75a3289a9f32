"""Every environment value is read and checked in one place; a bad one is refused in one line that
names the variable (and never becomes a traceback deep inside a run)."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from o3_governance import settings
from o3_governance.cli import main

BAD_VALUES = [
    ("O3_RAW_RETENTION_DAYS", "abc"), ("O3_RAW_RETENTION_DAYS", "-1"), ("O3_QUARANTINE_RETENTION_DAYS", "30d"),
    ("O3_REPORT_RETENTION_DAYS", "1.5"), ("O3_APPROVAL_WARN_DAYS", "seven"), ("O3_RUN_HISTORY_DAYS", "0"),
    ("O3_DUCKDB_MEMORY", "lots"), ("O3_DUCKDB_MEMORY", "512"), ("O3_AS_OF", "2026-02-31"), ("O3_AS_OF", "tomorrow"),
    ("O3_REPORTS_PUBLIC_URL", "reports.example"), ("O3_LOCK_WAIT_SECONDS", "forever"),
    ("O3_SCAN_WINDOW_CHARS", "10"), ("O3_MAX_ARCHIVE_BYTES", "0"), ("O3_SCAN_SECONDS_PER_NIGHT", "nan"),
    ("O3_SCAN_WINDOW_CHARS", "2000000"), ("O3_MAX_BODY_CHARS", "999"), ("O3_MAX_NIGHT_BYTES", "-5"),
]


@pytest.mark.parametrize("name,value", BAD_VALUES)
def test_a_bad_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(settings.SettingsError) as err:
        settings.load({name: value}, cwd=Path("/tmp"))
    message = str(err.value)
    assert name in message and "\n" not in message and "refused" in message


def test_defaults_and_good_values(tmp_path):
    s = settings.load({}, cwd=tmp_path)
    assert s.data_dir == tmp_path / "data" and s.policy_file == settings.DEFAULT_POLICY_FILE
    assert s.as_of is None and s.raw_retention_days == 0 and s.quarantine_retention_days == 30
    assert s.approval_warn_days == 7 and s.duckdb_memory == "512MB"
    s = settings.load({"O3_DATA_DIR": "d", "O3_AS_OF": "2026-11-24", "O3_RAW_RETENTION_DAYS": " 14 ",
                       "O3_DUCKDB_MEMORY": "2GB", "O3_REPORTS_PUBLIC_URL": "https://reports.example/"}, cwd=tmp_path)
    assert s.data_dir == tmp_path / "d" and s.as_of == date(2026, 11, 24) and s.raw_retention_days == 14
    assert s.duckdb_memory == "2GB" and s.reports_public_url == "https://reports.example"


def test_every_variable_has_one_reader():
    """No module but settings.py reads an O3_ variable from the environment."""
    package = Path(settings.__file__).parent
    readers = [str(p.relative_to(package)) for p in package.rglob("*.py")
               if p.name != "settings.py" and ("os.environ.get(\"O3_" in p.read_text() or "getenv(\"O3_" in p.read_text())]
    assert readers == []


@pytest.mark.parametrize("command", [["run"], ["deletion-list"], ["check-policy"]])
def test_cli_refuses_a_bad_value_in_one_line(command, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("O3_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("O3_RAW_RETENTION_DAYS", "abc")
    assert main(command) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "O3_RAW_RETENTION_DAYS='abc' is refused" in err
    assert not (tmp_path / "data").exists()          # nothing was started on its account


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`o3-governance … | head -1`: the reader leaves early; no BrokenPipeError traceback."""
    script = tmp_path / "spam.py"
    script.write_text("import sys\nfrom o3_governance.cli import main\n"
                      "import o3_governance.cli as c\n"
                      "def spam(args):\n    for _ in range(200000):\n        print('row')\n    return 0\n"
                      "c.ingest_cli.demo_command = spam\n"
                      "sys.exit(main(['demo']))\n")
    proc = subprocess.run(f"{sys.executable} {script} | head -1", shell=True, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "O3_DATA_DIR": str(tmp_path / "data")})
    assert proc.stdout == "row\n"
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr
