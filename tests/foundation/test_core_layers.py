"""The core below the shell reads no settings, no clock and no Dagster, and imports no higher layer
(the modules of this part of the restructuring; import-linter enforces the whole contract)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "o3_governance"
CORE = [*sorted((PACKAGE / "ingest").glob("*.py")), *sorted((PACKAGE / "storage").glob("*.py")), *sorted((PACKAGE / "identity").glob("*.py")),
        *sorted((PACKAGE / "parsing").glob("*.py")), *sorted((PACKAGE / "scanning").glob("*.py")),
        *sorted((PACKAGE / "demo").glob("*.py"))]
FORBIDDEN = {
    "settings": re.compile(r"^\s*(?:from o3_governance import [^#\n]*\b(?:settings|config)\b"
                           r"|import o3_governance\.(?:settings|config)\b|from o3_governance\.settings import"
                           r"|from o3_governance\.config import (?!DataLayout\b))", re.MULTILINE),
    "clock": re.compile(r"datetime\.now\(|date\.today\(|time\.time\(|datetime\.utcnow\("),
    "dagster": re.compile(r"^\s*(?:import|from) dagster", re.MULTILINE),
    "higher layer": re.compile(r"o3_governance\.(?:rights|retention|reporting|defs|cli|definitions)\b"),
}


@pytest.mark.parametrize("path", CORE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_reads_no_settings_clock_or_dagster(path):
    text = path.read_text(encoding="utf-8")
    found = [what for what, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == []


def test_scanning_below_ingest_and_parsing_below_ingest():
    for path in (PACKAGE / "parsing").glob("*.py"):
        assert "o3_governance.ingest" not in path.read_text(encoding="utf-8")
        assert "o3_governance.scanning" not in path.read_text(encoding="utf-8")


def test_importing_scanning_and_its_pool_loads_no_engine():
    """The pool starts workers before any engine loads; the package itself loads neither spaCy nor Presidio."""
    code = ("import sys, o3_governance.scanning, o3_governance.scanning.pool, o3_governance.scanning.store\n"
            "print(sorted(m for m in ('spacy', 'presidio_analyzer', 'o3_governance.scanning.scan', "
            "'o3_governance.scanning.worker', 'o3_governance.scanning.engine', 'dagster') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_no_copies_of_the_shared_words_in_scanning():
    for path in (PACKAGE / "scanning").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^(?:LANGUAGES|SPECIAL_CATEGORY_TYPES|PERSONAL_DATA_TYPES|ENTITY_TYPES)\s*=", text, re.M)
        assert "information_schema" not in text
