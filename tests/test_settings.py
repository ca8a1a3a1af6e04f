"""Configuration from the environment: strict, and safe in production."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from typing import Any

import pytest

from alliance.lib.env import ConfigError, env_bool, env_int, env_list, parse_field_keys

KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
# The field key development and test runs fall back on: it is in the source for all to read.
DEVELOPMENT_FIELD_KEY = base64.urlsafe_b64encode(b"alliance-development-only-key-32").decode()
AUDIT_KEY = base64.urlsafe_b64encode(b"a" * 32).decode()
DEVELOPMENT_AUDIT_KEY = base64.urlsafe_b64encode(b"alliance-development-audit-key32").decode()
PRODUCTION = {
    "ALLIANCE_SECRET_KEY": "s" * 20 + "-production-secret-with-enough-length-0123456789",
    "ALLIANCE_FIELD_KEYS": KEY,
    "ALLIANCE_AUDIT_KEYS": AUDIT_KEY,
    "ALLIANCE_ALLOWED_HOSTS": "alliance.example.org",
    "ALLIANCE_DEBUG": "false",
}

# Variables of this run that must not leak into a child process with its own settings.
LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "on", " On "])
def test_true_words(word: str) -> None:
    assert env_bool("X", default=False, environ={"X": word}) is True


@pytest.mark.parametrize("word", ["0", "false", "no", "off"])
def test_false_words(word: str) -> None:
    assert env_bool("X", default=True, environ={"X": word}) is False


@pytest.mark.parametrize("word", ["ture", "2", "y", "enabled", "-"])
def test_unrecognised_boolean_is_an_error(word: str) -> None:
    with pytest.raises(ConfigError, match="is not a boolean"):
        env_bool("X", default=False, environ={"X": word})


def test_unset_boolean_takes_the_default() -> None:
    assert env_bool("X", default=True, environ={}) is True


def test_int_and_list_are_strict() -> None:
    assert env_int("N", 3, environ={"N": "15"}) == 15
    with pytest.raises(ConfigError):
        env_int("N", 3, environ={"N": "fifteen"})
    assert env_list("L", [], environ={"L": "a.example, b.example"}) == ["a.example", "b.example"]
    with pytest.raises(ConfigError):
        env_list("L", [], environ={"L": "a.example,,b"})


def test_field_keys_are_parsed_and_checked() -> None:
    other = base64.urlsafe_b64encode(b"o" * 32).decode()
    assert parse_field_keys(f"{KEY},{other}") == [b"k" * 32, b"o" * 32]
    with pytest.raises(ConfigError, match="32 bytes"):
        parse_field_keys(base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(ConfigError, match="not valid base64"):
        parse_field_keys("***")
    with pytest.raises(ConfigError, match="same key twice"):
        parse_field_keys(f"{KEY},{KEY}")


def run_alliance(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(LOCAL_SETTINGS)}
    clean["ALLIANCE_VAR_DIR"] = env.pop("ALLIANCE_VAR_DIR", "/tmp/alliance-settings-test")
    return subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ALLIANCE_SECRET_KEY": ""}, "ALLIANCE_SECRET_KEY must be set"),
        (
            {"ALLIANCE_SECRET_KEY": "insecure-development-key-do-not-use-in-production"},
            "ALLIANCE_SECRET_KEY must be set",
        ),
        ({"ALLIANCE_FIELD_KEYS": ""}, "ALLIANCE_FIELD_KEYS must be set"),
        ({"ALLIANCE_AUDIT_KEYS": ""}, "ALLIANCE_AUDIT_KEYS must be set"),
        ({"ALLIANCE_AUDIT_KEYS": KEY}, "must not repeat a key of ALLIANCE_FIELD_KEYS"),
        ({"ALLIANCE_AUDIT_KEYS": "***"}, "ALLIANCE_AUDIT_KEYS: key 1 is not valid base64"),
        (
            {"ALLIANCE_AUDIT_KEYS": f"{AUDIT_KEY},{DEVELOPMENT_AUDIT_KEY}"},
            "ALLIANCE_AUDIT_KEYS holds the development audit key",
        ),
        ({"ALLIANCE_DEBUG": "ture"}, "is not a boolean"),
        ({"ALLIANCE_ALLOWED_HOSTS": ""}, "ALLIANCE_ALLOWED_HOSTS must name"),
        ({"ALLIANCE_BULK_EXPORT_HOURS": "1.5"}, "ALLIANCE_BULK_EXPORT_HOURS='1.5' is not a whole"),
        ({"ALLIANCE_BULK_EXPORT_HOURS": "0"}, "ALLIANCE_BULK_EXPORT_HOURS must be at least 1"),
    ],
)
def test_production_refuses_to_start_unsafely(change: dict[str, str], message: str) -> None:
    result = run_alliance({**PRODUCTION, **change}, "check")
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    "keys",
    [DEVELOPMENT_FIELD_KEY, f"{KEY},{DEVELOPMENT_FIELD_KEY}", f"{DEVELOPMENT_FIELD_KEY},{KEY}"],
    ids=["alone", "as an old key", "first"],
)
@pytest.mark.parametrize("command", [["check"], ["check", "--deploy", "--fail-level", "ERROR"]])
def test_production_refuses_the_published_development_field_key(
    keys: str, command: list[str]
) -> None:
    result = run_alliance({**PRODUCTION, "ALLIANCE_FIELD_KEYS": keys}, *command)
    assert result.returncode != 0
    assert "ALLIANCE_FIELD_KEYS holds the development key" in result.stderr
    assert "alliance generate-key" in result.stderr


def test_debug_may_use_the_development_field_key(tmp_path: Any) -> None:
    """How a practice that began on the development key re-encrypts under a real one."""
    result = run_alliance(
        {
            "ALLIANCE_DEBUG": "true",
            "ALLIANCE_FIELD_KEYS": f"{KEY},{DEVELOPMENT_FIELD_KEY}",
            "ALLIANCE_VAR_DIR": str(tmp_path),
        },
        "check",
    )
    assert result.returncode == 0, result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path: Any) -> None:
    result = run_alliance(
        {**PRODUCTION, "ALLIANCE_VAR_DIR": str(tmp_path)},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_without_audit_keys_production_says_how_to_make_one() -> None:
    result = run_alliance({**PRODUCTION, "ALLIANCE_AUDIT_KEYS": ""}, "check")
    assert result.returncode != 0
    assert "Generate a key of its own with `alliance generate-key`" in result.stderr


def test_the_audit_checkpoint_file_lives_in_the_var_dir_unless_set(tmp_path: Any) -> None:
    show = "from django.conf import settings; print(settings.AUDIT_CHECKPOINT)"
    default = run_alliance(
        {"ALLIANCE_DEBUG": "true", "ALLIANCE_VAR_DIR": str(tmp_path)}, "shell", "-c", show
    )
    assert default.stdout.strip().splitlines()[-1] == str(tmp_path / "audit-checkpoints")
    elsewhere = run_alliance(
        {"ALLIANCE_DEBUG": "true", "ALLIANCE_AUDIT_CHECKPOINT": "/mnt/audit/alliance"},
        "shell",
        "-c",
        show,
    )
    assert elsewhere.stdout.strip().splitlines()[-1] == "/mnt/audit/alliance"


def test_default_database_file_uses_wal(tmp_path: Any) -> None:
    result = run_alliance(
        {"ALLIANCE_DEBUG": "true", "ALLIANCE_VAR_DIR": str(tmp_path)},
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"
    assert (tmp_path / "alliance.sqlite3").exists()


def test_migrate_creates_the_cache_table_for_login_rate_limits(tmp_path: Any) -> None:
    import sqlite3

    result = run_alliance({"ALLIANCE_DEBUG": "true", "ALLIANCE_VAR_DIR": str(tmp_path)}, "migrate")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "alliance.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert "alliance_cache" in tables


SHOW_DATABASE = (
    "from django.conf import settings; d = settings.DATABASES['default']; "
    "print(d['CONN_MAX_AGE'], d.get('OPTIONS', {}).get('pool'))"
)


def test_without_a_pool_postgresql_connections_persist_a_minute() -> None:
    result = run_alliance(
        {"ALLIANCE_DEBUG": "true", "DATABASE_URL": "postgres://a:b@db.invalid/alliance"},
        "shell",
        "-c",
        SHOW_DATABASE,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "60 None"


def test_alliance_db_pool_turns_on_the_psycopg_pool() -> None:
    result = run_alliance(
        {
            "ALLIANCE_DEBUG": "true",
            "ALLIANCE_DB_POOL": "8",
            "DATABASE_URL": "postgres://a:b@db.invalid/alliance",
        },
        "shell",
        "-c",
        SHOW_DATABASE,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "0 {'min_size': 1, 'max_size': 8, 'timeout': 10}"
    )


@pytest.mark.parametrize("size", ["-1", "lots"])
def test_alliance_db_pool_must_be_a_size(size: str) -> None:
    result = run_alliance(
        {
            "ALLIANCE_DEBUG": "true",
            "ALLIANCE_DB_POOL": size,
            "DATABASE_URL": "postgres://a:b@db.invalid/alliance",
        },
        "check",
    )
    assert result.returncode != 0
    assert "ALLIANCE_DB_POOL" in result.stderr


def test_alliance_db_pool_is_refused_with_sqlite(tmp_path: Any) -> None:
    result = run_alliance(
        {"ALLIANCE_DEBUG": "true", "ALLIANCE_VAR_DIR": str(tmp_path), "ALLIANCE_DB_POOL": "4"},
        "check",
    )
    assert result.returncode != 0
    assert "only with DATABASE_URL=postgres://" in result.stderr


def test_postgresql_connections_ask_for_no_jit_unless_the_url_says_otherwise() -> None:
    show = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS']['options'])"
    )
    for url, options in (
        ("postgres://a:b@db.invalid/alliance", "-c jit=off"),
        ("postgres://a:b@db.invalid/alliance?options=-c%20jit%3Don", "-c jit=off -c jit=on"),
    ):
        result = run_alliance({"ALLIANCE_DEBUG": "true", "DATABASE_URL": url}, "shell", "-c", show)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == options


def test_postgresql_runs_the_pages_queries_without_jit(db: Any) -> None:
    """The connection the tests use is made as the app's are: JIT is off on it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_pooled_connections_reach_postgresql() -> None:
    """With a real server (ALLIANCE_TEST_POSTGRES_URL, or DATABASE_URL in CI's PostgreSQL
    pass), queries go through the pool."""
    from tests.test_move_database import _server_url

    url = _server_url()
    if not url:
        pytest.skip("no PostgreSQL: set ALLIANCE_TEST_POSTGRES_URL=postgres://…")
    result = run_alliance(
        {"ALLIANCE_DEBUG": "true", "ALLIANCE_DB_POOL": "3", "DATABASE_URL": url},
        "shell",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT 41 + 1'); print(c.fetchone()[0], connection.pool.max_size)\n",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "42 3"
