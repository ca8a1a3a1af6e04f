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


def test_country_names_and_line_descriptions_are_in_the_readers_language() -> None:
    from django.utils import translation

    from alliance.safety.crisis import COUNTRY_CHOICES, resources_for

    spain = resources_for("ES")
    ireland = resources_for("IE")
    assert spain is not None and ireland is not None
    with translation.override("es"):
        assert str(spain.name) == "España"
        assert str(spain.lines[0].how) == "llame al 024 (atención a la conducta suicida)"
        assert str(ireland.emergency) == "112 o 999"
        assert [str(name) for _, name in COUNTRY_CHOICES] == [
            "Estados Unidos", "Canadá", "Reino Unido", "Irlanda", "Australia", "España", "México",
        ]  # fmt: skip
    with translation.override("en"):
        assert str(spain.name) == "Spain"
        assert str(spain.lines[0].how) == "call 024 (suicidal behaviour helpline)"
        # A service keeps its own name in every language.
        assert spain.lines[0].name == "Línea 024"
