"""`alliance oauth-app`: the practice admin registers apps; the secret is shown once."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("oauth-app", *args, stdout=out)
    return out.getvalue()


def test_a_confidential_app_gets_its_secret_once_stored_hashed() -> None:
    from django.db import connection
    from oauth2_provider.models import Application

    output = run("create", "Chart Sync", "--redirect-uri", "https://ehr.example.test/cb")
    lines = output.rstrip("\n").split("\n")
    secret, client_id = lines[-1], lines[1]
    app = Application.objects.get()
    assert app.client_id == client_id
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM oauth2_provider_application")
        assert secret not in repr(cursor.fetchall())
    assert client_id in run("list")


def test_a_public_app_has_no_secret_and_revoking_removes_it() -> None:
    from oauth2_provider.models import Application

    output = run("create", "Mood Diary", "--redirect-uri", "http://127.0.0.1:9000/cb", "--public")
    assert "secret" not in output.lower()
    app = Application.objects.get()
    assert app.client_type == Application.CLIENT_PUBLIC
    assert "removed" in run("revoke", app.client_id)
    assert not Application.objects.exists()


def test_a_plain_http_redirect_is_refused() -> None:
    with pytest.raises(CommandError, match="https"):
        run("create", "Bad", "--redirect-uri", "http://ehr.example.test/cb")
