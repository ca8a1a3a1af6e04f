"""Clients see a plain short name of ours; clinicians the instrument's published name."""

from __future__ import annotations

import pytest
from instrument_test_helpers import alliance_questionnaire

from alliance.instruments import InstrumentRegistry, get_instrument, list_instruments
from alliance.instruments.names import CLIENT_NAMES, client_name, formal_name, offered_in


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_shipped_instrument_has_a_short_name_in_each_language(language: str) -> None:
    for inst in list_instruments():
        if inst.source != "builtin":
            continue
        name = client_name(inst, language)
        assert name and name != inst.title, inst.id
        assert name == CLIENT_NAMES[inst.id][language]
        # Plain words: no acronym, no diagnosis.
        for clinical in ("PHQ", "GAD", "PCL", "AUDIT", "PTSD", "Disorder", "Trastorno"):
            assert clinical not in name, (inst.id, name)


def test_short_names_are_ours_and_never_replace_the_formal_name() -> None:
    phq9 = get_instrument("phq-9")
    assert client_name(phq9, "en") == "Mood check-in"
    assert client_name(phq9, "es") == "Registro del ánimo"
    assert phq9.title == "Patient Health Questionnaire-9 (PHQ-9)"


def test_a_language_without_a_short_name_falls_back_to_english() -> None:
    assert client_name(get_instrument("gad-7"), "fr") == "Worry check-in"


def test_an_imported_instrument_is_shown_by_its_own_title(registry: InstrumentRegistry) -> None:
    inst = registry.register(alliance_questionnaire("practice-scale"))
    assert client_name(inst, "es") == inst.title


def test_offered_only_in_the_languages_whose_wording_ships() -> None:
    assert offered_in(get_instrument("gad-7"), "es")
    assert offered_in(get_instrument("phq-2"), "es")
    assert not offered_in(get_instrument("pcl-5"), "es")
    assert not offered_in(get_instrument("phq-15"), "es")
    assert offered_in(get_instrument("pcl-5"), "en")


def test_published_names_stay_as_published_and_our_own_form_is_translated() -> None:
    for iid in ("phq-9", "gad-7", "pcl-5"):
        inst = get_instrument(iid)
        assert formal_name(inst, "es") == formal_name(inst, "en") == inst.title
    feedback = get_instrument("session-feedback")
    assert formal_name(feedback, "en") == "Session feedback (Alliance, not a validated instrument)"
    assert formal_name(feedback, "es") == (
        "Opinión sobre la sesión (Alliance, no es un instrumento validado)"
    )
