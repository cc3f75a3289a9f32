"""Where things live and what "today" is (values from :mod:`o3_governance.settings`)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from o3_governance import settings
from o3_governance.settings import DEFAULT_POLICY_FILE, PACKAGE_DIR, PROJECT_ROOT  # noqa: F401
BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class DataLayout:
    """The folders under O3_DATA_DIR. Every store that can hold personal data is listed here,
    so that retention and erasure can reach each of them."""

    root: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def raw(self) -> Path:  # raw archives kept after ingest (only while configured)
        return self.root / "raw"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def lake_messages(self) -> Path:  # hive layout: chat_id=<id>/month=<YYYY-MM>/part-*.parquet
        return self.lake / "messages"

    @property
    def media(self) -> Path:  # content-addressed: <sha[:2]>/<sha256><ext>
        return self.root / "media"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def work(self) -> Path:  # scratch space for extraction and rewrites; always inside the data folder
        return self.root / "tmp"

    def ensure(self) -> "DataLayout":
        for p in (self.root, self.inbox, self.raw, self.quarantine, self.lake_messages, self.media,
                  self.reports, self.exports, self.work):
            p.mkdir(parents=True, exist_ok=True)
        return self


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
