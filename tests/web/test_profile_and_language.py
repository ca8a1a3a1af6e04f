from __future__ import annotations

from django.conf import settings
from django.test import Client
from django.urls import reverse

from alliance.accounts.models import User
from tests.conftest import Cast


def test_profile_saves_name_pronouns_and_language(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    response = client.post(
        reverse("profile"), {"preferred_name": "Dee", "pronouns": "she/they", "language": "es"}
    )
    assert response.status_code == 302
    dana = User.objects.get(pk=cast.dana.pk)
    assert (dana.preferred_name, dana.pronouns, dana.language) == ("Dee", "she/they", "es")
    assert "Hola, Dee" in client.get(reverse("portal_home")).content.decode()


def test_bad_profile_changes_nothing(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    response = client.post(reverse("profile"), {"preferred_name": "", "language": "xx"})
    assert response.status_code == 400
    assert User.objects.get(pk=cast.dana.pk).preferred_name == "Dana"


def test_language_switch_for_a_visitor_sets_a_cookie(db: object) -> None:
    client = Client()
    response = client.post(
        reverse("language_switch"), {"language": "es", "next": "/accounts/login/"}
    )
    assert response.status_code == 302 and response.url == "/accounts/login/"  # type: ignore[attr-defined]
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()


def test_language_switch_for_a_person_saves_it(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    client.post(reverse("language_switch"), {"language": "es", "next": "/clinic/"})
    assert User.objects.get(pk=cast.alice.pk).language == "es"


def test_language_switch_refuses_unknown_language_and_foreign_next(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.post(
        reverse("language_switch"), {"language": "fr", "next": "https://elsewhere.example/"}
    )
    assert response.url == "/"  # type: ignore[attr-defined]
    assert User.objects.get(pk=cast.alice.pk).language == "en"
