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
