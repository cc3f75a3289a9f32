"""Sealed files: AES-256-GCM in chunks, so a file of any size is encrypted and checked without being
held in memory, and a changed, reordered, cut or swapped chunk is refused.

Layout of a sealed file: ``MAGIC`` + an 8-byte random nonce prefix, then chunks, each a 4-byte length
and its ciphertext. Chunk ``i`` uses nonce = prefix + i (4 bytes) and authenticates ``label``, ``i`` and
whether it is the last chunk; ``label`` binds the file to its place (a blob cannot stand in for another).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"O3SEAL1\n"
CHUNK = 1024 * 1024
KEY_BYTES = 32


class SealError(ValueError):
    """A sealed file that does not open with this key: changed, cut, or sealed with another key."""


def _aad(label: str, index: int, last: bool) -> bytes:
    return f"{label}\x00{index}\x00{int(last)}".encode("utf-8")


def _check_key(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise SealError(f"a sealing key has {KEY_BYTES} bytes")
    return AESGCM(key)


def seal_stream(key: bytes, label: str, src: BinaryIO, dst: BinaryIO) -> str:
    """Seals everything ``src`` holds into ``dst``; returns the sha256 of the plain bytes."""
    aes = _check_key(key)
    prefix = secrets.token_bytes(8)
    dst.write(MAGIC + prefix)
    digest = hashlib.sha256()
    index = 0
    chunk = src.read(CHUNK)
    while True:
        following = src.read(CHUNK) if chunk else b""
        last = not following
        digest.update(chunk)
        sealed = aes.encrypt(prefix + index.to_bytes(4, "big"), chunk, _aad(label, index, last))
        dst.write(len(sealed).to_bytes(4, "big") + sealed)
        if last:
            return digest.hexdigest()
        chunk, index = following, index + 1


def open_stream(key: bytes, label: str, src: BinaryIO, dst: BinaryIO) -> str:
    """Writes the plain bytes of a sealed ``src`` into ``dst``; returns their sha256. Raises
    :class:`SealError` when any chunk fails its check or the last chunk is missing."""
    aes = _check_key(key)
    head = src.read(len(MAGIC) + 8)
    if len(head) != len(MAGIC) + 8 or not head.startswith(MAGIC):
        raise SealError(f"{label} is not a sealed file")
    prefix = head[len(MAGIC):]
    digest = hashlib.sha256()
    index = 0
    while True:
        size = src.read(4)
        if len(size) != 4:
            raise SealError(f"{label} is cut short")
        sealed = src.read(int.from_bytes(size, "big"))
        nonce = prefix + index.to_bytes(4, "big")
        last = src.peek(1)[:1] == b"" if hasattr(src, "peek") else _at_end(src)
        try:
            plain = aes.decrypt(nonce, sealed, _aad(label, index, last))
        except InvalidTag:
            raise SealError(f"{label} fails its integrity check (changed, or sealed with another key)") from None
        digest.update(plain)
        dst.write(plain)
        if last:
            return digest.hexdigest()
        index += 1


def _at_end(src: BinaryIO) -> bool:
    here = src.tell()
    more = src.read(1)
    src.seek(here)
    return not more


def seal_bytes(key: bytes, label: str, data: bytes) -> bytes:
    import io
    out = io.BytesIO()
    seal_stream(key, label, io.BytesIO(data), out)
    return out.getvalue()


def open_bytes(key: bytes, label: str, data: bytes) -> bytes:
    import io
    out = io.BytesIO()
    src = io.BufferedReader(io.BytesIO(data))
    open_stream(key, label, src, out)
    return out.getvalue()


def seal_file(key: bytes, label: str, src: Path, dst: Path) -> str:
    """Seals the file ``src`` into a new file ``dst`` (0600); returns the sha256 of ``src``'s bytes."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        digest = seal_stream(key, label, fin, fout)
        fout.flush()
        os.fsync(fout.fileno())
    return digest


def open_file(key: bytes, label: str, src: Path, dst: Path) -> str:
    """Opens the sealed file ``src`` into a new file ``dst`` (0600); returns the plain bytes' sha256."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(src, "rb") as fin, os.fdopen(fd, "wb") as fout:
        return open_stream(key, label, fin, fout)
