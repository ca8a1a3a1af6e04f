"""Moving a practice's database from SQLite to PostgreSQL (`alliance move-database`).

The source is opened read-only (``mode=ro``) and read inside one transaction, so the copy
is one consistent snapshot and nothing can be written to the source. Except while the
target is migrated or checked, the ORM's default alias reads through that connection.

On the target everything happens in one transaction: ``migrate``, the copy, the sequence
reset and the checks. If anything fails or any check does not hold, the transaction is
rolled back and the target is left as it was found; so too if the practice wrote to the
source while it was being copied (SQLite's ``data_version``), since the copy would miss it.

Rows are copied as stored values: each engine's own conversions (those the ORM applies)
turn SQLite's values into Python values and those into PostgreSQL's, except that encrypted
free text is carried as the stored ciphertext (no key is used to move it) and JSON as the
same JSON document.

What is copied: every table of every installed model, many-to-many tables included.
``migrate`` fills three of them on the target itself; the source's ``django_content_type``,
``auth_permission`` and audit chain head replace those rows, because the source's ids are
the ones its rows refer to. ``django_migrations`` stays as ``migrate`` wrote it, and the
login rate-limit cache (``alliance_cache``) starts empty: counters that live for minutes.

The checks, before the target's transaction commits: for every table, the number of rows
and a digest of every row (read back through each engine's conversions, ciphertext as
stored) are the same on both sides; the audit chain verifies on the target and ends at the
source's head; and every client's record export (the FHIR Bundle and the readable copy,
built by the same functions as the download, without its audit event) is the same on both
sides. The exports need ALLIANCE_FIELD_KEYS to read free text; where the key does not open
it they are reported as not compared, and the row digests still show the ciphertext equal.

Nothing here prints or logs a stored value: only table names, counts, audit row numbers
and digests.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dj_database_url
import psycopg
from django.apps import apps
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from alliance.fields import ENCRYPTED_FIELDS
from alliance.lib.crypto import DecryptionError

SOURCE = "alliance_move_source"
TARGET = "alliance_move_target"
BATCH = 1000
# Tables that `migrate` itself fills on the target: a target holding rows only in these is
# still empty. Their rows are replaced by the source's (django_migrations excepted).
FILLED_BY_MIGRATE = frozenset(
    {"django_migrations", "django_content_type", "auth_permission", "audit_auditchainhead"}
)
NOT_COPIED = {
    "django_migrations": "written by migrate on the target",
    "alliance_cache": "login rate-limit counters; they start again empty",
}

Say = Callable[[str], None]


class MoveError(Exception):
    """A move that cannot go ahead or did not finish, with a message for the person running it."""


class ProgressBar:
    """Rows copied per table: a bar redrawn in place on a terminal, else a line per table."""

    WIDTH = 30

    def __init__(self, write: Say, *, live: bool) -> None:
        self.write = write
        self.live = live

    def update(self, label: str, done: int, total: int) -> None:
        if not self.live:
            return
        filled = self.WIDTH if total == 0 else self.WIDTH * done // total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.write(f"\r  {label:<40} [{bar}] {done:,}/{total:,}")

    def finish(self, label: str, total: int, unit: str = "rows") -> None:
        if self.live:
            self.update(label, total, total)
            self.write("\n")
        else:
            self.write(f"  {label}: {total:,} {unit}\n")


@dataclass(frozen=True)
class TableCheck:
    table: str
    source_rows: int
    target_rows: int
    same_rows: bool

    @property
    def ok(self) -> bool:
        return self.same_rows and self.source_rows == self.target_rows


@dataclass(frozen=True)
class ChainCheck:
    holds: bool
    rows: int
    head_seq: int
    head_hash: str
    problem: str = ""


@dataclass
class MoveReport:
    target: str
    tables: list[TableCheck] = field(default_factory=list)
    not_copied: dict[str, str] = field(default_factory=dict)
    source_chain: ChainCheck | None = None
    target_chain: ChainCheck | None = None
    records_identical: int = 0
    records_different: int = 0
    records_unreadable: int = 0
    # The practice wrote to the source while it was being copied: the copy is already old.
    source_changed: bool = False

    @property
    def tables_ok(self) -> bool:
        return all(check.ok for check in self.tables)

    @property
    def chain_ok(self) -> bool:
        source, target = self.source_chain, self.target_chain
        return (
            source is not None
            and target is not None
            and target.holds
            and (target.head_seq, target.head_hash) == (source.head_seq, source.head_hash)
        )

    @property
    def records_ok(self) -> bool:
        return self.records_different == 0

    @property
    def ok(self) -> bool:
        return self.tables_ok and self.chain_ok and self.records_ok and not self.source_changed


class _RollBack(Exception):
    """Leaves the target's transaction so that it rolls back."""


