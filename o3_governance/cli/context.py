"""What a command runs against: the settings' data folder, policy, as-of date and Dagster home, read once
from :mod:`o3_governance.settings` here in the shell and handed to the core as plain values."""
from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from o3_governance import settings
from o3_governance.storage.layout import DataLayout
from o3_governance.vocabulary import BRUSSELS


class MissingData(RuntimeError):
    """A read command found no warehouse (or no reports) where the settings point: one line naming the path."""


def where() -> str:
    """The data folder and Dagster home this process uses, for one-line error messages."""
    s = settings.load()
    return f"data folder {s.data_dir}, Dagster home {s.dagster_home}"


def require_warehouse(layout: "DataLayout | None" = None) -> "DataLayout":
    """For read commands: the layout, when its warehouse exists; never creates anything."""
    layout = layout or DataLayout(data_dir())
    if not layout.warehouse.is_file():
        raise MissingData(f"no warehouse at {layout.warehouse} ({where()}): set O3_DATA_DIR to the data "
                          f"folder, or run the nightly job first")
    return layout


def data_dir() -> Path:
    return settings.load().data_dir


def layout() -> DataLayout:
    return DataLayout(data_dir())


def policy_file() -> Path:
    return settings.load().policy_file


def as_of() -> date:
    """O3_AS_OF stands in for today in retention decisions (audits, tests); otherwise today in Brussels."""
    return settings.load().as_of or datetime.now(BRUSSELS).date()


def raw_retention_days() -> int:
    """How long raw archives are kept after ingest; 0 (default) removes them once ingested."""
    return settings.load().raw_retention_days


def quarantine_retention_days() -> int:
    """How long a quarantined file is kept for someone to look at before it is removed (default 30)."""
    return settings.load().quarantine_retention_days


def dagster_home() -> Path:
    """DAGSTER_HOME, defaulting to the checkout's ``dagster_home/`` (and exported so Dagster sees it)."""
    home = settings.load().dagster_home
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
