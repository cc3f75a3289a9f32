"""The one reader of the environment: every ``O3_*`` variable (and ``DAGSTER_HOME``) is read and
validated here, once, and a bad value is refused with one line naming the variable and the value.

Core code receives a :class:`Settings` (or the single values it needs) as parameters; only the entry
points (CLI, Dagster resources) call :func:`load`."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Mapping

from o3_governance.vocabulary import DEFAULT_POLICY_FILE, PACKAGE_DIR, PROJECT_ROOT  # noqa: F401  (defaults)


class SettingsError(ValueError):
    """A refused environment value: the message is one line naming the variable and the value."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    policy_file: Path
    as_of: date | None                      # O3_AS_OF: stands in for today in retention decisions only
    dagster_home: Path
    raw_retention_days: int = 0
    quarantine_retention_days: int = 30
    report_retention_days: int = 365
    approval_warn_days: int = 7
    run_history_days: int = 90
    duckdb_memory: str = "512MB"
    directory_file: Path | None = None
    subject_key: str | None = None
    reports_token: str | None = None
    reports_public_url: str = ""
    chromium: str | None = None
    # How long a command waits for the warehouse writer lock before it gives up with one line.
    lock_wait_seconds: float = 600.0
    read_wait_seconds: float = 60.0
    # Bounded work: a body longer than scan_window_chars is scanned in windows (head and tail);
    # a body or line longer than max_body_chars quarantines its archive.
    scan_window_chars: int = 100_000
    max_body_chars: int = 5_000_000
    scan_seconds_per_night: float = 3_600.0
    max_archive_bytes: int = 2 * 1024 ** 3       # total bytes extracted from one archive
    max_night_bytes: int = 20 * 1024 ** 3        # total bytes extracted in one night
    data_dir_explicit: bool = False              # O3_DATA_DIR was set (not the ./data default)
    # The audit chain's HMAC key (else <data>/.secret/audit_key) and a file outside the data folder
    # that remembers the chain's head (one appended line per report or certificate).
    audit_key: str | None = None
    audit_anchor: Path | None = None
    # Backups: the purge ledger's folder and the backup key's file, both outside the data folder;
    # how long a backup is kept.
    ledger_dir: Path | None = None
    backup_key_file: Path | None = None
    backup_retention_days: int = 35
    # The production instance's PostgreSQL URL (deploy/dagster.yaml reads it; checked here).
    dagster_pg_url: str | None = None


