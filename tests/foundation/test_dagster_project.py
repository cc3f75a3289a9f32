"""The Dagster project is laid out the current way: `dg check defs` loads every definition from the
defs folder ([tool.dg] in pyproject.toml), and the module the contract names exposes the same jobs."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_dg_check_defs_loads_the_defs_folder(tmp_path):
    exe = shutil.which("dg", path=str(Path(sys.executable).parent))
    assert exe, "dagster-dg-cli is a dev dependency (pip install -e '.[dev]')"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path), "O3_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([exe, "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All definitions loaded successfully" in result.stdout + result.stderr


def test_the_contract_module_exposes_every_job_schedule_and_sensor():
    from o3_governance.definitions import defs

    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {"nightly_governance", "apply_deletion_list", "dsr_access", "dsr_erasure", "dsr_rectification",
            "dsr_restriction", "dsr_objection", "dsr_access_regenerate", "dsr_register_refresh",
            "purge_orchestrator_history"} <= jobs
    assert {s.name for s in defs.schedules} >= {"nightly_governance_schedule", "dsr_register_daily",
                                                 "purge_orchestrator_history_weekly"}
    assert {s.name for s in defs.sensors} == {"inbox_sensor"}
    assert "governance" in defs.resources


def test_the_definitions_are_the_defs_folder_without_the_component_type_catalogue():
    """Issue 16: the module builds the defs folder as load_from_defs_folder does, every definition
    included, without Dagster's catalogue of installed component types (UI metadata, about 0.13 s of every
    run's start-up)."""
    import dagster as dg
    from dagster.components.core.load_defs import PLUGIN_COMPONENT_TYPES_JSON_METADATA_KEY

    from o3_governance.definitions import defs

    full = dg.load_from_defs_folder(path_within_project=ROOT / "o3_governance")
    assert PLUGIN_COMPONENT_TYPES_JSON_METADATA_KEY not in (defs.metadata or {})
    assert {j.name for j in defs.resolve_all_job_defs()} == {j.name for j in full.resolve_all_job_defs()}
    assert {s.name for s in defs.schedules} == {s.name for s in full.schedules}
    assert {s.name for s in defs.sensors} == {s.name for s in full.sensors}
    assert set(defs.resources) == set(full.resources)
    assert {s.key for s in defs.resolve_all_asset_specs()} == {s.key for s in full.resolve_all_asset_specs()}
    assert set(defs.resolve_asset_graph().asset_check_keys) == set(full.resolve_asset_graph().asset_check_keys)
    assert len(defs.resolve_asset_graph().asset_check_keys) >= 17
