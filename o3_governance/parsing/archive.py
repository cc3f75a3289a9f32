"""The entry point for ingest: ``open_container(path)`` → ParsedContainer (every chat of one inbox item,
a file or a folder); ``open_archive(path)`` → its first chat, for one-chat callers.

Detected by content, not only by extension: a zip (``PK`` signature), a Cloud API webhook capture
(JSON / JSON Lines) or an exported chat text. Zips are read in place — members are streamed from
the archive, never extracted to disk — after every entry has been checked (unsafe paths, links,
decompression bombs refuse the whole zip). A zip or a folder may hold several chats: each is its own
ParsedExport, and the other files are media shared by them (keyed by base name). Symlinks are never
followed.
"""
from __future__ import annotations

import io
import posixpath
import re
import stat
import zipfile
import zlib
from pathlib import Path

from o3_governance.parsing.inbox import folder_members, is_chat_candidate
from o3_governance.parsing.model import MediaRef, NotAnExport, ParsedContainer, ParsedExport
from o3_governance.parsing import cloud_api, whatsapp_txt

MAX_ENTRIES = 10_000
MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3   # default of O3_MAX_ARCHIVE_BYTES; ingest passes the configured value
DEFAULT_MAX_BODY_CHARS = whatsapp_txt.DEFAULT_MAX_BODY_CHARS
MAX_RATIO = 100                    # uncompressed / compressed, checked for members over LARGE_MEMBER
LARGE_MEMBER = 1024**2

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_CHAT_MEMBER_RE = re.compile(r"^(?:_chat|WhatsApp.*|Discussion WhatsApp.*)\.txt$", re.IGNORECASE)
_CORRUPT = "zip is truncated or corrupt"


def too_large(max_bytes: int) -> NotAnExport:
    return NotAnExport(f"zip is too large once uncompressed: archive expands to more than {max_bytes} bytes")


def expanded_size(path) -> int:
    """Bytes an inbox item expands to: a zip's declared member sizes (zipfile never inflates a member
    beyond its declared size), a folder's member files, else the file's own size (a symlink: 0, it is
    never followed). Cheap: the zip's central directory only."""
    path = Path(path)
    if path.is_symlink():
        return 0
    if path.is_dir():
        try:
            return sum(p.lstat().st_size for p in folder_members(path))
        except OSError:
            return 0   # cannot be listed: open_container raises the system's error
    size = path.stat().st_size
    try:
        with open(path, "rb") as f:
            if not f.read(4).startswith(_ZIP_MAGIC):
                return size
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        return size   # unreadable: open_archive refuses it with its reason


def open_archive(path, work_dir=None, *, max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
                 max_archive_bytes: int = MAX_TOTAL_UNCOMPRESSED) -> ParsedExport:
    """One-chat callers: the first chat of ``open_container(path)`` (closing it closes the container).
    Raises NotAnExport with a one-line reason, as ``open_container`` does."""
    container = open_container(path, work_dir, max_body_chars=max_body_chars, max_archive_bytes=max_archive_bytes)
    first = container.chats[0]
    first._close = container._close
    return first


def open_container(path, work_dir=None, *, max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
                   max_archive_bytes: int = MAX_TOTAL_UNCOMPRESSED) -> ParsedContainer:
    """Open one inbox item — a file (zip, capture, chat text) or a folder (an unzipped export, a capture
    with its media) — and return every chat in it, each its own ParsedExport. ``work_dir`` is accepted
    for ingest's sake; nothing is written there (zip members are streamed). Raises NotAnExport with a
    one-line reason: among others for a symlink, for a container whose files together exceed
    ``max_archive_bytes``, or (while streaming) a line or message longer than ``max_body_chars``."""
    path = Path(path)
    if path.is_symlink():
        raise NotAnExport("symbolic link: not followed")
    if path.is_dir():
        return _open_folder(path, max_body_chars, max_archive_bytes)
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except IsADirectoryError:
        raise NotAnExport("not a file") from None
    if not head:
        raise NotAnExport("file is empty")
    ext = path.suffix.lower()
    if head.startswith(_ZIP_MAGIC):
        return _open_zip(path, max_body_chars, max_archive_bytes)
    if ext == ".zip":
        raise NotAnExport(f"{_CORRUPT} (no zip signature)")
    if path.stat().st_size > max_archive_bytes:
        raise NotAnExport(f"file is too large: archive expands to more than {max_archive_bytes} bytes")
    if ext in (".json", ".jsonl") or _looks_like_json(head):
        return ParsedContainer([_capture(path, None, max_body_chars)])
    return ParsedContainer([whatsapp_txt.parse_text(_file_opener(path), path.name, max_body_chars=max_body_chars)])


def _file_opener(path: Path):
    return lambda: open(path, "rb")


def _capture(path: Path, member_name: str | None, max_body_chars: int, media: dict | None = None,
             media_by_id: dict | None = None) -> ParsedExport:
    return cloud_api.parse_capture(path, max_body_chars, media=media, media_by_id=media_by_id,
                                   member_name=member_name)


def _is_capture_file(path: Path) -> bool:
    if path.suffix.lower() in (".json", ".jsonl"):
        return True
    try:
        with open(path, "rb") as f:
            return _looks_like_json(f.read(64))
    except OSError:
        return False


def _chat_rank(member: str) -> tuple[int, int, str]:
    """Chats named as exports come first (``_chat.txt``, then ``WhatsApp Chat …``), shallowest first:
    the first is what ``open_archive`` gives one-chat callers."""
    base = posixpath.basename(member)
    low = base.lower()
    # A .jsonl is never a shared document: like an export-named text, it must read, or the container is refused.
    rank = 0 if low == "_chat.txt" else 1 if _CHAT_MEMBER_RE.match(base) or low.endswith(".jsonl") else 2
    return rank, member.count("/"), member


