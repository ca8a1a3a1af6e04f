"""Encrypted, tamper-evident files for backups (AES-256-GCM in chunks), framework-free.

Layout::

    b"ALLIANCE-SEALED\\n"   magic, 16 bytes
    key id                  8 ASCII hex digits (which key sealed it; see crypto.key_id)
    header length           4 bytes, big-endian
    header                  UTF-8 JSON, readable without the key (engine, date…)
    chunks                  each: 4-byte length, 12-byte nonce, ciphertext + 16-byte tag

Every chunk's associated data binds the SHA-256 of the header, the chunk's index and
whether it is the last one. So a changed header, a changed, dropped, reordered or
duplicated chunk, or a file cut short all fail to open, with a message that says which.
Nothing is written in plaintext: the caller streams bytes in and out.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alliance.lib.crypto import key_id

MAGIC = b"ALLIANCE-SEALED\n"
CHUNK = 1024 * 1024


class SealedFileError(Exception):
    """The file is not a sealed file, was changed, was cut short, or no key opens it."""


def _aad(header_digest: bytes, index: int, last: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if last else 0)


def seal(
    source: IO[bytes],
    target: IO[bytes],
    key: bytes,
    header: dict[str, Any],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Encrypt everything ``source`` yields into ``target``; returns the plaintext size."""
    header_bytes = json.dumps(header, sort_keys=True).encode("utf-8")
    digest = hashlib.sha256(header_bytes).digest()
    target.write(MAGIC + key_id(key).encode("ascii") + struct.pack(">I", len(header_bytes)))
    target.write(header_bytes)
    aead = AESGCM(key)
    total = 0
    index = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if chunk else b""
        last = not following
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, chunk, _aad(digest, index, last))
        target.write(struct.pack(">I", len(sealed)) + nonce + sealed)
        total += len(chunk)
        if progress is not None:
            progress(total)
        if last:
            return total
        chunk = following
        index += 1


def read_header(source: IO[bytes]) -> tuple[str, dict[str, Any], bytes]:
    """The key id and header of a sealed file (no key needed), and the header's digest."""
    start = source.read(len(MAGIC) + 8 + 4)
    if len(start) < len(MAGIC) + 12 or not start.startswith(MAGIC):
        raise SealedFileError("This is not an Alliance backup file.")
    kid = start[len(MAGIC) : len(MAGIC) + 8].decode("ascii", "replace")
    (length,) = struct.unpack(">I", start[-4:])
    if length > 1024 * 1024:
        raise SealedFileError("This is not an Alliance backup file (its header is too long).")
    header_bytes = source.read(length)
    if len(header_bytes) != length:
        raise SealedFileError("The backup file is cut short (its header is incomplete).")
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise SealedFileError("The backup file's header is damaged.") from None
    if not isinstance(header, dict):
        raise SealedFileError("The backup file's header is damaged.")
    return kid, header, hashlib.sha256(header_bytes).digest()


def open_sealed(source: IO[bytes], keys: Sequence[bytes]) -> tuple[dict[str, Any], Iterator[bytes]]:
    """The header, and an iterator over the plaintext chunks, each checked before it is given.

    The iterator raises ``SealedFileError`` on the first chunk that fails; callers must not
    act on the data until the iterator has finished (the last chunk proves completeness).
    """
    kid, header, digest = read_header(source)
    key = next((k for k in keys if key_id(k) == kid), None)
    if key is None:
        raise SealedFileError(
            f"None of the configured backup keys opens this file (it was sealed with key {kid})."
        )
    aead = AESGCM(key)

    def chunks() -> Iterator[bytes]:
        index = 0
        while True:
            size_bytes = source.read(4)
            if len(size_bytes) < 4:
                raise SealedFileError("The backup file is cut short: its end is missing.")
            (size,) = struct.unpack(">I", size_bytes)
            nonce = source.read(12)
            sealed = source.read(size)
            if len(nonce) < 12 or len(sealed) < size or size > CHUNK + 16:
                raise SealedFileError("The backup file is cut short: its end is missing.")
            for last in (False, True):
                try:
                    plain = aead.decrypt(nonce, sealed, _aad(digest, index, last))
                except InvalidTag:
                    continue
                yield plain
                if last:
                    if source.read(1):
                        raise SealedFileError("The backup file has data after its end.")
                    return
                break
            else:
                raise SealedFileError(
                    f"The backup file was changed or damaged (part {index + 1} does not check)."
                )
            index += 1

    return header, chunks()
