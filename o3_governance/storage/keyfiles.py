"""Random keys kept in files under ``<data>/.secret/`` (0700 folder, 0600 file): created once, race-safe."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def read_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new random one is written first when the file does not exist (the first of
    two processes racing wins, the other reads its key)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip().encode("ascii")
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("ascii")


class KeyFileError(ValueError):
    """A key file that is missing, unreadable or not a key: one line naming the file, never its content."""


def create_key_file(path: Path) -> None:
    """Writes a new random 256-bit key (hex) to ``path`` (0600); an existing file is never replaced."""
    if not path.parent.is_dir():
        raise KeyFileError(f"{path.parent} does not exist")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{path} exists already: a key is never replaced (old backups need it)") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_key_file(path: Path) -> bytes:
    """The 32-byte key in ``path`` (written by :func:`create_key_file`)."""
    try:
        raw = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(raw)
    except FileNotFoundError:
        raise KeyFileError(f"no key file at {path}") from None
    except (OSError, UnicodeDecodeError, ValueError):
        raise KeyFileError(f"{path} does not hold a key (64 hexadecimal characters)") from None
    if len(key) != 32:
        raise KeyFileError(f"{path} does not hold a key (64 hexadecimal characters)")
    return key
