"""Backups that keep erasures erased.

``write_backup`` takes a consistent snapshot of the data folder (under the writer lock, after pending
purges are finished) and seals every file with the backup key (AES-256-GCM, ``storage.sealing``): the
warehouse (with the audit log), the lake, media, exports, reports, raw and quarantined files, the data
folder's own keys and audit head, and the policy file. File names are sealed too (they can name
people): the snapshot folder holds numbered blobs, an sealed manifest with each file's path, size and
sha256, ``SHA256SUMS`` of the blobs (checkable without the key) and ``snapshot.json``. It also records
where the purge ledger (``storage.ledger``) stood. Old snapshots expire after the retention days.

``restore_backup`` opens a snapshot into a staging folder beside an empty target, checks every sum,
re-applies every purge the ledger recorded after the snapshot, appends the audit event, and only then
moves the folder into place: nothing can read the restored data before the purges are re-applied.
"""
from o3_governance.backup.snapshot import (BackupError, BackupResult, RestoreResult, expire_backups,
                                           ledger_of, list_snapshots, restore_backup, write_backup)

__all__ = ["BackupError", "BackupResult", "RestoreResult", "expire_backups", "ledger_of", "list_snapshots",
           "restore_backup", "write_backup"]