# variable -> (field, parser)
def _int(minimum: int, maximum: int | None = None):
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is refused: it must be a whole number") from None
        if value < minimum:
            raise SettingsError(f"{name}={raw!r} is refused: it must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise SettingsError(f"{name}={raw!r} is refused: it must be at most {maximum}")
        return value
    return parse


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is refused: it must be a number of seconds") from None
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{name}={raw!r} is refused: it must be a number of seconds, 0 or more")
    return value


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def _memory(name: str, raw: str) -> str:
    if not _MEMORY.match(raw):
        raise SettingsError(f"{name}={raw!r} is refused: it must be a size such as 512MB or 2GB")
    return raw.strip()


def _date(name: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is refused: it must be an ISO date (YYYY-MM-DD)") from None


def _text(name: str, raw: str) -> str:
    if any(ord(c) < 32 for c in raw):
        raise SettingsError(f"{name} is refused: it holds a control character")
    return raw.strip()


def _secret(minimum: int):
    def parse(name: str, raw: str) -> str:
        value = raw.strip()
        if len(value) < minimum:  # the value itself is never echoed
            raise SettingsError(f"{name} is refused: it must be at least {minimum} characters long")
        return value
    return parse


def _url(name: str, raw: str) -> str:
    value = _text(name, raw).rstrip("/")
    if value and not re.match(r"^https?://[^\s/]+", value):
        raise SettingsError(f"{name}={raw!r} is refused: it must be an http(s) address")
    return value


def _pg_url(name: str, raw: str) -> str:
    value = raw.strip()  # the value holds a password: never echoed
    if not re.match(r"^postgresql\+psycopg2://[^\s]+$", value):
        raise SettingsError(f"{name} is refused: it must be a SQLAlchemy URL such as "
                            f"postgresql+psycopg2://user:password@host:5432/dagster (or ?host=/socket/dir)")
    return value


_VARIABLES = {
    "O3_AS_OF": ("as_of", _date),
    "O3_RAW_RETENTION_DAYS": ("raw_retention_days", _int(0)),
    "O3_QUARANTINE_RETENTION_DAYS": ("quarantine_retention_days", _int(0)),
    "O3_REPORT_RETENTION_DAYS": ("report_retention_days", _int(0)),
    "O3_APPROVAL_WARN_DAYS": ("approval_warn_days", _int(0)),
    "O3_RUN_HISTORY_DAYS": ("run_history_days", _int(1)),
    "O3_DUCKDB_MEMORY": ("duckdb_memory", _memory),
    "O3_SUBJECT_KEY": ("subject_key", lambda n, r: r),
    "O3_AUDIT_KEY": ("audit_key", _secret(16)),
    "O3_REPORTS_TOKEN": ("reports_token", lambda n, r: r.strip()),
    "O3_REPORTS_PUBLIC_URL": ("reports_public_url", _url),
    "O3_CHROMIUM": ("chromium", _text),
    "O3_LOCK_WAIT_SECONDS": ("lock_wait_seconds", _seconds),
    "O3_READ_WAIT_SECONDS": ("read_wait_seconds", _seconds),
    # spaCy refuses longer texts (E088): a window never exceeds its limit.
    "O3_SCAN_WINDOW_CHARS": ("scan_window_chars", _int(1000, 1_000_000)),
    "O3_MAX_BODY_CHARS": ("max_body_chars", _int(1000)),
    "O3_SCAN_SECONDS_PER_NIGHT": ("scan_seconds_per_night", _seconds),
    "O3_MAX_ARCHIVE_BYTES": ("max_archive_bytes", _int(1)),
    "O3_MAX_NIGHT_BYTES": ("max_night_bytes", _int(1)),
    "O3_BACKUP_RETENTION_DAYS": ("backup_retention_days", _int(1)),
    "O3_DAGSTER_PG_URL": ("dagster_pg_url", _pg_url),
}
# Paths: resolved against the working directory the process was started in.
_PATHS = {"O3_DATA_DIR", "O3_POLICY_FILE", "O3_DIRECTORY_FILE", "DAGSTER_HOME", "O3_AUDIT_ANCHOR", "O3_LEDGER_DIR",
          "O3_BACKUP_KEY_FILE"}
VARIABLES = tuple(sorted(set(_VARIABLES) | _PATHS))


def _path(name: str, raw: str, cwd: Path) -> Path:
    value = _text(name, raw)
    if not value:
        raise SettingsError(f"{name} is refused: it is set but empty")
    return (cwd / Path(value).expanduser()).resolve()


def load(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Settings from ``environ`` (default: the process environment); refuses the first bad value."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    values: dict = {}
    for name, (field, parse) in _VARIABLES.items():
        raw = environ.get(name)
        if raw is None or (raw.strip() == "" and field not in ("subject_key",)):
            continue
        values[field] = parse(name, raw)
    if values.get("subject_key") == "":
        values.pop("subject_key")
    data_dir = _path("O3_DATA_DIR", environ["O3_DATA_DIR"], cwd) if environ.get("O3_DATA_DIR") else (cwd / "data").resolve()
    policy = _path("O3_POLICY_FILE", environ["O3_POLICY_FILE"], cwd) if environ.get("O3_POLICY_FILE") else DEFAULT_POLICY_FILE
    directory = _path("O3_DIRECTORY_FILE", environ["O3_DIRECTORY_FILE"], cwd) if environ.get("O3_DIRECTORY_FILE") else None
    home = _path("DAGSTER_HOME", environ["DAGSTER_HOME"], cwd) if environ.get("DAGSTER_HOME") else PROJECT_ROOT / "dagster_home"
    anchor = _anchor(_path("O3_AUDIT_ANCHOR", environ["O3_AUDIT_ANCHOR"], cwd), data_dir) \
        if environ.get("O3_AUDIT_ANCHOR") else None
    ledger_dir = _outside("O3_LEDGER_DIR", _path("O3_LEDGER_DIR", environ["O3_LEDGER_DIR"], cwd), data_dir) \
        if environ.get("O3_LEDGER_DIR") else None
    key_file = _outside("O3_BACKUP_KEY_FILE", _path("O3_BACKUP_KEY_FILE", environ["O3_BACKUP_KEY_FILE"], cwd),
                        data_dir) if environ.get("O3_BACKUP_KEY_FILE") else None
    if ledger_dir is not None and key_file is None:
        raise SettingsError("O3_LEDGER_DIR is refused without O3_BACKUP_KEY_FILE: the ledger's entries are "
                            "sealed with the backup key (create one with `o3-governance backup-key --out FILE`)")
    return Settings(data_dir=data_dir, data_dir_explicit=bool(environ.get("O3_DATA_DIR")),
                    policy_file=policy, dagster_home=home, directory_file=directory, audit_anchor=anchor,
                    ledger_dir=ledger_dir, backup_key_file=key_file, as_of=values.pop("as_of", None), **values)


def _outside(name: str, path: Path, data_dir: Path) -> Path:
    """The ledger and the backup key must survive the loss of the data folder: outside it."""
    if path == data_dir or path.is_relative_to(data_dir) or data_dir.is_relative_to(path):
        raise SettingsError(f"{name}={path} is refused: it must lie outside the data folder {data_dir}")
    return path


def _anchor(path: Path, data_dir: Path) -> Path:
    """The anchor file must lie outside the data folder (whoever can rewrite the one must not reach the
    other) in a folder that exists."""
    if path == data_dir or path.is_relative_to(data_dir):
        raise SettingsError(f"O3_AUDIT_ANCHOR={path} is refused: it must lie outside the data folder {data_dir}")
    if not path.parent.is_dir():
        raise SettingsError(f"O3_AUDIT_ANCHOR={path} is refused: its folder does not exist")
    if path.is_dir():
        raise SettingsError(f"O3_AUDIT_ANCHOR={path} is refused: it is a folder, not a file")
    return path


def field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Settings))


_PATH_FIELDS = {"O3_DATA_DIR": "data_dir", "O3_POLICY_FILE": "policy_file", "O3_DIRECTORY_FILE": "directory_file",
                "DAGSTER_HOME": "dagster_home", "O3_AUDIT_ANCHOR": "audit_anchor"}


def override(base: Settings, values: Mapping[str, str | None], cwd: Path | None = None) -> Settings:
    """``base`` with some variables given again as strings (a Dagster resource's config, a test), each
    checked exactly as the environment's value would be. ``None`` leaves a value as it is."""
    cwd = Path.cwd() if cwd is None else cwd
    changes: dict = {}
    for name, raw in values.items():
        if raw is None:
            continue
        if name in _PATH_FIELDS:
            changes[_PATH_FIELDS[name]] = _path(name, raw, cwd)
        elif name in _VARIABLES:
            field, parse = _VARIABLES[name]
            changes[field] = parse(name, raw)
        else:
            raise SettingsError(f"{name} is not a setting of O3 Governance")
    return replace(base, **changes)
