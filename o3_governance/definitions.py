"""Entry point for Dagster (``workspace.yaml``, ``dagster job execute -m o3_governance.definitions``,
``dg dev``): every definition under ``o3_governance/defs/`` is found by ``load_from_defs_folder``."""
from pathlib import Path

import dagster as dg

defs = dg.load_from_defs_folder(path_within_project=Path(__file__).resolve().parent)
