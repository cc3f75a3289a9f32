"""The invariants of ingest after a run, as plain numbers (the Dagster shell reports them)."""
from __future__ import annotations

from dataclasses import dataclass

from o3_governance.ingest.pipeline import IngestSummary
from o3_governance.ingest.registry import QUARANTINED, RETRY_LATER
from o3_governance.parsing.inbox import left_alone
from o3_governance.storage import lake
from o3_governance.storage.layout import DataLayout


@dataclass(frozen=True)
class IngestCheck:
    """What the ingest invariants found after a run: plain numbers, no names (the shell reports them)."""

    archives_total: int
    archives_by_status: dict[str, int]
    messages_total: int
    chats: int
    duplicated_ids: int             # message ids held more than once (must be 0)
    lake_rows: int                  # rows in the Parquet lake (must equal messages_total)
    unaccounted_files: int          # inbox files (any depth) without a registry row, or still in the inbox (must be 0)
    quarantined_this_run: int
    quarantine_reasons: dict[str, int]   # one-line reason -> files (reasons never hold content)
    retry_later_this_run: int = 0   # items left in the inbox for a fault of the system (not of the file)

    @property
    def unique_message_ids(self) -> bool:
        return self.duplicated_ids == 0

    @property
    def lake_matches_warehouse(self) -> bool:
        return self.lake_rows == self.messages_total

    @property
    def every_inbox_file_accounted_for(self) -> bool:
        return self.unaccounted_files == 0


def files_in_inbox(layout: DataLayout) -> list[str]:
    """Every file (and link) under the inbox, at any depth, relative and "/"-separated; hidden files and
    partial downloads are left for later and not counted. Walks the tree itself: it does not trust
    the discovery it checks."""
    inbox = layout.inbox
    if not inbox.is_dir():
        return []
    out = []
    for p in sorted(inbox.rglob("*")):
        rel = p.relative_to(inbox)
        if any(left_alone(part) for part in rel.parts):
            continue
        if p.is_symlink() or p.is_file():
            out.append(rel.as_posix())
    return out


def check_ingest(con, layout: DataLayout, summary: IngestSummary) -> IngestCheck:
    """The invariants of ingest after ``summary``'s run, read on ``con`` (read-only is enough)."""
    by_status = dict(con.execute("SELECT status, count(*) FROM archives GROUP BY status").fetchall())
    messages_total = con.execute("SELECT count(*) FROM messages").fetchone()[0]
    duplicates = con.execute(
        "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY message_id HAVING count(*) > 1)").fetchone()[0]
    left = set(summary.left_items)
    shas = [sha for name, sha in summary.inbox_files if name not in left]
    registered = {r[0] for r in con.execute(
        "SELECT DISTINCT sha256 FROM archives WHERE sha256 IN (SELECT unnest(?::VARCHAR[]))", [shas]).fetchall()}
    unaccounted = sum(1 for name, sha in summary.inbox_files if name not in left and sha not in registered)
    # Whatever is still in the inbox must be an item deliberately left for the next night.
    for rel in files_in_inbox(layout):
        if not any(rel == name or rel.startswith(name + "/") for name in left):
            unaccounted += 1
    reasons: dict[str, int] = {}
    for a in summary.archives:
        if a.status == QUARANTINED:
            reasons[a.reason or ""] = reasons.get(a.reason or "", 0) + 1
    return IngestCheck(
        archives_total=sum(by_status.values()), archives_by_status=by_status, messages_total=messages_total,
        chats=con.execute("SELECT count(DISTINCT chat_id) FROM messages").fetchone()[0],
        duplicated_ids=duplicates, lake_rows=lake.lake_row_count(con, layout.lake_messages),
        unaccounted_files=unaccounted, quarantined_this_run=summary.count(QUARANTINED),
        quarantine_reasons=reasons, retry_later_this_run=summary.count(RETRY_LATER))
