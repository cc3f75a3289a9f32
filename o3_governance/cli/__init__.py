"""``o3-governance``: the command line. Each domain registers its own subcommands."""
from __future__ import annotations

import argparse
import os
import sys

from o3_governance import settings
from o3_governance.cli import audit as audit_cli
from o3_governance.cli import backups as backup_cli
from o3_governance.cli import context as config
from o3_governance.cli import ingest as ingest_cli
from o3_governance.cli import parsing as parsing_cli
from o3_governance.cli import reporting as reporting_cli
from o3_governance.cli import retention as retention_cli
from o3_governance.cli import rights as rights_cli
from o3_governance.cli import scanning as scanning_cli
from o3_governance.storage import locking, private

DOMAINS = (parsing_cli, ingest_cli, scanning_cli, retention_cli, rights_cli, reporting_cli, audit_cli, backup_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="o3-governance", description="WhatsApp data governance for O3 Group BV.")
    sub = parser.add_subparsers(dest="command", required=True)
    for domain in DOMAINS:
        domain.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    private.private_umask()  # before anything is created: files 0600, folders 0700
    parser = build_parser()
    args = parser.parse_args(argv)
    from o3_governance import backup  # the ledger and sealing: not for --help
    from o3_governance.storage import warehouse  # DuckDB: not for --help

    try:
        conf = settings.load()  # every bad environment value is refused before anything runs
        _make_data_private(conf.data_dir)
        # What connections and locks use when a command gives nothing: the configured values.
        with warehouse.configured(memory_limit=conf.duckdb_memory, lock_wait_seconds=conf.lock_wait_seconds,
                                  read_wait_seconds=conf.read_wait_seconds, audit_key=conf.audit_key,
                                  audit_anchor=conf.audit_anchor,
                                  purge_ledger=None if args.command == "backup-key"   # it makes the key
                                  else backup.ledger_of(conf.ledger_dir, conf.backup_key_file)):
            try:
                return int(args.handler(args) or 0)
            finally:
                _make_data_private(conf.data_dir)  # what a command moved in (inbox files keep their mode)
    except settings.SettingsError as exc:
        print(f"o3-governance {args.command}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    except backup.BackupError as exc:  # the backup key file is missing or not a key: one line
        print(f"o3-governance {args.command}: {exc}".splitlines()[0], file=sys.stderr)
        return 2
    except locking.WarehouseBusy as exc:  # another process writes the warehouse: one line, no DuckDB text
        print(f"o3-governance {args.command}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `o3-governance deletion-list | head -1`: the reader left; end quietly like other Unix tools.
        _silence_stdout()
        return 0
    except Exception as exc:  # one line, no traceback, no content: exception texts here are our own
        if isinstance(exc, config.MissingData):
            print(f"o3-governance {args.command}: {exc}".splitlines()[0], file=sys.stderr)
            return 1
        print(f"o3-governance {args.command}: {type(exc).__name__}: {exc}".splitlines()[0]
              + f" ({config.where()})", file=sys.stderr)
        return 1


def _make_data_private(data_dir) -> None:
    """Fixes group/other permissions under the data folder; one line on stderr when it changed anything."""
    note = private.make_private(data_dir).note()
    if note:
        print(f"o3-governance: {note}", file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


