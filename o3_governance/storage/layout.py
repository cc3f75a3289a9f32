"""The folders under the data folder. The list of stores that can hold personal data (these folders,
the warehouse's files, Dagster's storage) is ``o3_governance.storage.stores.STORES``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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

    def media_file(self, sha: str) -> Path | None:
        """The stored file of content ``sha`` (``media/<sha[:2]>/<sha><ext>``), or None."""
        folder = self.media / sha[:2]
        if len(sha) < 3 or not folder.is_dir():
            return None
        return next((p for p in sorted(folder.glob(f"{sha}*")) if p.is_file()), None)

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
