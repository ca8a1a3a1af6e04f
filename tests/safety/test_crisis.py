"""Whose crisis lines a person sees: their own country's, else the practice's."""

from __future__ import annotations

from django.test import override_settings

from alliance.safety.crisis import resources_for_person
from tests.conftest import Cast


@override_settings(PRACTICE_COUNTRY="US")
def test_a_person_sees_their_own_country_else_the_practices(cast: Cast) -> None:
    cast.dana.country = "GB"
    resources = resources_for_person(cast.dana)
    assert resources is not None and resources.code == "GB"
    cast.dana.country = ""
    resources = resources_for_person(cast.dana)
    assert resources is not None and resources.code == "US"
