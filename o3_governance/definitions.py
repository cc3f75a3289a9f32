"""Entry point for Dagster (``workspace.yaml``, ``dagster job execute -m o3_governance.definitions``,
``dg dev``): every definition under ``o3_governance/defs/`` is found by the project's component tree
([tool.dg] in pyproject.toml), as ``load_from_defs_folder`` finds them.

Built from the defs folder (``build_defs(".")``) rather than with ``load_from_defs_folder``: that adds
Dagster's catalogue of installed component types as repository metadata, for the UI's component
browser, which this project (no components) does not use, and building it was about 0.13 s of every run's
start-up, a night with nothing new included (issue 16)."""
import warnings
from pathlib import Path

import dagster as dg


def _load() -> dg.Definitions:
    # As load_from_defs_folder: Dagster's own preview/beta notices about its loaders are not ours to show.
    with warnings.catch_warnings():
        for category in (dg.PreviewWarning, dg.BetaWarning, dg.SupersessionWarning):
            warnings.simplefilter("ignore", category)
        return dg.ComponentTree.for_project(Path(__file__).resolve().parent).build_defs(".")


defs = _load()
