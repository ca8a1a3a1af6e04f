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


# -- time zone ------------------------------------------------------------------------------


def test_time_zone_defaults_to_the_practice_and_is_chosen_in_the_profile(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    page = client.get(reverse("profile")).content.decode()
    assert '<option value="" selected>The practice&#x27;s time zone (UTC)</option>' in page
    assert '<option value="America/New_York">New York</option>' in page
    assert "Dates and times are shown in the UTC time zone." in page
    response = client.post(
        reverse("profile"),
        {"preferred_name": "Dana", "pronouns": "they/them", "language": "en",
         "time_zone": "America/New_York"},
    )  # fmt: skip
    assert response.status_code == 302
    assert User.objects.get(pk=cast.dana.pk).time_zone == "America/New_York"
    page = client.get(reverse("portal_home")).content.decode()
    assert "Dates and times are shown in the New York time zone." in page


def test_an_unknown_time_zone_is_refused(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    response = client.post(
        reverse("profile"),
        {"preferred_name": "Dana", "language": "en", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 400
    assert User.objects.get(pk=cast.dana.pk).time_zone == ""


def test_every_time_is_shown_in_the_viewers_zone_and_language(cast: Cast) -> None:
    from datetime import UTC, datetime

    from alliance.care.models import Session

    Session.objects.create(
        episode=cast.eve_episode, number=1, starts_at=datetime(2099, 12, 5, 14, 0, tzinfo=UTC)
    )
    User.objects.filter(pk=cast.eve.pk).update(time_zone="America/Mexico_City")
    client = Client()
    client.force_login(User.objects.get(pk=cast.eve.pk))
    page = client.get(reverse("portal_home")).content.decode()
    # 14:00 UTC is 08:00 in Mexico City (no summer time there since 2022), in Spanish words.
    assert "sábado, 5 de diciembre de 2099, 08:00" in page
    assert "Las fechas y horas se muestran en la zona horaria de Mexico City." in page
    # The same session, for her therapist in the practice's zone.
    therapist = Client()
    therapist.force_login(cast.alice)
    record = therapist.get(reverse("client_record", args=[cast.eve.pk])).content.decode()
    assert "14:00" in record and "08:00" not in record


def test_a_session_time_is_read_in_the_therapists_own_zone(cast: Cast) -> None:
    from datetime import UTC, datetime

    from alliance.care.models import Session

    User.objects.filter(pk=cast.alice.pk).update(time_zone="Europe/Madrid")
    client = Client()
    client.force_login(User.objects.get(pk=cast.alice.pk))
    url = reverse("session_add", args=[cast.dana_episode.pk])
    assert "In your time zone (Madrid)." in client.get(url).content.decode()
    response = client.post(url, {"starts_at": "2027-07-01T10:00"})
    assert response.status_code == 302
    session = Session.objects.get(episode=cast.dana_episode)
    assert session.starts_at == datetime(2027, 7, 1, 8, 0, tzinfo=UTC)  # 10:00 in Madrid