def database_move(*, to: str, say: Say, bar: ProgressBar) -> MoveReport:
    """Copy this installation's SQLite database into the empty PostgreSQL database ``to``,
    then check the copy; returns the report (``ok`` False: the target was rolled back)."""
    target_settings = _target_settings(to)
    source_path = _source_path()
    report = MoveReport(target=_describe(target_settings))
    _add_alias(SOURCE, _source_settings(source_path))
    _add_alias(TARGET, target_settings)
    try:
        with _as_default(SOURCE):
            _open_source(source_path)
            _check_source_migrated()
            _check_target_empty(report.target)
            say(f"Copying {source_path} to PostgreSQL at {report.target}.")
            try:
                with transaction.atomic(using=TARGET):
                    # One read transaction on the source: every table from the same moment.
                    with transaction.atomic(using=SOURCE):
                        version = _data_version()
                        _fill_target(say, bar, report)
                        _check_copy(say, bar, report)
                        transaction.set_rollback(True, using=SOURCE)
                    # Still before the target commits: was anything written meanwhile?
                    report.source_changed = _data_version() != version
                    if not report.ok:
                        raise _RollBack
            except _RollBack:
                pass
    finally:
        _remove_alias(TARGET)
        _remove_alias(SOURCE)
    return report


# --- the two databases --------------------------------------------------------------------


def _target_settings(url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme not in ("postgres", "postgresql"):
        raise MoveError(
            "--to must be a PostgreSQL database URL, "
            "e.g. postgres://alliance:PASSWORD@db.example.org:5432/alliance."
        )
    parsed = dict(dj_database_url.parse(url))
    if not parsed.get("NAME"):
        raise MoveError("The --to URL names no database: add /NAME at its end.")
    return parsed


def _describe(config: dict[str, Any]) -> str:
    """Where the target is, without its password."""
    return f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}/{config['NAME']}"


def _source_path() -> Path:
    default = connections[DEFAULT_DB_ALIAS]
    if default.vendor != "sqlite":
        raise MoveError(
            f"This installation already uses {default.vendor}, not SQLite; to move between "
            "PostgreSQL servers use pg_dump and pg_restore (or `alliance backup` and `restore`)."
        )
    name = str(default.settings_dict["NAME"])
    path = Path(name)
    if name.startswith("file:") or ":memory:" in name or not path.is_file():
        raise MoveError(f"There is no SQLite database file at {name}.")
    return path.resolve()


def _source_settings(path: Path) -> dict[str, Any]:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        # Read-only at the file level: nothing this command does can write to the source.
        "NAME": f"file:{quote(str(path))}?mode=ro",
        "OPTIONS": {
            "transaction_mode": "DEFERRED",
            "timeout": 20,
            "init_command": "PRAGMA query_only=ON;",
        },
    }


def _add_alias(alias: str, config: dict[str, Any]) -> None:
    databases = connections.settings
    configured = connections.configure_settings(
        {DEFAULT_DB_ALIAS: databases[DEFAULT_DB_ALIAS], alias: config}
    )
    databases[alias] = configured[alias]


def _remove_alias(alias: str) -> None:
    if alias not in connections.settings:
        return
    try:
        connections[alias].close()
        del connections[alias]
    except AttributeError:
        pass
    del connections.settings[alias]


