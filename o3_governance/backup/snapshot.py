"""Writing, expiring and restoring sealed snapshots of the data folder (see the package's docstring)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath

from o3_governance import purge
from o3_governance.storage import audit, keyfiles, ledger as ledgers, locking, sealing, stores, warehouse
from o3_governance.storage.hashing import sha256_file
from o3_governance.storage.layout import DataLayout

FORMAT = 1
SNAPSHOT_FILE = "snapshot.json"
MANIFEST_BLOB = "manifest.sealed"
SUMS_FILE = "SHA256SUMS"
BLOBS = "blobs"
PARTIAL = ".partial"
# Stores not copied: files still waiting in the inbox (the next night ingests them from the sender's
# copy), our own staging files, the lock, and Dagster's run history (the instance is not restored).
NOT_COPIED = frozenset({"inbox", "tmp", "locks", "dagster"})


class BackupError(RuntimeError):
    """A backup or restore that cannot be done: one line, no personal data."""


@dataclass(frozen=True)
class BackupResult:
    snapshot_id: str
    folder: Path
    files: int
    bytes: int
    ledger_lines: int
    expired: list[str]


@dataclass(frozen=True)
class RestoreResult:
    snapshot_id: str
    files: int
    purges_replayed: int
    messages_deleted: int
    messages_updated: int
    policy_written: Path | None


def ledger_of(ledger_dir: Path | None, key_file: Path | None) -> ledgers.Ledger | None:
    """The purge ledger the settings name (None when O3_LEDGER_DIR is not set); reads the backup key."""
    if ledger_dir is None or key_file is None:
        return None
    try:
        return ledgers.Ledger(ledger_dir, keyfiles.read_key_file(key_file))
    except keyfiles.KeyFileError as exc:
        raise BackupError(f"the backup key: {exc}") from None


def _label(snapshot_id: str, blob: str) -> str:
    return f"{snapshot_id}/{blob}"


def _files_to_copy(layout: DataLayout) -> list[Path]:
    out: list[Path] = []
    for store in stores.STORES:
        if store.name in NOT_COPIED:
            continue
        for root in store.paths(layout, None):
            if root.is_symlink():
                continue
            if root.is_file():
                out.append(root)
            elif root.is_dir():
                out.extend(sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()))
    return out


def write_backup(layout: DataLayout, dest: Path, *, ledger: ledgers.Ledger, policy_file: Path | None,
                 now: datetime, retention_days: int) -> BackupResult:
    """A sealed, consistent snapshot of ``layout`` in a new folder under ``dest``; then snapshots in
    ``dest`` older than ``retention_days`` are removed. Pending purges are finished first."""
    if now.tzinfo is None:
        raise BackupError("now must be timezone-aware")
    dest = Path(dest).resolve()
    root = layout.root.resolve()
    if dest == root or dest.is_relative_to(root) or root.is_relative_to(dest):
        raise BackupError(f"the backup folder {dest} must lie outside the data folder {root}")
    if not layout.warehouse.is_file():
        raise BackupError(f"no warehouse at {layout.warehouse}: nothing to back up yet")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    purge.resume_pending(layout, now=now)   # a snapshot never holds a half-done purge
    snapshot_id = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)
    partial = dest / (snapshot_id + PARTIAL)
    (partial / BLOBS).mkdir(parents=True, mode=0o700)
    try:
        with locking.writer_lock(layout):
            with warehouse.open_warehouse(layout.warehouse) as con:
                con.execute("CHECKPOINT")   # the whole warehouse in its file: the copy is consistent
            lines, ledger_sha = ledgers.position(ledger)
            files, total, sums = [], 0, {}
            for n, path in enumerate(_files_to_copy(layout)):
                blob = f"{n:06d}"
                digest = sealing.seal_file(ledger.key, _label(snapshot_id, blob), path, partial / BLOBS / blob)
                size = path.stat().st_size
                files.append({"path": path.relative_to(layout.root).as_posix(), "size": size, "sha256": digest,
                              "blob": blob})
                total += size
            policy = None
            if policy_file is not None and Path(policy_file).is_file():
                blob = "policy"
                digest = sealing.seal_file(ledger.key, _label(snapshot_id, blob), Path(policy_file),
                                           partial / BLOBS / blob)
                policy = {"name": Path(policy_file).name, "sha256": digest, "blob": blob}
            manifest = {"format": FORMAT, "snapshot_id": snapshot_id, "created_at": now.isoformat(),
                        "files": files, "policy": policy, "ledger_lines": lines, "ledger_sha256": ledger_sha}
            (partial / MANIFEST_BLOB).write_bytes(sealing.seal_bytes(
                ledger.key, _label(snapshot_id, MANIFEST_BLOB), json.dumps(manifest, sort_keys=True).encode()))
            for blob in sorted((partial / BLOBS).iterdir()):
                sums[f"{BLOBS}/{blob.name}"] = sha256_file(blob)
            sums[MANIFEST_BLOB] = sha256_file(partial / MANIFEST_BLOB)
            (partial / SUMS_FILE).write_text("".join(f"{h}  {name}\n" for name, h in sorted(sums.items())))
            (partial / SNAPSHOT_FILE).write_text(json.dumps(
                {"format": FORMAT, "snapshot_id": snapshot_id, "created_at": now.isoformat(),
                 "sums_sha256": sha256_file(partial / SUMS_FILE)}, sort_keys=True) + "\n")
            final = dest / snapshot_id
            os.rename(partial, final)
            expired = expire_backups(dest, now=now, retention_days=retention_days, keep=snapshot_id)
            with warehouse.open_warehouse(layout.warehouse) as con:
                audit.append(con, "backup_written", {"snapshot_id": snapshot_id, "files": len(files),
                                                     "bytes": total, "ledger_lines": lines,
                                                     "backups_expired": len(expired)}, ts=now)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return BackupResult(snapshot_id, final, len(files), total, lines, expired)


def list_snapshots(dest: Path) -> list[tuple[datetime, Path]]:
    """(created_at, folder) of the finished snapshots directly under ``dest``, oldest first."""
    out = []
    if not Path(dest).is_dir():
        return out
    for folder in Path(dest).iterdir():
        meta = folder / SNAPSHOT_FILE
        if folder.is_dir() and not folder.is_symlink() and meta.is_file():
            try:
                out.append((datetime.fromisoformat(json.loads(meta.read_text())["created_at"]), folder))
            except (ValueError, KeyError, TypeError):
                continue   # not one of ours: never removed
    return sorted(out, key=lambda t: t[0])


def expire_backups(dest: Path, *, now: datetime, retention_days: int, keep: str | None = None) -> list[str]:
    """Removes the snapshots under ``dest`` created more than ``retention_days`` before ``now`` (never
    ``keep``); returns their ids."""
    cutoff = now - timedelta(days=retention_days)
    removed = []
    for created, folder in list_snapshots(dest):
        if created < cutoff and folder.name != keep:
            shutil.rmtree(folder)
            removed.append(folder.name)
    return removed


def _snapshot_folder(source: Path) -> Path:
    source = Path(source)
    if (source / SNAPSHOT_FILE).is_file():
        return source
    found = list_snapshots(source)
    if not found:
        raise BackupError(f"no snapshot in {source}")
    return found[-1][1]


def _check_sums(folder: Path) -> None:
    meta = json.loads((folder / SNAPSHOT_FILE).read_text())
    sums_path = folder / SUMS_FILE
    if not sums_path.is_file() or sha256_file(sums_path) != meta.get("sums_sha256"):
        raise BackupError(f"snapshot {folder.name} is refused: its {SUMS_FILE} was changed or is missing")
    listed = {}
    for line in sums_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {f"{BLOBS}/{p.name}" for p in (folder / BLOBS).iterdir()} | {MANIFEST_BLOB}
    if set(listed) != present:
        raise BackupError(f"snapshot {folder.name} is refused: files were added or removed")
    for name, digest in sorted(listed.items()):
        if sha256_file(folder / name) != digest:
            raise BackupError(f"snapshot {folder.name} is refused: {name} was changed")


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise BackupError("the manifest names a path outside the data folder: refused")
    return rel


def restore_backup(source: Path, target: Path, *, ledger: ledgers.Ledger, now: datetime,
                   policy_to: Path | None = None) -> RestoreResult:
    """Restores the snapshot ``source`` (or the newest one under it) into the empty folder ``target``,
    re-applying every purge the ledger recorded after it, before the folder is put in place."""
    if now.tzinfo is None:
        raise BackupError("now must be timezone-aware")
    target = Path(target).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} is not an empty folder: a restore only goes into an empty one")
    folder = _snapshot_folder(Path(source))
    _check_sums(folder)
    meta = json.loads((folder / SNAPSHOT_FILE).read_text())
    snapshot_id = meta["snapshot_id"]
    try:
        manifest = json.loads(sealing.open_bytes(ledger.key, _label(snapshot_id, MANIFEST_BLOB),
                                                 (folder / MANIFEST_BLOB).read_bytes()))
    except sealing.SealError:
        raise BackupError(f"snapshot {snapshot_id} is refused: its manifest does not open with this backup key") from None
    replay = ledgers.entries_after(ledger, manifest["ledger_lines"], manifest["ledger_sha256"])
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.restoring-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        for entry in manifest["files"]:
            dst = staging / _safe_relative(entry["path"])
            dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            digest = _open_blob(ledger.key, folder, snapshot_id, entry["blob"], dst)
            if digest != entry["sha256"]:
                raise BackupError(f"snapshot {snapshot_id} is refused: a file's sha256 differs from the manifest")
        policy_written = None
        if manifest.get("policy") and policy_to is not None:
            policy_to = Path(policy_to)
            if policy_to.exists():
                raise BackupError(f"{policy_to} exists: the policy is not written over an existing file")
            if _open_blob(ledger.key, folder, snapshot_id, manifest["policy"]["blob"], policy_to) \
                    != manifest["policy"]["sha256"]:
                policy_to.unlink()
                raise BackupError(f"snapshot {snapshot_id} is refused: the policy's sha256 differs from the manifest")
            policy_written = policy_to
        layout = DataLayout(staging)
        deleted = updated = 0
        for entry in replay:
            req = entry.request
            result = purge.apply_changes(layout, now=now, delete_ids=req["delete_ids"], updates=req["updates"],
                                         new_findings=req["new_findings"], event=entry.event,
                                         purge_id=entry.purge_id, record=False,
                                         details={"replayed_after_restore": snapshot_id, "ledger_line": entry.number})
            deleted += result.messages_deleted
            updated += result.messages_updated
        with warehouse.open_warehouse(layout.warehouse) as con:
            audit.append(con, "backup_restored", {"snapshot_id": snapshot_id, "files": len(manifest["files"]),
                                                  "purges_replayed": len(replay), "messages_deleted": deleted,
                                                  "messages_updated": updated}, ts=now)
            con.execute("CHECKPOINT")
        locking.lock_file(layout).unlink(missing_ok=True)
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreResult(snapshot_id, len(manifest["files"]), len(replay), deleted, updated, policy_written)


def _open_blob(key: bytes, folder: Path, snapshot_id: str, blob: str, dst: Path) -> str:
    try:
        return sealing.open_file(key, _label(snapshot_id, blob), folder / BLOBS / blob, dst)
    except sealing.SealError:
        raise BackupError(f"snapshot {snapshot_id} is refused: blob {blob} fails its integrity check "
                          f"(changed, or sealed with another key)") from None
