"""A client who opens an exercise their therapist withdrew, or a check-in of care that has
ended, is told what happened in their own language and shown the way home; the status
codes stay what the access matrix expects (404 and 403)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from alliance.care.services import episode_close
from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in
from tests.exercises.helpers import assign

WORDS = {
    "en": {
        "exercise": "This exercise is no longer on your list",
        "checkin": "This check-in has closed",
        "home": "Back to home",
    },
    "es": {
        "exercise": "Este ejercicio ya no está en su lista",
        "checkin": "Este cuestionario se ha cerrado",
        "home": "Volver al inicio",
    },
}


def _client_in(cast: Cast, language: str) -> Any:
    cast.dana.language = language
    cast.dana.save(update_fields=["language"])
    return signed_in(cast.dana)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_withdrawn_exercise_says_so_and_leads_home(cast: Cast, language: str) -> None:
    assignment = assign(cast)
    signed_in(cast.alice).post(reverse("exercise_withdraw", args=[assignment.pk]))
    dana = _client_in(cast, language)
    for method in (dana.get, dana.post):
        page = method(reverse("exercise_do", args=[assignment.pk]))
        assert page.status_code == 404
        html = page.content.decode()
        assert WORDS[language]["exercise"] in html
        assert WORDS[language]["home"] in html
        assert f'href="{reverse("portal_home")}"' in html
        assert f'lang="{language}"' in html


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_check_in_of_care_that_ended_says_so_and_leads_home(cast: Cast, language: str) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    dana = _client_in(cast, language)
    for method in (dana.get, dana.post):
        page = method(reverse("checkin_fill", args=[administration.pk]))
        assert page.status_code == 403
        html = page.content.decode()
        assert WORDS[language]["checkin"] in html
        assert WORDS[language]["home"] in html
        assert f'href="{reverse("portal_home")}"' in html
