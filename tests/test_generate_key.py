"""`alliance generate-key` works on a bare machine: before any key or setting exists."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from django.core.management import call_command

from alliance.lib.env import parse_field_keys
from tests.test_settings import PRODUCTION, run_alliance

# A new server: debug off and nothing configured yet, so the settings refuse to load.
BARE = {"ALLIANCE_DEBUG": "false"}


def test_the_settings_refuse_to_load_on_a_bare_machine() -> None:
    """The control: any other command stops, and says to run generate-key."""
    result = run_alliance(dict(BARE), "check")
    assert result.returncode != 0
    assert "alliance generate-key --secret" in result.stderr


def test_a_field_key_on_a_bare_machine() -> None:
    result = run_alliance(dict(BARE), "generate-key")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (line,) = result.stdout.splitlines()
    assert len(parse_field_keys(line)[0]) == 32


def test_a_secret_key_on_a_bare_machine() -> None:
    result = run_alliance(dict(BARE), "generate-key", "--secret")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert len(line) >= 50


def test_keys_made_there_start_the_app(tmp_path: Any) -> None:
    secret = run_alliance(dict(BARE), "generate-key", "--secret").stdout.strip()
    field = run_alliance(dict(BARE), "generate-key").stdout.strip()
    env = {
        **PRODUCTION,
        "ALLIANCE_SECRET_KEY": secret,
        "ALLIANCE_FIELD_KEYS": field,
        "ALLIANCE_VAR_DIR": str(tmp_path),
    }
    result = run_alliance(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_key_is_new() -> None:
    keys = {run_alliance(dict(BARE), "generate-key").stdout for _ in range(3)}
    assert len(keys) == 3


def test_help_and_a_wrong_option_on_a_bare_machine() -> None:
    shown = run_alliance(dict(BARE), "generate-key", "--help")
    assert shown.returncode == 0
    assert "--secret" in shown.stdout
    wrong = run_alliance(dict(BARE), "generate-key", "--nope")
    assert wrong.returncode == 2
    assert "--nope" in wrong.stderr


@pytest.mark.parametrize(("options", "length"), [({}, 32), ({"secret": True}, None)])
def test_the_management_command_gives_the_same_kinds_of_key(
    options: dict[str, Any], length: int | None
) -> None:
    out = io.StringIO()
    call_command("generate-key", stdout=out, **options)
    text = out.getvalue().strip()
    if length is None:
        assert len(text) >= 50
    else:
        assert len(base64.urlsafe_b64decode(text)) == length
