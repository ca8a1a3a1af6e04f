"""Encrypted backup and restore of the whole database (`alliance backup`, `alliance restore`).

SQLite: the online backup API copies a consistent snapshot of the live database into
memory (no plaintext copy on disk), which is then sealed with ALLIANCE_BACKUP_KEYS.
PostgreSQL: ``pg_dump --format=custom`` streams into the sealer. The file format is
``alliance.lib.sealed`` (AES-256-GCM in chunks, tamper-evident).

Before the snapshot, a checkpoint of the audit chain's head is appended to the checkpoint
file (``alliance.audit.checkpoints``), so that every backup is anchored outside the
database too.

Restore checks the whole file before touching the database (a changed, truncated or
foreign file changes nothing), then replaces the database's content: on SQLite through
the backup API into the live file, on PostgreSQL through ``pg_restore --clean
--single-transaction``. Stop the web server and the worker while restoring. A restore
takes the audit chain back to the backup's; checkpoints written since then show it as a
rollback until ``alliance audit-checkpoint --restored`` records that it was on purpose.
"""

from __future__ import annotations

import glob
import io
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError, connection

from alliance.lib import sealed

FORMAT = 1
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go ahead, with a message for the person running it."""


def _key() -> bytes:
    keys: list[bytes] = settings.BACKUP_KEYS
    if not keys:
        raise BackupError(
            "Set ALLIANCE_BACKUP_KEYS to a key of its own (generate one with "
            "`alliance generate-key`) and keep it apart from the backups."
        )
    return keys[0]


def _engine() -> str:
    return connection.vendor


def _applied_migrations() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        latest: dict[str, str] = {}
        for app, name in cursor.fetchall():
            latest[app] = name
    return latest


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version_key)
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.split("/")[4].split(".") if p.isdigit())


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
    args = [
        f"--host={db.get('HOST') or 'localhost'}",
        f"--port={db.get('PORT') or 5432}",
        f"--username={db.get('USER') or ''}",
        f"--dbname={db['NAME']}",
    ]
    return args, env


def backup_create(path: Path, progress: Progress = lambda line: None) -> dict[str, Any]:
    """Write an encrypted snapshot of the database to ``path``; returns its header."""
    key = _key()
    header = {
        "format": FORMAT,
        "engine": _engine(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "migrations": _applied_migrations(),
    }
    _audit_checkpoint(progress)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as target:
            if header["engine"] == "sqlite":
                _seal_sqlite(target, key, header, progress)
            elif header["engine"] == "postgresql":
                _seal_postgresql(target, key, header, progress)
            else:
                raise BackupError(f"Backups of {header['engine']} databases are not supported.")
            target.flush()
            os.fsync(target.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return header


def _audit_checkpoint(progress: Progress) -> None:
    """The audit chain's head, anchored outside the database before the snapshot is taken,
    so that restoring this backup is never behind a checkpoint the backup itself wrote. A
    checkpoint that cannot be written is said; the backup goes on."""
    from alliance.audit.services import audit_checkpoint

    try:
        checkpoint = audit_checkpoint()
    except (OSError, DatabaseError, ObjectDoesNotExist) as error:
        progress(f"Could not write the audit checkpoint ({error}); the backup goes on.")
        return
    progress(f"Audit checkpoint: row {checkpoint.seq} written to {settings.AUDIT_CHECKPOINT}")


def _seal_sqlite(target: BinaryIO, key: bytes, header: dict[str, Any], progress: Progress) -> None:
    connection.ensure_connection()
    live: sqlite3.Connection = connection.connection
    snapshot = sqlite3.connect(":memory:")
    try:

        def copied(status: int, remaining: int, total: int) -> None:
            progress(f"Copying the database: {total - remaining} of {total} pages")

        live.backup(snapshot, pages=4096, progress=copied)
        data = snapshot.serialize()
    finally:
        snapshot.close()
    progress(f"Encrypting {len(data):,} bytes…")
    sealed.seal(io.BytesIO(data), target, key, header)


def _seal_postgresql(
    target: BinaryIO, key: bytes, header: dict[str, Any], progress: Progress
) -> None:
    args, env = _pg_env()
    progress("Running pg_dump…")
    with subprocess.Popen(  # noqa: S603 — fixed program, arguments from settings
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as dump:
        assert dump.stdout is not None
        sealed.seal(
            dump.stdout, target, key, header, lambda n: progress(f"  {n:,} bytes encrypted")
        )
        error = dump.stderr.read().decode("utf-8", "replace") if dump.stderr else ""
        if dump.wait() != 0:
            raise BackupError(f"pg_dump failed: {error.strip()}")


@contextmanager
def _sealed_file(path: Path) -> Iterator[BinaryIO]:
    """A backup file open for reading; what is wrong with it is told as a BackupError."""
    with path.open("rb") as source:
        try:
            yield source
        except sealed.SealedFileError as error:
            raise BackupError(str(error)) from None


def backup_inspect(path: Path) -> dict[str, Any]:
    """The header of a backup file, read without a key."""
    with _sealed_file(path) as source:
        return sealed.read_header(source)[1]


def _plaintext(path: Path) -> Iterator[bytes]:
    with _sealed_file(path) as source:
        _header, chunks = sealed.open_sealed(source, settings.BACKUP_KEYS)
        yield from chunks


def backup_verify(path: Path, progress: Progress = lambda line: None) -> dict[str, Any]:
    """Check the whole file opens with a configured key and is complete; change nothing."""
    header = backup_inspect(path)
    if header.get("format") != FORMAT:
        raise BackupError(f"This backup has format {header.get('format')}; expected {FORMAT}.")
    _key()  # with no key at all, say how to set one rather than that none fits
    size = 0
    for chunk in _plaintext(path):
        size += len(chunk)
    progress(f"The backup checks out: {size:,} bytes, made {header.get('created_at')}.")
    return header


def backup_restore(path: Path, progress: Progress = lambda line: None) -> dict[str, Any]:
    """Replace the database's content with the backup's, after checking the whole file."""
    header = backup_verify(path, progress)
    if header.get("engine") != _engine():
        raise BackupError(
            f"This backup is of a {header.get('engine')} database; this installation uses "
            f"{_engine()}. Restore it into a {header.get('engine')} database."
        )
    if header["engine"] == "sqlite":
        _restore_sqlite(path, progress)
    else:
        _restore_postgresql(path, progress)
    connection.close()
    progress(
        "Restored. Run `alliance migrate` if this version of Alliance is newer, then "
        "`alliance audit-checkpoint --restored`: the audit checkpoints written since this "
        "backup was made would otherwise show the restore as a rollback."
    )
    return header


def _restore_sqlite(path: Path, progress: Progress) -> None:
    data = bytearray(b"".join(_plaintext(path)))
    if data[18:20] == b"\x02\x02":
        # A WAL-mode database: mark it rollback-journal so that it opens in memory.
        data[18:20] = b"\x01\x01"
    snapshot = sqlite3.connect(":memory:")
    try:
        snapshot.deserialize(bytes(data))
        if snapshot.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The database inside the backup is damaged; nothing was changed.")
        tables = {r[0] for r in snapshot.execute("SELECT name FROM sqlite_master")}
        if "django_migrations" not in tables:
            raise BackupError("This backup holds no Alliance database; nothing was changed.")
        connection.close()
        connection.ensure_connection()
        live: sqlite3.Connection = connection.connection
        progress("Writing the database…")
        snapshot.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    finally:
        snapshot.close()


def _restore_postgresql(path: Path, progress: Progress) -> None:
    args, env = _pg_env()
    connection.close()
    progress("Running pg_restore…")
    with subprocess.Popen(  # noqa: S603 — fixed program, arguments from settings
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            *args,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    ) as restore:
        assert restore.stdin is not None
        try:
            for chunk in _plaintext(path):
                restore.stdin.write(chunk)
        except BackupError:
            restore.kill()
            raise
        finally:
            restore.stdin.close()
        error = restore.stderr.read().decode("utf-8", "replace") if restore.stderr else ""
        if restore.wait() != 0:
            raise BackupError(f"pg_restore failed; nothing was changed: {error.strip()}")
