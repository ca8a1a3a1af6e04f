"""`alliance move-database --to postgres://…`: the demo practice moves from SQLite to
PostgreSQL whole, checked, with the source untouched and the ciphertext carried as stored.

The source is always a SQLite file of its own; each target is a new database created on the
PostgreSQL server that ALLIANCE_TEST_POSTGRES_URL or (in CI's PostgreSQL pass) DATABASE_URL
points at, dropped afterwards. With neither set the module is skipped; with one set and the
server out of reach it fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEY = base64.urlsafe_b64encode(b"m" * 32).decode()
WRONG_KEY = base64.urlsafe_b64encode(b"w" * 32).decode()


def _server_url() -> str:
    url = os.environ.get("ALLIANCE_TEST_POSTGRES_URL", "")
    outer = os.environ.get("DATABASE_URL", "")
    if not url and outer.startswith(("postgres://", "postgresql://")):
        url = outer
    return url


@pytest.fixture(scope="module")
def server() -> str:
    url = _server_url()
    if not url:
        pytest.skip(
            "no PostgreSQL to move into: set ALLIANCE_TEST_POSTGRES_URL=postgres://… "
            "(CI runs this in its PostgreSQL pass, with DATABASE_URL)"
        )
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as admin:
            admin.execute("SELECT 1")
    except psycopg.OperationalError as error:
        pytest.fail(f"PostgreSQL was named for this test but cannot be reached: {error}")
    return url


@pytest.fixture(scope="module")
def new_target(server: str) -> Iterator[Callable[[], str]]:
    """Makes a new, empty database on the server and gives its URL; all dropped at the end."""
    import psycopg

    made: list[str] = []

    def make() -> str:
        name = f"alliance_move_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return server.rsplit("/", 1)[0] + "/" + name

    yield make
    with psycopg.connect(server, autocommit=True) as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def alliance(env: dict[str, str], *args: str, check: bool = True) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.fixture(scope="module")
def source(server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The demo practice in a SQLite file of its own (whatever database the suite runs on)."""
    var = tmp_path_factory.mktemp("move-source") / "var"
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ALLIANCE_", "DJANGO_")) and k != "DATABASE_URL"
        },
        "ALLIANCE_DEBUG": "true",
        "ALLIANCE_VAR_DIR": str(var),
        "ALLIANCE_FIELD_KEYS": KEY,
        "PYTHONPATH": str(ROOT / "src"),
    }
    alliance(env, "migrate", "-v", "0")
    alliance(env, "demo", "--no-serve", "--max-weeks", "4")
    return env


def sqlite_path(env: dict[str, str]) -> Path:
    return Path(env["ALLIANCE_VAR_DIR"]) / "alliance.sqlite3"


