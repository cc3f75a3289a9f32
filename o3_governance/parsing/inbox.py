"""The inbox is a tree: ``discover(inbox)`` turns every file under it into exactly one ``InboxItem``.

- A non-root folder whose own files hold a chat text (``.txt``) or a capture (``.json``/``.jsonl``) with
  other files beside them (directly, or under its ``media/`` subfolder) is an unzipped export or a
  capture with its media: ONE ``ITEM_FOLDER`` whose members are its own files and everything under
  ``media/``. Its other subfolders are discovered on their own.
- Every other file is its own ``ITEM_FILE`` (the inbox root's files always are).
- A symlink (to a file or a folder, or dangling) is an ``ITEM_SYMLINK`` and is never followed.
- Hidden names (leading ".") and partial downloads are left where they are: they are no items, and
  hidden folders are not entered.

Nothing here reads a file's content: only names and ``lstat``.
"""
from __future__ import annotations

import os
from pathlib import Path

from o3_governance.parsing.model import ITEM_FILE, ITEM_FOLDER, ITEM_SYMLINK, InboxItem

# Browsers and sync tools leave these while a download is still being written.
PARTIAL_SUFFIXES = (".crdownload", ".part", ".partial", ".tmp", ".download")
CHAT_TEXT_SUFFIXES = (".txt",)
CAPTURE_SUFFIXES = (".json", ".jsonl")
MEDIA_FOLDER = "media"


def left_alone(name: str) -> bool:
    """Hidden files and partial downloads stay in the inbox and are no items."""
    return name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES)


def is_chat_candidate(name: str) -> bool:
    """A file that may be a chat text or a capture, judged by its name only."""
    return name.lower().endswith(CHAT_TEXT_SUFFIXES + CAPTURE_SUFFIXES)


def _entries(folder: Path) -> list[os.DirEntry]:
    """The folder's entries that are not left alone, by name. Raises OSError when it cannot be listed."""
    with os.scandir(folder) as it:
        return sorted((e for e in it if not left_alone(e.name)), key=lambda e: e.name)


def _kind(entry: os.DirEntry) -> str | None:
    """symlink / dir / file, or None for what is none of them (a FIFO or socket is never opened)."""
    try:
        if entry.is_symlink():
            return "symlink"
        if entry.is_dir(follow_symlinks=False):
            return "dir"
        if entry.is_file(follow_symlinks=False):
            return "file"
    except OSError:
        return None
    return None


def _rel(inbox: Path, path: Path) -> str:
    return path.relative_to(inbox).as_posix()


def _media_tree(folder: Path, inbox: Path, files: list[Path], links: list[InboxItem]) -> None:
    """Every regular file under ``folder`` (recursively) into ``files``; symlinks into ``links``."""
    try:
        entries = _entries(folder)
    except OSError:
        return   # a media folder that cannot be listed: the folder item still fails when it is opened
    for e in entries:
        kind = _kind(e)
        p = Path(e.path)
        if kind == "symlink":
            links.append(InboxItem(ITEM_SYMLINK, p, _rel(inbox, p)))
        elif kind == "dir":
            _media_tree(p, inbox, files, links)
        elif kind == "file":
            files.append(p)


def _walk(folder: Path, inbox: Path, items: list[InboxItem]) -> None:
    try:
        entries = [(e, _kind(e)) for e in _entries(folder)]
    except OSError:
        if folder != inbox:
            # Cannot be listed (permissions): still an item, never silently skipped; opening it fails
            # with the system's error, which ingest treats as a reason of the system, not of the file.
            items.append(InboxItem(ITEM_FOLDER, folder, _rel(inbox, folder)))
        return
    files = [Path(e.path) for e, k in entries if k == "file"]
    dirs = [Path(e.path) for e, k in entries if k == "dir"]
    for e, k in entries:
        if k == "symlink":
            items.append(InboxItem(ITEM_SYMLINK, Path(e.path), _rel(inbox, Path(e.path))))

    media_dir = folder / MEDIA_FOLDER
    media_files: list[Path] = []
    media_links: list[InboxItem] = []
    is_root = folder == inbox
    has_chat = not is_root and any(is_chat_candidate(p.name) for p in files)
    if has_chat and media_dir in dirs:
        _media_tree(media_dir, inbox, media_files, media_links)
    beside = [p for p in files if not is_chat_candidate(p.name)]
    if has_chat and (beside or media_files):
        members = tuple(sorted(files + media_files, key=lambda p: _rel(inbox, p)))
        items.append(InboxItem(ITEM_FOLDER, folder, _rel(inbox, folder), members))
        items.extend(media_links)
        dirs = [d for d in dirs if d != media_dir]
    else:
        items.extend(InboxItem(ITEM_FILE, p, _rel(inbox, p)) for p in files)
    for d in dirs:
        _walk(d, inbox, items)


def discover(inbox: Path) -> list[InboxItem]:
    """Every item waiting in the inbox tree, ordered by relative name (oldest name first, as before).
    A missing inbox has none."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return []
    items: list[InboxItem] = []
    _walk(inbox, inbox, items)
    return sorted(items, key=lambda i: i.relative_name)


def folder_members(folder: Path) -> tuple[Path, ...]:
    """The files that belong to a folder item: its own files and everything under ``media/``, sorted
    by path. Symlinks, hidden files and partial downloads are not members. Raises OSError when the
    folder or its ``media/`` cannot be listed."""
    folder = Path(folder)
    files = [Path(e.path) for e in _entries(folder) if _kind(e) == "file"]   # OSError: cannot be listed
    media_dir = folder / MEDIA_FOLDER
    media: list[Path] = []
    if media_dir.is_dir() and not media_dir.is_symlink():
        _entries(media_dir)   # OSError when media/ cannot be listed: its files must not go missing silently
        _media_tree(media_dir, folder, media, [])
    return tuple(sorted(files + media, key=lambda p: p.relative_to(folder).as_posix()))


def remove_empty_folders(inbox: Path) -> int:
    """Remove every folder under ``inbox`` left empty (deepest first); never the inbox itself, never
    a hidden folder, never through a symlink. Returns how many were removed."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        return 0
    removed = 0

    def prune(folder: Path) -> bool:
        """True when ``folder`` is empty once its own empty subfolders are gone."""
        nonlocal removed
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            return False
        empty = True
        for e in entries:
            try:
                real_dir = e.is_dir(follow_symlinks=False)
            except OSError:
                real_dir = False
            if real_dir and not e.name.startswith(".") and prune(Path(e.path)):
                try:
                    os.rmdir(e.path)
                    removed += 1
                    continue
                except OSError:
                    pass
            empty = False
        return empty

    prune(inbox)
    return removed
