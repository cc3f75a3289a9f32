"""Reporting reads the other domains only through the queries they publish, and its core reads
neither the settings nor the clock: checked on the source, so a guess cannot creep back in."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import o3_governance.reporting as reporting
from o3_governance import vocabulary

CORE = sorted(Path(reporting.__file__).parent.rglob("*.py"))
OTHER_DOMAINS = ("o3_governance.scanning", "o3_governance.retention", "o3_governance.rights", "o3_governance.ingest",
                 "o3_governance.purge", "o3_governance.parsing")
# What reporting may import of the domains below it: their published queries, and the policy loader
# (the report refuses exactly the policies retention refuses).
ALLOWED = {"o3_governance.ingest.queries", "o3_governance.scanning.queries", "o3_governance.retention.queries", "o3_governance.rights.queries",
           "o3_governance.retention.policy"}


def _imports(tree: ast.AST) -> list[tuple[str, ast.AST]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out += [(node.module, node)] + [(f"{node.module}.{a.name}", node) for a in node.names]
    return out


def test_the_core_files_are_found():
    names = {p.relative_to(Path(reporting.__file__).parent).as_posix() for p in CORE}
    assert {"build.py", "sections/__init__.py", "sections/dsr.py", "text.py"} <= names


def test_no_schema_probing_and_no_sql_on_other_domains_tables():
    for path in CORE:
        source = path.read_text(encoding="utf-8")
        assert "information_schema" not in source, path
        assert not re.search(r"\b(?:FROM|JOIN)\s+(?:findings|retention|deletion_lists?|deletion_certificates|"
                             r"dsr_requests|restricted_message_ids|archives|messages)\b", source, re.I), path
        assert "con.execute" not in source, path


def test_no_status_spellings_or_copies_of_the_vocabulary():
    statuses = set(vocabulary.LIST_STATUSES + vocabulary.REQUEST_OPEN_STATUSES + vocabulary.REQUEST_CLOSED_STATUSES)
    for path in CORE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
                assert not (words & statuses), f"{path}: a list of status words {sorted(words & statuses)}"
                assert len(words & set(vocabulary.ENTITY_TYPES)) < 2, f"{path}: a copy of the entity types"


def test_core_imports_no_settings_no_dagster_and_only_published_queries():
    for path in CORE:
        for name, _ in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            assert name not in ("o3_governance.settings", "o3_governance.config.layout") and not name.startswith(
                ("dagster", "o3_governance.cli", "o3_governance.defs")), f"{path}: imports {name}"
            if name.startswith(OTHER_DOMAINS) and name.count(".") >= 2:
                module = ".".join(name.split(".")[:3])
                assert module in ALLOWED, f"{path}: imports {name}"


def test_core_reads_no_clock_and_imports_at_module_level():
    for path in CORE:
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(?:datetime\.now|date\.today|time\.time|time\.time_ns|datetime\.utcnow)\(", source), path
        assert not re.search(r"\bconfig\.(?:layout|as_of|policy_file|raw_retention_days|require_warehouse)\(", source), path
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not local, f"{path}: function {node.name} imports inside its body"