def _open_chats(candidates, open_one, container_name: str):
    """Open each candidate member as a chat. A candidate named as an export (or a .jsonl capture) must be
    one: its error refuses the container. Any other text or .json is a chat when it reads as one, else a
    media file (a shared document). No chat at all: the first error, or "holds no WhatsApp chat text"."""
    chats, first_error = [], None
    for member in sorted(candidates, key=_chat_rank):
        try:
            chats.append(open_one(member))
        except NotAnExport as exc:
            if _chat_rank(member)[0] < 2:
                raise
            first_error = first_error or exc
    if not chats:
        raise first_error or NotAnExport(f"{container_name} holds no WhatsApp chat text")
    return chats


def _open_folder(folder: Path, max_body_chars: int, max_archive_bytes: int) -> ParsedContainer:
    members = folder_members(folder)
    total = 0
    for p in members:
        try:
            total += p.stat().st_size
        except OSError:
            raise NotAnExport("folder cannot be read") from None
    if total > max_archive_bytes:
        raise NotAnExport(f"folder is too large: its files hold more than {max_archive_bytes} bytes")
    rel = {p.relative_to(folder).as_posix(): p for p in members}
    candidates = [r for r in rel if "/" not in r and is_chat_candidate(r)]
    media: dict[str, MediaRef] = {}
    media_by_id: dict[str, MediaRef] = {}   # captures name media by Meta's media id: "<id>.<any ext>"

    def open_one(member: str) -> ParsedExport:
        p = rel[member]
        if p.stat().st_size == 0:
            raise NotAnExport("file is empty")
        if _is_capture_file(p):
            return _capture(p, member, max_body_chars, media, media_by_id)
        return whatsapp_txt.parse_text(_file_opener(p), folder.name, member_name=member, media=media,
                                       max_body_chars=max_body_chars)

    chats = _open_chats(candidates, open_one, "folder")
    taken = {c.member_name for c in chats}
    for member, p in rel.items():
        base = posixpath.basename(member)
        if member in taken:
            continue
        ref = MediaRef(name=base, size=p.stat().st_size, open=_file_opener(p))
        media.setdefault(base, ref)
        media_by_id.setdefault(base.split(".", 1)[0], ref)
    return ParsedContainer(chats)


def _looks_like_json(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"{"):
        return True
    # An iOS export also starts with "[" — but with a date right after it.
    return text.startswith(b"[") and text[1:].lstrip()[:1] in (b"{", b"]", b"")


class _SafeStream(io.RawIOBase):
    """A zip member stream whose data errors (CRC, inflate) come out as NotAnExport, with no names."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self._inner.read(len(b))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
            raise NotAnExport("zip member is corrupt (CRC or data error)") from None
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _member_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    def open_member():
        try:
            inner = zf.open(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
            raise NotAnExport(_CORRUPT) from None
        return io.BufferedReader(_SafeStream(inner), buffer_size=1 << 16)
    return open_member


def _unsafe(info: zipfile.ZipInfo) -> bool:
    name = info.filename
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE_RE.match(name):
        return True
    if ".." in re.split(r"[\\/]", name):
        return True
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


def _ignored(name: str) -> bool:
    base = posixpath.basename(name)
    return name.startswith("__MACOSX/") or "/__MACOSX/" in name or base.startswith("._") or not base


def check_zip_entries(infos: list[zipfile.ZipInfo], max_total: int = MAX_TOTAL_UNCOMPRESSED) -> None:
    """Refuse the whole zip on any unsafe entry or bomb sign, or when its members together exceed
    ``max_total`` bytes. Declared sizes bound what zipfile will ever inflate (it stops at file_size),
    so checking them is enough."""
    if len(infos) > MAX_ENTRIES:
        raise NotAnExport("zip has too many entries")
    total = 0
    for info in infos:
        if _unsafe(info):
            raise NotAnExport("zip contains unsafe entries (absolute path, '..', drive letter or link)")
        total += info.file_size
        if info.file_size > LARGE_MEMBER and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise NotAnExport("zip looks like a decompression bomb (compression ratio too high)")
    if total > max_total:
        raise too_large(max_total)


def _open_zip(path: Path, max_body_chars: int = DEFAULT_MAX_BODY_CHARS,
              max_archive_bytes: int = MAX_TOTAL_UNCOMPRESSED) -> ParsedContainer:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise NotAnExport(_CORRUPT) from None
    try:
        infos = zf.infolist()
        check_zip_entries(infos, max_archive_bytes)
        files = {i.filename: i for i in infos if not i.is_dir() and not _ignored(i.filename)}
        candidates = [name for name in files if name.lower().endswith(".txt")]
        media: dict[str, MediaRef] = {}

        def open_one(member: str) -> ParsedExport:
            return whatsapp_txt.parse_text(_member_opener(zf, files[member]), path.name, member_name=member,
                                           media=media, max_body_chars=max_body_chars)

        chats = _open_chats(candidates, open_one, "zip")
        taken = {c.member_name for c in chats}
        for name, info in files.items():
            base = posixpath.basename(name)
            if name not in taken and base not in media:
                media[base] = MediaRef(name=base, size=info.file_size, open=_member_opener(zf, info))
        return ParsedContainer(chats, _close=zf.close)
    except BaseException:
        zf.close()
        raise
