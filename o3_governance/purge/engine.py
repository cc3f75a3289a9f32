"""The API of the purge: ``apply_changes`` (plan, journal, run every step), ``resume_pending`` (finish
what a crash interrupted), ``pending_purges`` and ``completed``.

The time of the run (``now``) is the caller's: it stamps the journal (pending purges are finished
oldest first) and the rows the purge writes (``purged_messages.purged_at``, ``archives.raw_removed_at``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Mapping

from o3_governance.storage.layout import DataLayout
from o3_governance.purge import journal as journals
from o3_governance.purge import steps
from o3_governance.purge.plan import plan
from o3_governance.purge.tombstones import purged_key
from o3_governance.storage import ledger, locking, stores

# Columns a caller may change; keys (message_id, chat_id, month, dates) never move.
UPDATABLE_COLUMNS = frozenset({"body", "author", "author_phone", "attachment", "media_sha256", "message_type",
                               "language", "edited"})


class PurgeError(RuntimeError):
    """A purge request that cannot be carried out (one line, no content)."""


@dataclass
class PurgeResult:
    purge_id: str
    event: str
    messages_deleted: int = 0
    messages_updated: int = 0
    lake_files_rewritten: int = 0
    lake_files_removed: int = 0
    warehouse_rows_deleted: dict[str, int] = field(default_factory=dict)  # table -> rows, excl. messages
    findings_replaced: int = 0  # findings rows of updated messages removed
    findings_added: int = 0
    media_files_removed: int = 0
    raw_archives_removed: int = 0
    exports_removed: int = 0
    exports_affected: dict[str, int] = field(default_factory=dict)  # export request id -> affected messages
    compacted: bool = False
    resumed: bool = False

    def counts(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("event")
        d.pop("resumed")
        return d

    @classmethod
    def from_counts(cls, event: str, counts: Mapping[str, Any], resumed: bool = False) -> "PurgeResult":
        known = {k: v for k, v in counts.items() if k in cls.__dataclass_fields__}
        return cls(event=event, resumed=resumed, **known)


def apply_changes(layout: DataLayout, *, now: datetime, delete_ids: set[str] | frozenset[str] | list[str] = (),
                  updates: Mapping[str, Mapping[str, object]] | None = None,
                  run_id: str | None = None, event: str = "messages_purged",
                  details: Mapping[str, Any] | None = None,
                  new_findings: Mapping[str, list[Mapping[str, Any]]] | None = None,
                  purge_id: str | None = None, record: bool = True) -> PurgeResult:
    """Delete ``delete_ids`` and apply ``updates`` (message_id -> {column: value}) in every store.

    ``new_findings`` (message_id -> list of findings rows as dicts) replaces the findings of updated
    messages whose body changes; without it those findings are removed. ``details`` goes into the
    audit event next to the counts: counts and ids only, never content. ``purge_id`` names the
    job; it defaults to a hash of the request, so the same request is done once. Pending purges
    left by a crash are finished first. ``now`` (timezone-aware) is the time of this run.
    A new purge is appended to the configured purge ledger first (``storage.ledger``), so a restored
    backup re-applies it; ``record=False`` is for that replay only.
    """
    _aware(now)
    updates = {str(k): dict(v) for k, v in (updates or {}).items()}
    delete_ids = {str(i) for i in delete_ids}
    for mid, cols in updates.items():
        bad = set(cols) - UPDATABLE_COLUMNS
        if bad:
            raise PurgeError(f"cannot update column(s) {sorted(bad)}: only {sorted(UPDATABLE_COLUMNS)}")
        for col, value in cols.items():  # checked before the journal: a bad value must not block every purge
            wanted = bool if col == "edited" else str
            if value is not None and not isinstance(value, wanted):
                raise PurgeError(f"update of {col} must be {wanted.__name__} or None")
    for mid in delete_ids & set(updates):  # deleting wins
        updates.pop(mid)
    new_findings = {str(k): [dict(r) for r in v] for k, v in (new_findings or {}).items() if str(k) in updates}
    for rows in new_findings.values():
        for r in rows:
            if not (isinstance(r.get("entity_type"), str) and isinstance(r.get("start"), int)
                    and isinstance(r.get("end"), int) and 0 <= r["start"] <= r["end"]):
                raise PurgeError("each new finding needs entity_type (text) and start <= end (whole numbers)")
    request = {"delete_ids": sorted(delete_ids), "updates": updates, "new_findings": new_findings}
    request_hash = _hash(request)
    explicit = purge_id is not None
    purge_id = purge_id or request_hash[:20]
    if not all(c.isalnum() or c in "-_" for c in purge_id):
        raise PurgeError("purge_id may hold only letters, digits, '-' and '_'")

    layout.work.mkdir(parents=True, exist_ok=True)
    # One purge at a time per data folder (the compaction swaps the DuckDB file): the warehouse's
    # writer lock, held for the whole purge and released by the kernel if the process dies.
    with locking.writer_lock(layout):
        stores.clean_tmp(layout)   # our own leftovers of an earlier crash; pending journals stay
        own = journals.journal_path(layout, purge_id)
        for other in journals.pending_journals(layout):
            if other.name != own.name:
                _run(layout, journals.read_journal(other), resumed=True, now=now)
        if own.exists():
            journal = journals.read_journal(own)
            if journal["request_hash"] != request_hash:
                raise PurgeError(f"purge {purge_id} is pending with a different request; resume it first")
            return _run(layout, journal, resumed=True, now=now)
        # A named job that already finished is not done twice. An unnamed request is planned afresh:
        # the same ids may have come back since (a later export of the chat re-ingested them).
        done = journals.completed_counts(layout, purge_id) if explicit else None
        if done is not None:
            return PurgeResult.from_counts(done[0], done[1], resumed=True)
        journal = plan(layout, purge_id, request, request_hash, run_id, event, dict(details or {}), now)
        if record:
            ledger.record(purge_id=purge_id, at=now, event=event, request=request,
                          tombstones=[purged_key(i) for i in request["delete_ids"]])
        journals.write_journal(layout, journal)
        return _run(layout, journal, resumed=False, now=now)


def resume_pending(layout: DataLayout, *, now: datetime) -> list[PurgeResult]:
    """Finish every purge a crash interrupted (oldest first), after cleaning ``tmp/`` of our own
    leftovers (``stores.clean_tmp``: staging copies; never a pending journal). Ingest calls this
    first, so the nightly's first step cleans ``tmp/``."""
    _aware(now)
    if not layout.work.exists():
        return []
    with locking.writer_lock(layout):
        stores.clean_tmp(layout)   # the start of every run: our own leftovers go, pending journals stay
        return [_run(layout, journals.read_journal(p), resumed=True, now=now)
                for p in journals.pending_journals(layout)]


def pending_purges(layout: DataLayout) -> list[str]:
    return [journals.purge_id_of(p) for p in journals.pending_journals(layout)]


def completed(layout: DataLayout, purge_id: str) -> PurgeResult | None:
    """The result of a finished purge, read back from its audit event; None when not finished."""
    done = journals.completed_counts(layout, purge_id)
    return PurgeResult.from_counts(done[0], done[1], resumed=True) if done else None


def _run(layout: DataLayout, journal: dict, resumed: bool, now: datetime) -> PurgeResult:
    done: list[str] = journal["done"]
    for step in steps.STEPS:
        if step in done:
            continue
        extra = steps.STEP_FUNCS[step](layout, journal, now)
        if extra:
            journal["counts"].update(extra)
        done.append(step)
        journals.write_journal(layout, journal)
    journals.remove_journal(layout, journal["purge_id"])
    return PurgeResult.from_counts(journal["event"], {"purge_id": journal["purge_id"], **journal["counts"]},
                                   resumed=resumed)


def _hash(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise PurgeError("now must be timezone-aware")