@contextmanager
def _as_default(alias: str) -> Iterator[None]:
    """Send the ORM's default alias to ``alias`` for a while.

    The audit verification and the record export take no ``using``: they read through the
    default alias, and the checks run that very code on each side. Whenever the target is
    not the default, the read-only source is: nothing that runs in this command can write
    to the installation's database (a migration that ignores the alias it is applied to
    would otherwise have done so)."""
    from django.contrib.contenttypes.models import ContentType

    original = connections[DEFAULT_DB_ALIAS]
    connections[DEFAULT_DB_ALIAS] = connections[alias]
    ContentType.objects.clear_cache()  # its cache is kept per alias name
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS] = original
        ContentType.objects.clear_cache()


def _open_source(path: Path) -> None:
    try:
        connections[SOURCE].ensure_connection()
        with connections[SOURCE].cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_master")
    except DatabaseError as error:
        raise MoveError(
            f"Could not open {path} to read it ({error}); run this as the user that runs Alliance."
        ) from None


def _data_version() -> int:
    """SQLite's count of commits by other connections, as this connection last saw them
    (inside a read transaction: as of its snapshot)."""
    with connections[SOURCE].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations")
        cursor.execute("PRAGMA data_version")
        return int(cursor.fetchone()[0])


def _check_source_migrated() -> None:
    executor = MigrationExecutor(connections[SOURCE])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise MoveError(
            "The SQLite database has migrations not yet applied: run `alliance migrate`, then "
            "move it. Nothing was written."
        )


