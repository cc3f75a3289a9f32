"""Private by default: everything the system keeps under the data folder is readable by its owner only.

The entry points (the CLI, the Dagster resource, the report server) call :func:`private_umask` before
they create anything, so new files are 0600 and new folders 0700 whatever the shell's umask; and
:func:`make_private` on start fixes what an older version, a copy or a hand-made folder left open to
the group or others. Files keep their owner bits (an executable stays executable for its owner).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PRIVATE_UMASK = 0o077
OPEN_BITS = 0o077  # group and others


def private_umask() -> int:
    """Sets the process umask to 077; returns the one it replaced."""
    return os.umask(PRIVATE_UMASK)


@dataclass(frozen=True)
class Fixed:
    files: int = 0
    folders: int = 0
    failed: int = 0    # not ours to change (another owner), or gone while walking

    def note(self) -> str | None:
        """One line for the log when something was fixed (counts only, never names); None otherwise."""
        if not (self.files or self.folders or self.failed):
            return None
        line = (f"made {self.files} file(s) and {self.folders} folder(s) under the data folder owner-only "
                f"(they were open to group or others)")
        return line + (f"; {self.failed} could not be changed" if self.failed else "")


def make_private(root: Path) -> Fixed:
    """Removes group and other permissions from ``root`` and everything under it. Symbolic links are
    neither followed nor changed (the report server refuses them); a missing ``root`` is nothing to do."""
    files = folders = failed = 0
    root = Path(root)
    if not root.is_dir() or root.is_symlink():
        return Fixed()

    def fix(path: str, is_dir: bool) -> None:
        nonlocal files, folders, failed
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode) or not (st.st_mode & OPEN_BITS):
                return
            os.chmod(path, stat.S_IMODE(st.st_mode) & ~OPEN_BITS)  # lstat said: not a link
        except (PermissionError, FileNotFoundError):
            failed += 1
            return
        if is_dir:
            folders += 1
        else:
            files += 1

    fix(str(root), True)
    for here, dirs, names in os.walk(root, followlinks=False):
        for d in dirs:
            fix(os.path.join(here, d), True)
        for n in names:
            fix(os.path.join(here, n), False)
    return Fixed(files, folders, failed)


def open_modes(root: Path) -> list[tuple[str, int]]:
    """(path relative to ``root``, mode) of everything under ``root`` open to group or others."""
    out = []
    root = Path(root)
    for here, dirs, names in os.walk(root, followlinks=False):
        for n in dirs + names:
            p = os.path.join(here, n)
            mode = stat.S_IMODE(os.lstat(p).st_mode)
            if not stat.S_ISLNK(os.lstat(p).st_mode) and mode & OPEN_BITS:
                out.append((os.path.relpath(p, root), mode))
    return out
