"""`alliance api-token`: the token is printed once, alone on the last line, and kept hashed."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("api-token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_the_token_once_alone_on_the_last_line_and_stores_only_its_hash(
    cast: Cast,
) -> None:
    from django.db import connection

    from alliance.api.models import ApiToken
    from alliance.api.services import hash_api_token

    output = run("create", "alice@example.test", "--scope", "user/*.rs")
    lines = output.rstrip("\n").split("\n")
    raw = lines[-1]
    assert raw.startswith("alliance_") and " " not in raw
    assert output.count(raw) == 1
    token = ApiToken.objects.get()
    assert token.token_hash == hash_api_token(raw)
    assert token.owner == cast.alice
    assert raw.removeprefix("alliance_").startswith(token.prefix)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = repr(cursor.fetchall())
    assert raw not in stored
    assert raw.removeprefix("alliance_") not in stored
    assert (token.expires_at - token.created_at).days == 30


def test_days_sets_the_expiry(cast: Cast) -> None:
    from alliance.api.models import ApiToken

    run("create", "dana@example.test", "--scope", "patient/*.rs", "--days", "7")
    token = ApiToken.objects.get()
    assert (token.expires_at - token.created_at).days == 7


@pytest.mark.parametrize(
    ("email", "scope", "why"),
    [
        ("alice@example.test", "user/*.cruds", "deletes nothing"),
        ("alice@example.test", "user/*", "not a SMART scope"),
        ("alice@example.test", "patient/*.rs", "patient/"),
        ("dana@example.test", "user/*.rs", "user/"),
        ("nobody@example.test", "user/*.rs", "No active account"),
    ],
)
def test_create_refuses_bad_scopes_and_wrong_roles(
    cast: Cast, email: str, scope: str, why: str
) -> None:
    from alliance.api.models import ApiToken

    with pytest.raises(CommandError, match=why):
        run("create", email, "--scope", scope)
    assert not ApiToken.objects.exists()


def test_revoke_ends_the_token_and_both_are_audited(cast: Cast) -> None:
    from django.test import Client

    from alliance.api.models import ApiToken
    from alliance.audit.models import Action, AuditEvent

    raw = run("create", "alice@example.test", "--scope", "user/*.rs").rstrip().split("\n")[-1]
    token = ApiToken.objects.get()
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/fhir/R4/Patient", headers=headers).status_code == 200
    assert "is revoked" in run("revoke", str(token.pk))
    assert "already revoked" in run("revoke", str(token.pk))
    assert Client().get("/fhir/R4/Patient", headers=headers).status_code == 401
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count(Action.API_TOKEN_CREATED) == 1
    assert actions.count(Action.API_TOKEN_REVOKED) == 1
    with pytest.raises(CommandError, match="No API token"):
        run("revoke", "999")
