"""The audit chain's head, anchored outside the database: an append-only checkpoint file.

Each line is one JSON object: when it was written, the chain's newest row and its hash,
the last row pruned and its hash, the id of the key that signed the line and the line's
own HMAC (``alliance.audit.chain``), so a line cannot be forged or altered without the
key. A database replaced with an older copy is then behind the last checkpoint, and a
chain rewritten from some row on no longer has the hashes the checkpoints recorded.

Kinds of line: ``checkpoint`` (the worker at least hourly, ``alliance backup``,
``alliance audit-checkpoint``), ``pruned`` (after ``alliance prune-audit``) and
``restored`` (``alliance audit-checkpoint --restored``, after restoring a backup on
purpose: the lines before it describe a history the restore gave up, and are no longer
compared). Lines are only ever appended; the file is meant to live on append-only or
remote storage (SECURITY.md). Framework-free.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from alliance.audit.chain import CHECKPOINT_LABEL, key_for, key_id, keyed_hash, same, timestamp

try:
    import fcntl
except ImportError:  # pragma: no cover — not POSIX: O_APPEND alone
    fcntl = None  # type: ignore[assignment]

VERSION = 1
KINDS = ("checkpoint", "pruned", "restored")
_HASH = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("v", "kind", "at", "seq", "hash", "pruned_seq", "pruned_hash", "key")


class CheckpointFileError(Exception):
    """A line of the checkpoint file that is not a checkpoint, or not the one that was
    written: the file was damaged, or written to by something other than Alliance."""


@dataclass(frozen=True)
class Checkpoint:
    kind: str
    at: datetime
    seq: int
    hash: str
    pruned_seq: int
    pruned_hash: str
    key_id: str
    mac: str = ""
    line: int = 0  # where it was read from (1-based); 0 for one not read from a file

    def fields(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "kind": self.kind,
            "at": timestamp(self.at),
            "seq": self.seq,
            "hash": self.hash,
            "pruned_seq": self.pruned_seq,
            "pruned_hash": self.pruned_hash,
            "key": self.key_id,
        }

    def text(self) -> str:
        return json.dumps({**self.fields(), "mac": self.mac}, separators=(",", ":")) + "\n"


def checkpoint_signed(
    *,
    kind: str,
    at: datetime,
    seq: int,
    hash: str,
    pruned_seq: int,
    pruned_hash: str,
    key: bytes,
) -> Checkpoint:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of checkpoint {kind!r}")
    unsigned = Checkpoint(kind, at, seq, hash, pruned_seq, pruned_hash, key_id(key))
    mac = keyed_hash(key, CHECKPOINT_LABEL, unsigned.fields())
    return Checkpoint(kind, at, seq, hash, pruned_seq, pruned_hash, key_id(key), mac)


@dataclass
class CheckpointFile:
    """What a checkpoint file holds, read with the configured keys."""

    path: Path
    exists: bool = False
    checkpoints: list[Checkpoint] = field(default_factory=list)
    # Lines signed with a key no longer configured: they can be neither trusted nor refuted.
    unknown_key: int = 0

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    def since_last_restore(self) -> list[Checkpoint]:
        """The lines that describe the history the database should have: from the last
        ``restored`` line on (all of them when there is none)."""
        start = 0
        for index, checkpoint in enumerate(self.checkpoints):
            if checkpoint.kind == "restored":
                start = index
        return self.checkpoints[start:]


def _parsed(text: str, number: int, keys: Sequence[bytes]) -> Checkpoint | None:
    """One line, its HMAC checked; None when no configured key has its key id."""
    try:
        data = json.loads(text)
    except ValueError:
        raise CheckpointFileError(f"line {number} is not a checkpoint") from None
    if not isinstance(data, dict) or set(data) != {*_FIELDS, "mac"}:
        raise CheckpointFileError(f"line {number} is not a checkpoint")
    if not isinstance(data["key"], str) or not isinstance(data["mac"], str):
        raise CheckpointFileError(f"line {number} is not a checkpoint")
    key = key_for(data["key"], keys)
    if key is None:
        return None
    unsigned = {name: data[name] for name in _FIELDS}
    if not same(keyed_hash(key, CHECKPOINT_LABEL, unsigned), data["mac"]):
        raise CheckpointFileError(
            f"line {number} does not match its HMAC: it was altered or forged"
        )
    try:
        checkpoint = Checkpoint(
            kind=data["kind"],
            at=datetime.fromisoformat(data["at"]),
            seq=int(data["seq"]),
            hash=data["hash"],
            pruned_seq=int(data["pruned_seq"]),
            pruned_hash=data["pruned_hash"],
            key_id=data["key"],
            mac=data["mac"],
            line=number,
        )
    except (TypeError, ValueError):
        raise CheckpointFileError(f"line {number} is not a checkpoint") from None
    if (
        data["v"] != VERSION
        or checkpoint.kind not in KINDS
        or not _HASH.fullmatch(str(checkpoint.hash))
        or not _HASH.fullmatch(str(checkpoint.pruned_hash))
        or not 0 <= checkpoint.pruned_seq <= checkpoint.seq
        or checkpoint.at.tzinfo is None
    ):
        raise CheckpointFileError(f"line {number} is not a checkpoint")
    return checkpoint


def read_checkpoints(path: Path, keys: Sequence[bytes]) -> CheckpointFile:
    """Every line of the file, each one's HMAC checked (CheckpointFileError otherwise)."""
    found = CheckpointFile(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return found
    found.exists = True
    lines = data.decode("utf-8", "replace").split("\n")
    if lines[-1]:
        raise CheckpointFileError(f"line {len(lines)} is cut short (no end of line)")
    for number, text in enumerate(lines[:-1], start=1):
        checkpoint = _parsed(text, number, keys)
        if checkpoint is None:
            found.unknown_key += 1
        else:
            found.checkpoints.append(checkpoint)
    return found


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Add one line at the end of the file, whole and on disk before returning. Writers in
    other processes (the worker, a backup) take turns through an advisory lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        data = checkpoint.text().encode("utf-8")
        if os.write(descriptor, data) != len(data):
            raise OSError(f"could not write the whole checkpoint to {path}")
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def last_written_at(path: Path) -> datetime | None:
    """When the file's last line was written, read from its end only (the worker asks every
    round); None when there is no file or its last line cannot be read."""
    try:
        with path.open("rb") as source:
            source.seek(0, os.SEEK_END)
            source.seek(max(0, source.tell() - 4096))
            tail = source.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return None
    lines = tail.rstrip("\n").rsplit("\n", 1)
    with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
        written = datetime.fromisoformat(json.loads(lines[-1])["at"])
        return written if written.tzinfo is not None else None
    return None
