"""The sealed-file format of backups: round trips, and every kind of tampering refused."""

from __future__ import annotations

import io
import os
import struct

import pytest

from alliance.lib import sealed

KEY = os.urandom(32)
OTHER = os.urandom(32)
HEADER = {"format": 1, "engine": "sqlite"}


def seal(data: bytes, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealed.seal(io.BytesIO(data), out, key, HEADER)
    return out.getvalue()


def unseal(blob: bytes, keys: list[bytes] | None = None) -> bytes:
    header, chunks = sealed.open_sealed(io.BytesIO(blob), keys or [KEY])
    assert header == HEADER
    return b"".join(chunks)


@pytest.mark.parametrize(
    "size", [0, 1, 1000, sealed.CHUNK - 1, sealed.CHUNK, sealed.CHUNK + 1, 3 * sealed.CHUNK]
)
def test_round_trip(size: int) -> None:
    data = os.urandom(size)
    blob = seal(data)
    assert unseal(blob) == data
    if size >= 16:
        assert data[:16] not in blob


def test_the_header_is_readable_without_the_key_and_names_the_key() -> None:
    kid, header, _ = sealed.read_header(io.BytesIO(seal(b"x")))
    assert header == HEADER
    from alliance.lib.crypto import key_id

    assert kid == key_id(KEY)


def test_any_listed_key_opens_it() -> None:
    assert unseal(seal(b"hello"), [OTHER, KEY]) == b"hello"


def test_a_missing_key_is_named() -> None:
    with pytest.raises(sealed.SealedFileError, match="None of the configured backup keys"):
        unseal(seal(b"hello"), [OTHER])


def _layout(blob: bytes) -> tuple[int, list[tuple[int, int]]]:
    """Offset where chunks start, and (start, end) of each chunk record."""
    header_length = struct.unpack(">I", blob[24:28])[0]
    offset = 28 + header_length
    records = []
    position = offset
    while position < len(blob):
        size = struct.unpack(">I", blob[position : position + 4])[0]
        records.append((position, position + 4 + 12 + size))
        position += 4 + 12 + size
    return offset, records


def test_every_changed_byte_is_caught() -> None:
    blob = seal(os.urandom(2 * sealed.CHUNK + 10))
    offset, _ = _layout(blob)
    for position in [offset - 3, offset + 2, offset + 20, len(blob) // 2, len(blob) - 1]:
        changed = bytearray(blob)
        changed[position] ^= 0x01
        with pytest.raises(sealed.SealedFileError):
            unseal(bytes(changed))


def test_a_cut_short_file_is_caught_even_at_a_chunk_boundary() -> None:
    blob = seal(os.urandom(2 * sealed.CHUNK + 10))
    _, records = _layout(blob)
    for end in [records[0][1], records[1][1], len(blob) - 1, 40]:
        with pytest.raises(sealed.SealedFileError):
            unseal(blob[:end])


def test_reordered_dropped_or_extra_chunks_are_caught() -> None:
    blob = seal(os.urandom(3 * sealed.CHUNK))
    offset, records = _layout(blob)
    chunks = [blob[a:b] for a, b in records]
    head = blob[:offset]
    for variant in (
        [chunks[1], chunks[0], *chunks[2:]],
        [chunks[0], *chunks[2:]],
        [chunks[0], chunks[0], *chunks[1:]],
    ):
        with pytest.raises(sealed.SealedFileError):
            unseal(head + b"".join(variant))
    with pytest.raises(sealed.SealedFileError, match="after its end"):
        unseal(blob + b"more")


def test_a_changed_header_is_caught() -> None:
    blob = seal(b"data")
    changed = blob.replace(b'"sqlite"', b'"sqlitf"')
    header, chunks = sealed.open_sealed(io.BytesIO(changed), [KEY])
    assert header["engine"] == "sqlitf"  # readable, but nothing behind it opens
    with pytest.raises(sealed.SealedFileError):
        b"".join(chunks)


def test_a_foreign_file_is_named() -> None:
    with pytest.raises(sealed.SealedFileError, match="not an Alliance backup"):
        unseal(b"SQLite format 3\x00" + b"\x00" * 100)
