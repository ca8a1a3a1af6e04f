from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from alliance.audit.models import AuditEvent
from tests.conftest import PASSWORD, Cast, sign_in


def login(client: Client, email: str, password: str) -> Any:
    return sign_in(client, email, password)


def test_login_by_email_lands_on_the_role_home(cast: Cast) -> None:
    client = Client()
    response = login(client, "ALICE@example.test", PASSWORD)
    assert response.status_code == 302
    assert client.get("/").url == reverse("caseload")  # type: ignore[attr-defined]
    client = Client()
    login(client, "dana@example.test", PASSWORD)
    assert client.get("/").url == reverse("portal_home")  # type: ignore[attr-defined]
    client = Client()
    login(client, "ada@example.test", PASSWORD)
    assert client.get("/").url == reverse("practice_people")  # type: ignore[attr-defined]


def test_wrong_password_is_refused_without_saying_which_part(cast: Cast) -> None:
    response = login(Client(), "alice@example.test", "wrong password here")
    assert response.status_code == 200
    assert b"not correct" in response.content or b"incorrect" in response.content
    assert "_auth_user_id" not in Client().session


def test_login_and_failures_are_audited_without_the_address_tried(cast: Cast) -> None:
    login(Client(), "alice@example.test", "wrong password here")
    login(Client(), "alice@example.test", PASSWORD)
    failed, logged_in = AuditEvent.objects.order_by("-seq")[:2][::-1]
    assert failed.action == "login_failed" and failed.actor_id is None
    assert logged_in.action == "logged_in" and logged_in.actor_id == cast.alice.pk
    assert logged_in.ip_address == "127.0.0.1"


def test_deactivated_account_cannot_sign_in(cast: Cast) -> None:
    cast.charlie.is_active = False
    cast.charlie.save()
    client = Client()
    login(client, "charlie@example.test", PASSWORD)
    assert client.get(reverse("caseload")).status_code == 302


def test_login_is_rate_limited(cast: Cast) -> None:
    cache.clear()
    client = Client()
    codes = [login(client, "alice@example.test", f"wrong-{n}").status_code for n in range(7)]
    # SECURITY.md promises 429 Too Many Requests, with the kind page that says to wait.
    assert codes == [200] * 5 + [429] * 2
    # After five failures for one account, even the right password waits.
    response = login(client, "alice@example.test", PASSWORD)
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert b"Please wait a few minutes, then try again." in response.content
    assert "_auth_user_id" not in client.session
    # Per account: another person signing in from the same address is not held up.
    assert login(Client(), "bob-not-here@example.test", "wrong").status_code == 200
    cache.clear()


def test_too_many_attempts_are_answered_in_the_persons_language(cast: Cast) -> None:
    cache.clear()
    client = Client(headers={"accept-language": "es"})
    for n in range(5):
        login(client, "alice@example.test", f"wrong-{n}")
    response = login(client, "alice@example.test", PASSWORD)
    assert response.status_code == 429
    assert b"Demasiados intentos" in response.content
    cache.clear()


def test_new_session_key_at_login(cast: Cast) -> None:
    client = Client()
    client.get(reverse("account_login"))
    before = client.session.session_key
    login(client, "alice@example.test", PASSWORD)
    assert client.session.session_key != before


def test_logout_ends_the_server_side_session(cast: Cast) -> None:
    client = Client()
    login(client, "alice@example.test", PASSWORD)
    assert client.get(reverse("caseload")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("caseload")).status_code == 302


def test_argon2_is_the_production_hasher() -> None:
    from alliance import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        assert identify_hasher(make_password("x" * 12)).algorithm == "argon2"


def test_signup_is_closed() -> None:
    response = Client().get(reverse("account_signup"))
    assert b"by invitation" in response.content
    assert settings.ACCOUNT_ADAPTER == "alliance.accounts.adapter.AccountAdapter"


def test_the_sign_in_page_offers_password_reset_once() -> None:
    page = Client().get(reverse("account_login")).content.decode()
    assert page.count(reverse("account_reset_password")) == 1