def _check_target_empty(where: str) -> None:
    target = connections[TARGET]
    try:
        target.ensure_connection()
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise MoveError(f"Could not connect to {where}: {first_line}") from None
    with target.cursor() as cursor:
        holding = []
        for table in target.introspection.table_names(cursor):
            if table in FILLED_BY_MIGRATE:
                continue
            cursor.execute(f"SELECT 1 FROM {target.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone() is not None:
                holding.append(table)
    if holding:
        shown = ", ".join(sorted(holding)[:5]) + (" …" if len(holding) > 5 else "")
        raise MoveError(
            f"The target database {where} is not empty ({len(holding)} tables hold rows: "
            f"{shown}). Move into a new, empty database; nothing was written."
        )


def _models() -> list[type[models.Model]]:
    """Every table of the installed models, once each, by table name."""
    found: dict[str, type[models.Model]] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.managed and not meta.proxy and not meta.swapped:
            found.setdefault(meta.db_table, model)
    return [found[table] for table in sorted(found)]


# --- the copy -----------------------------------------------------------------------------


def _fill_target(say: Say, bar: ProgressBar, report: MoveReport) -> None:
    source, target = connections[SOURCE], connections[TARGET]
    say("Creating the tables on the target (migrate)…")
    model_list = _models()
    copied = {model._meta.db_table for model in model_list}
    with source.cursor() as cursor:
        leftover = set(source.introspection.table_names(cursor)) - copied
    for table in sorted(leftover):
        if not table.startswith("sqlite_"):
            report.not_copied[table] = NOT_COPIED.get(
                table, "no installed part of Alliance owns it"
            )
    stage = "the migrations"
    try:
        # While migrating, the default alias is the target: some migrations (django-tasks-db's)
        # write through the default alias whatever database they are applied to.
        with _as_default(TARGET):
            call_command("migrate", database=TARGET, verbosity=0, interactive=False)
        stage = "the copy"
        with target.cursor() as cursor:
            # Foreign keys are checked at commit (Django makes them deferrable), so the
            # order of the tables does not matter; the rows migrate wrote go first.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in model_list:
                cursor.execute(f"DELETE FROM {target.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        say(f"Copying {len(model_list)} tables in batches of {BATCH:,} rows…")
        for model in model_list:
            stage = f"the rows of {model._meta.db_table}"
            _copy_table(model, bar)
        stage = "the copy"
        with target.cursor() as cursor:
            for statement in target.ops.sequence_reset_sql(no_style(), model_list):
                cursor.execute(statement)
        say("Checking every reference between rows…")
        target.check_constraints()
    except (DatabaseError, psycopg.Error, sqlite3.Error) as error:
        raise MoveError(
            f"The move stopped at {stage}: {_error_kind(error)}. The target was left as it "
            "was; the source is unchanged."
        ) from None


def _error_kind(error: Exception) -> str:
    """What went wrong, without the database's message: PostgreSQL quotes the offending
    values in some of its messages, and those may be health information."""
    cause = error.__cause__ if isinstance(error, DatabaseError) and error.__cause__ else error
    parts = [type(cause).__name__]
    diag = getattr(cause, "diag", None)
    for name in ("sqlstate", "constraint_name", "column_name"):
        value = getattr(diag, name, None)
        if value:
            parts.append(f"{name.removesuffix('_name')} {value}")
    return ", ".join(parts)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


def _count(connection: BaseDatabaseWrapper, model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
        return int(cursor.fetchone()[0])


def _select(connection: BaseDatabaseWrapper, model: type[models.Model]) -> str:
    quote_name = connection.ops.quote_name
    columns = ", ".join(quote_name(f.column) for f in _columns(model))
    table = quote_name(model._meta.db_table)
    order = quote_name(model._meta.pk.column)
    return f"SELECT {columns} FROM {table} ORDER BY {order}"  # noqa: S608


def _batches(connection: BaseDatabaseWrapper, model: type[models.Model]) -> Iterator[list[Any]]:
    """The stored rows, BATCH at a time, through the driver's own cursor: Django's debug
    cursor would keep (and at DEBUG log) every value it passes."""
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        cursor = raw.cursor(name=f"alliance_move_{model._meta.db_table}")  # server-side
    else:
        cursor = raw.cursor()
    try:
        cursor.execute(_select(connection, model))
        while rows := cursor.fetchmany(BATCH):
            yield rows
    finally:
        cursor.close()


def _readers(
    connection: BaseDatabaseWrapper, model: type[models.Model]
) -> list[Callable[[Any], Any]]:
    """Per column, what the ORM does to a stored value: the backend's conversions, then the
    field's (``from_db_value``) — except for encrypted fields, which stay ciphertext."""
    readers = []
    for model_field in _columns(model):
        column = model_field.get_col(model._meta.db_table)
        converters = list(connection.ops.get_db_converters(column))
        if not isinstance(model_field, ENCRYPTED_FIELDS):
            converters += column.get_db_converters(connection)
        readers.append(_chain(converters, column, connection))
    return readers


def _chain(converters: list[Any], column: Any, connection: Any) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        for convert in converters:
            value = convert(value, column, connection)
        return value

    return read


def _writers(model: type[models.Model]) -> list[Callable[[Any], Any]]:
    """Per column, from a SQLite stored value to what PostgreSQL is sent."""
    source, target = connections[SOURCE], connections[TARGET]
    writers: list[Callable[[Any], Any]] = []
    for model_field, read in zip(_columns(model), _readers(source, model), strict=True):
        if isinstance(model_field, ENCRYPTED_FIELDS):
            writers.append(lambda value: value)  # the ciphertext, as stored
        elif isinstance(model_field, models.JSONField):
            # The same JSON document, not a round trip through the field (which would turn
            # a stored JSON null into SQL NULL).
            writers.append(_json_writer(target, model_field))
        else:
            writers.append(_field_writer(target, model_field, read))
    return writers


def _json_writer(target: BaseDatabaseWrapper, model_field: models.JSONField) -> Any:
    def write(value: Any) -> Any:
        if value is None:
            return None
        return target.ops.adapt_json_value(json.loads(value), model_field.encoder)

    return write


def _field_writer(target: BaseDatabaseWrapper, model_field: Any, read: Any) -> Any:
    def write(value: Any) -> Any:
        return model_field.get_db_prep_save(read(value), connection=target)

    return write


def _copy_table(model: type[models.Model], bar: ProgressBar) -> None:
    source, target = connections[SOURCE], connections[TARGET]
    table = model._meta.db_table
    total = _count(source, model)
    writers = _writers(model)
    quote_name = target.ops.quote_name
    columns = ", ".join(quote_name(f.column) for f in _columns(model))
    done = 0
    bar.update(table, 0, total)
    sql = f"COPY {quote_name(table)} ({columns}) FROM STDIN"
    with target.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for rows in _batches(source, model):
            for row in rows:
                copy.write_row([write(value) for write, value in zip(writers, row, strict=True)])
            done += len(rows)
            bar.update(table, done, total)
    bar.finish(table, done)


# --- the checks ---------------------------------------------------------------------------


def _check_copy(say: Say, bar: ProgressBar, report: MoveReport) -> None:
    say("Checking the copy: every row of every table…")
    for model in _models():
        source_count, source_digest = _fingerprint(SOURCE, model)
        target_count, target_digest = _fingerprint(TARGET, model)
        report.tables.append(
            TableCheck(
                model._meta.db_table, source_count, target_count, source_digest == target_digest
            )
        )
    say("Checking the audit chain on both sides…")
    report.source_chain = _chain_check(SOURCE)
    report.target_chain = _chain_check(TARGET)
    say("Comparing every client's record export on both sides…")
    _compare_records(bar, report)


def _fingerprint(alias: str, model: type[models.Model]) -> tuple[int, str]:
    """How many rows, and a digest of all of them that does not depend on their order (text
    keys sort differently on the two engines): the sum of each row's SHA-256."""
    connection = connections[alias]
    readers = _readers(connection, model)
    total = 0
    count = 0
    for rows in _batches(connection, model):
        for row in rows:
            values = tuple(
                _canonical(read(value)) for read, value in zip(readers, row, strict=True)
            )
            digest = hashlib.sha256(repr(values).encode("utf-8")).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 256)
        count += len(rows)
    return count, f"{total:064x}"


def _canonical(value: Any) -> Any:
    """One form for a value read through either engine."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _chain_check(alias: str) -> ChainCheck:
    from alliance.audit.services import verify_chain

    with _as_default(alias):
        chain = verify_chain()
    return ChainCheck(chain.ok, chain.checked, chain.head_seq, chain.head_hash, chain.problem)


def _compare_records(bar: ProgressBar, report: MoveReport) -> None:
    from alliance.accounts.models import Role, User

    now = timezone.now()  # the same moment on both sides: sessions read as planned or done
    with _as_default(SOURCE):
        ids = list(
            User.objects.filter(role=Role.CLIENT).order_by("pk").values_list("pk", flat=True)
        )
    label = "client records"
    for done, pk in enumerate(ids, start=1):
        source_digest = _record_digest(SOURCE, pk, now)
        if source_digest is None:
            report.records_unreadable += 1
        elif _record_digest(TARGET, pk, now) == source_digest:
            report.records_identical += 1
        else:
            report.records_different += 1
        bar.update(label, done, len(ids))
    bar.finish(label, len(ids), "clients")


def _record_digest(alias: str, pk: int, now: datetime) -> str | None:
    """The SHA-256 of a client's export as the download builds it (the FHIR Bundle and the
    readable copy; the ZIP around them stamps the time). Built without ``record_export``,
    which writes an audit event: the source must stay untouched, and an event on the target
    would make it differ. None when the free text does not open with the configured keys."""
    from alliance.accounts.models import User
    from alliance.records.export import record_bundle_json
    from alliance.records.readable import readable_record
    from alliance.records.selectors import client_record

    with _as_default(alias):
        try:
            client = User.objects.filter(pk=pk).first()
            if client is None:
                return "missing"
            record = client_record(client)
            bundle = record_bundle_json(record, now=now)
            readable = readable_record(record, now=now)
        except DecryptionError:
            return None if alias == SOURCE else "unreadable"
    digest = hashlib.sha256(bundle.encode("utf-8"))
    digest.update(b"\0")
    digest.update(readable.encode("utf-8"))
    return digest.hexdigest()