def on(env: dict[str, str], url: str) -> dict[str, str]:
    return {**env, "DATABASE_URL": url}


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table_counts_and_head(path: Path) -> tuple[dict[str, int], tuple[int, str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
        head = db.execute("SELECT seq, hash FROM audit_auditchainhead").fetchone()
    return counts, (head[0], head[1])


# What the app reads from a database, as digests only: every object with its free text
# decrypted (dumpdata), each client's export as the download builds it, the audit chain.
SIDE = """
import hashlib, json
from datetime import datetime
from io import StringIO
from django.core.management import call_command
from alliance.accounts.models import User
from alliance.audit.services import verify_chain
from alliance.records.export import record_bundle_json
from alliance.records.readable import readable_record
from alliance.records.selectors import client_record
out = StringIO()
call_command("dumpdata", stdout=out)
objects = sorted(json.loads(out.getvalue()), key=lambda o: (o["model"], str(o["pk"])))
now = datetime.fromisoformat("2030-01-01T00:00:00+00:00")
records = {}
for client in User.objects.filter(role="client").order_by("email"):
    record = client_record(client)
    both = record_bundle_json(record, now=now) + readable_record(record, now=now)
    records[client.email] = hashlib.sha256(both.encode()).hexdigest()
chain = verify_chain()
print(json.dumps({
    "objects": len(objects),
    "dump": hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest(),
    "records": records,
    "chain": [chain.ok, chain.head_seq, chain.head_hash],
}))
"""


def side(env: dict[str, str]) -> dict[str, Any]:
    out = alliance(env, "shell", "-c", SIDE).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def encrypted_columns() -> list[tuple[str, str, str]]:
    from django.apps import apps

    from alliance.fields import ENCRYPTED_FIELDS

    return [
        (model._meta.db_table, model._meta.pk.column, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, ENCRYPTED_FIELDS)
    ]


def stored_ciphertext(path: Path, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every encrypted column's stored values, by table.column and id, on both sides."""
    import psycopg

    sqlite_side: dict[str, Any] = {}
    postgres_side: dict[str, Any] = {}
    with (
        sqlite3.connect(f"file:{path}?mode=ro", uri=True) as lite,
        psycopg.connect(url) as pg,
    ):
        for table, pk, column in encrypted_columns():
            sql = f'SELECT "{pk}", "{column}" FROM "{table}"'
            sqlite_side[f"{table}.{column}"] = dict(lite.execute(sql).fetchall())
            postgres_side[f"{table}.{column}"] = dict(pg.execute(sql).fetchall())
    return sqlite_side, postgres_side


def postgres_counts(url: str) -> dict[str, int]:
    """Rows per table in the target's public schema (no tables: an empty dict)."""
    import psycopg

    counts: dict[str, int] = {}
    with psycopg.connect(url) as pg:
        tables = pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (name,) in tables.fetchall():
            row = pg.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()
            assert row is not None
            counts[name] = int(row[0])
    return counts


@pytest.fixture(scope="module")
def moved(source: dict[str, str], new_target: Callable[[], str]) -> dict[str, Any]:
    """The demo practice moved once, with what was true of the source before."""
    path = sqlite_path(source)
    before = {
        "file": file_digest(path),
        "counts_and_head": table_counts_and_head(path),
        "side": side(source),
    }
    url = new_target()
    done = alliance(source, "move-database", "--to", url, check=False)
    return {"url": url, "done": done, "before": before}


def test_the_demo_practice_moves_and_every_check_holds(moved: dict[str, Any]) -> None:
    done = moved["done"]
    assert done.returncode == 0, done.stderr + done.stdout
    counts, (seq, _digest) = moved["before"]["counts_and_head"]
    clients = len(moved["before"]["side"]["records"])
    assert clients >= 30
    assert "every row the same" in done.stdout
    assert f"Audit chain: holds on the target, {seq:,} events" in done.stdout
    assert f"Client records: {clients} of {clients} exports the same." in done.stdout
    assert "Moved." in done.stdout
    # Progress: a line per table when stderr is not a terminal, with its row count.
    assert f"audit_auditevent: {counts['audit_auditevent']:,} rows" in done.stderr
    assert f"accounts_user: {counts['accounts_user']:,} rows" in done.stderr


def test_the_copy_reads_the_same_through_the_app(
    source: dict[str, str], moved: dict[str, Any]
) -> None:
    """Checked apart from the command: every object with its free text decrypted, every
    client's own export, and the audit chain, which holds and ends at the same head."""
    before = moved["before"]["side"]
    after = side(on(source, moved["url"]))
    assert after == before
    assert before["objects"] > 5000
    seq, digest = moved["before"]["counts_and_head"][1]
    assert after["chain"] == [True, seq, digest]


def test_the_source_is_left_untouched(source: dict[str, str], moved: dict[str, Any]) -> None:
    path = sqlite_path(source)
    assert file_digest(path) == moved["before"]["file"]
    assert table_counts_and_head(path) == moved["before"]["counts_and_head"]


def test_free_text_moves_as_the_same_ciphertext(
    source: dict[str, str], moved: dict[str, Any]
) -> None:
    lite, pg = stored_ciphertext(sqlite_path(source), moved["url"])
    assert lite == pg
    values = [v for column in lite.values() for v in column.values() if v]
    assert len(values) > 100
    assert all(value.startswith("v1:") for value in values)
    # Nothing of it was shown while moving.
    assert "Dana" not in moved["done"].stdout + moved["done"].stderr


def test_a_target_with_rows_is_refused_and_left_alone(
    source: dict[str, str], moved: dict[str, Any]
) -> None:
    before = postgres_counts(moved["url"])
    refused = alliance(source, "move-database", "--to", moved["url"], check=False)
    assert refused.returncode != 0
    assert "is not empty" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert postgres_counts(moved["url"]) == before


def test_only_a_postgresql_target_is_accepted(tmp_path: Path) -> None:
    """Refused before any database is opened (so asked in this process)."""
    from django.core.management import CommandError, call_command

    for url in (f"sqlite:///{tmp_path}/other.sqlite3", "mysql://u:p@localhost/alliance"):
        with pytest.raises(CommandError, match="--to must be a PostgreSQL database URL"):
            call_command("move-database", "--to", url)
    assert not (tmp_path / "other.sqlite3").exists()
    with pytest.raises(CommandError, match="--to"):
        call_command("move-database")


def copy_of(source: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A copy of the demo practice of its own, to change without touching the source."""
    var = tmp_path / "var"
    var.mkdir()
    path = var / "alliance.sqlite3"
    with (
        closing(sqlite3.connect(f"file:{sqlite_path(source)}?mode=ro", uri=True)) as live,
        closing(sqlite3.connect(path)) as copy,
    ):
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")  # as the app keeps it
    return {**source, "ALLIANCE_VAR_DIR": str(var)}, path


def test_a_move_that_fails_leaves_the_target_empty_and_shows_no_row(
    source: dict[str, str], new_target: Callable[[], str], tmp_path: Path
) -> None:
    """A row PostgreSQL refuses (SQLite let a broken time into a NOT NULL column): the whole
    move is undone, migrations included, and the refusal names the table, not the row
    (PostgreSQL's own message would quote it: e-mail address, name)."""
    env, path = copy_of(source, tmp_path)
    with closing(sqlite3.connect(path)) as copy, copy:
        copy.execute(
            "UPDATE accounts_user SET date_joined = 'not a time' WHERE email = 'client1@demo.test'"
        )
    url = new_target()
    failed = alliance(env, "move-database", "--to", url, check=False)
    assert failed.returncode != 0
    assert "accounts_user" in failed.stderr
    assert "left as it was" in failed.stderr
    assert "client1@demo.test" not in failed.stderr + failed.stdout
    assert "Dana" not in failed.stderr + failed.stdout
    assert "Traceback" not in failed.stderr
    assert postgres_counts(url) == {}


def test_a_practice_written_to_during_the_move_is_not_moved(
    source: dict[str, str], new_target: Callable[[], str], tmp_path: Path
) -> None:
    """Whatever the practice writes while it is being copied would be missing from the copy:
    the move is undone and says to stop the app first."""
    env, path = copy_of(source, tmp_path)
    url = new_target()
    mover = subprocess.Popen(
        [sys.executable, "-m", "alliance", "move-database", "--to", url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writes = 0
    with closing(sqlite3.connect(path, timeout=20, isolation_level=None)) as app:
        while mover.poll() is None:
            app.execute("INSERT INTO auth_group (name) VALUES (?)", [f"group {writes}"])
            writes += 1
            time.sleep(0.2)
    out, err = mover.communicate(timeout=600)
    assert writes > 5
    assert mover.returncode != 0
    assert "The practice was in use" in out
    assert "undone" in err
    assert postgres_counts(url) == {}


def test_the_move_needs_no_field_key(
    source: dict[str, str], moved: dict[str, Any], new_target: Callable[[], str]
) -> None:
    """With a key that opens none of the free text, the copy still goes through whole, as
    the very same ciphertext; only the exports of records with free text are not compared.
    The copy then takes new rows after the old ones (the sequences were moved on)."""
    url = new_target()
    done = alliance({**source, "ALLIANCE_FIELD_KEYS": WRONG_KEY}, "move-database", "--to", url)
    assert "every row the same" in done.stdout
    assert "not compared: their free text does not open with ALLIANCE_FIELD_KEYS" in done.stdout
    assert "different" not in done.stdout
    lite, pg = stored_ciphertext(sqlite_path(source), url)
    assert lite == pg
    script = (
        "from alliance.audit.services import audit_record, verify_chain; "
        "from alliance.accounts.models import User; "
        "event = audit_record(actor=None, action='viewed'); "
        "user = User.objects.create_user(email='new@example.test', password='x' * 12, "
        "preferred_name='New', role='therapist'); "
        "print(event.seq, event.pk, user.pk, verify_chain().ok)"
    )
    out = alliance(on(source, url), "shell", "-c", script).stdout.strip().splitlines()[-1].split()
    counts, (seq, _digest) = moved["before"]["counts_and_head"]
    assert int(out[0]) == seq + 1
    assert int(out[1]) == counts["audit_auditevent"] + 1
    assert int(out[2]) > counts["accounts_user"]
    assert out[3] == "True"
