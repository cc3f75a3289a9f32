"""`o3-governance --help` and each command's help start without loading what the commands use: no
DuckDB, pyarrow, Dagster, spaCy or Presidio until a command runs."""
import subprocess
import sys

import pytest

HEAVY = ("duckdb", "pyarrow", "dagster", "spacy", "presidio_analyzer", "phonenumbers")
PROBE = """
import sys
from o3_governance.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("argv", [["--help"], ["scan", "--help"], ["request", "--help"], ["report", "--help"],
                                  ["approve-deletions", "--help"], ["parse", "--help"], ["verify-audit", "--help"]])
def test_help_loads_none_of_the_heavy_libraries(argv):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"


def test_a_command_still_loads_what_it_needs(data_layout):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=["deletion-list"], heavy=HEAVY)],
                         capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1].startswith("LOADED:duckdb")
