"""``o3-governance backup-key --out FILE``, ``backup --to DIR`` and ``restore --from DIR``.

The backup key (``O3_BACKUP_KEY_FILE``) and the purge ledger (``O3_LEDGER_DIR``) both live outside the
data folder; backups and restores refuse to run without them. A restore goes into an empty
``O3_DATA_DIR`` and re-applies every purge the ledger recorded after the snapshot before it succeeds.
"""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from o3_governance import settings
from o3_governance.storage import keyfiles
from o3_governance.storage.layout import DataLayout

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
NEEDS = ("needs O3_LEDGER_DIR (a folder outside the data folder for the purge ledger) and O3_BACKUP_KEY_FILE "
         "(create it with `o3-governance backup-key --out FILE`)")


def register(subparsers) -> None:
    p = subparsers.add_parser("backup-key", help="create the backup key file (outside the data folder)")
    p.add_argument("--out", type=Path, required=True, help="where to write the key (never replaced)")
    p.set_defaults(handler=make_key)

    p = subparsers.add_parser("backup", help="write a sealed snapshot of the data folder (needs O3_LEDGER_DIR)")
    p.add_argument("--to", type=Path, required=True, dest="to", help="the backups folder (outside the data folder)")
    p.set_defaults(handler=write)

    p = subparsers.add_parser("restore", help="restore a snapshot into an empty O3_DATA_DIR, re-applying later purges")
    p.add_argument("--from", type=Path, required=True, dest="source",
                   help="a snapshot folder, or a backups folder (its newest snapshot)")
    p.add_argument("--policy-to", type=Path, default=None, help="also write the snapshot's policy file here")
    p.set_defaults(handler=restore)


def make_key(args) -> int:
    out = args.out.expanduser().resolve()
    data_dir = settings.load().data_dir
    if out.is_relative_to(data_dir):
        print(f"o3-governance backup-key: {out} is refused: the key must lie outside the data folder {data_dir}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        keyfiles.create_key_file(out)
    except keyfiles.KeyFileError as exc:
        print(f"o3-governance backup-key: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"backup key written to {out} (owner-only). Keep a copy apart from the backups: without it no "
          f"backup can be restored. Set O3_BACKUP_KEY_FILE={out}")
    return EXIT_OK


def _ledger(command: str, conf: settings.Settings):
    from o3_governance import backup  # DuckDB and the purge engine: not for --help
    if conf.ledger_dir is None:
        print(f"o3-governance {command}: refused: {command} {NEEDS}", file=sys.stderr)
        return None
    return backup.ledger_of(conf.ledger_dir, conf.backup_key_file)


def write(args) -> int:
    from o3_governance import backup  # DuckDB and the purge engine: not for --help
    conf = settings.load()
    ledger = _ledger("backup", conf)
    if ledger is None:
        return EXIT_BAD_INPUT
    try:
        result = backup.write_backup(DataLayout(conf.data_dir), args.to, ledger=ledger, policy_file=conf.policy_file,
                                     now=datetime.now(timezone.utc), retention_days=conf.backup_retention_days)
    except backup.BackupError as exc:
        print(f"o3-governance backup: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"backup {result.snapshot_id} written to {result.folder}: {result.files} files, {result.bytes} bytes, "
          f"sealed; ledger at line {result.ledger_lines}")
    if result.expired:
        print(f"expired (older than {conf.backup_retention_days} days): {len(result.expired)} backup(s) removed")
    return EXIT_OK


def restore(args) -> int:
    from o3_governance import backup  # DuckDB and the purge engine: not for --help
    conf = settings.load()
    ledger = _ledger("restore", conf)
    if ledger is None:
        return EXIT_BAD_INPUT
    if not conf.data_dir_explicit:
        print("o3-governance restore: refused: set O3_DATA_DIR to the empty folder to restore into",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        result = backup.restore_backup(args.source, conf.data_dir, ledger=ledger, now=datetime.now(timezone.utc),
                                       policy_to=args.policy_to)
    except (backup.BackupError, ValueError) as exc:
        print(f"o3-governance restore: {exc}".splitlines()[0], file=sys.stderr)
        return EXIT_FAILED
    print(f"restored {result.snapshot_id} into {conf.data_dir}: {result.files} files; "
          f"{result.purges_replayed} later purge(s) re-applied ({result.messages_deleted} messages deleted, "
          f"{result.messages_updated} redacted or anonymised)")
    if result.policy_written:
        print(f"policy written to {result.policy_written}")
    return EXIT_OK
