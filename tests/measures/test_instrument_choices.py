"""The instrument menu ("Ask for a questionnaire", the check-in schedule) is cached, so
that a page showing it parses no imported definition; an import changes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

import alliance.instruments.registry as registry_module
from alliance import instruments as engine
from alliance.measures import instruments as practice
from tests.conftest import Cast, signed_in

ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "default_registry", engine.InstrumentRegistry())
    monkeypatch.setattr(practice, "_loaded", set())


def scale(title: str) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "status": "active",
        "title": title,
        "item": [
            {
                "linkId": "q1",
                "type": "choice",
                "text": "How often?",
                "answerOption": [
                    {
                        "valueCoding": {"code": f"a{k}", "display": str(k)},
                        "extension": [{"url": ORDINAL, "valueDecimal": k}],
                    }
                    for k in range(3)
                ],
            }
        ],
    }


@pytest.fixture(autouse=True)
def fresh(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    new_process(monkeypatch)


def ids() -> list[str]:
    return [choice.id for choice in practice.instrument_choices()]


def test_the_menu_holds_the_scored_instruments_and_the_imports() -> None:
    assert ids() == [inst.id for inst in practice.all_instruments()]
    assert "session-feedback" in ids() and "exercise-thought-record" not in ids()
    practice.practice_instrument_import(scale("Our own scale"))
    assert "imported-our-own-scale" in ids()
    titles = {choice.id: choice.title for choice in practice.instrument_choices()}
    assert titles["imported-our-own-scale"] == "Our own scale"


def test_a_new_process_shows_the_menu_without_parsing_an_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    practice.practice_instrument_import(scale("Our own scale"))
    before = ids()
    new_process(monkeypatch)

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an imported definition was parsed for the menu")

    monkeypatch.setattr(engine, "import_questionnaire", no_parsing)
    assert ids() == before


def test_an_import_in_another_process_changes_the_menu(monkeypatch: pytest.MonkeyPatch) -> None:
    first = ids()
    new_process(monkeypatch)  # the import runs elsewhere (`alliance instruments import`)
    practice.practice_instrument_import(scale("Another scale"))
    new_process(monkeypatch)
    assert ids() == sorted([*first, "imported-another-scale"])


def test_the_request_page_offers_a_new_import_at_once(cast: Cast) -> None:
    browser = signed_in(cast.alice)
    url = reverse("questionnaire_request", args=[cast.dana_episode.pk])
    assert "Our own scale" not in browser.get(url).content.decode()
    practice.practice_instrument_import(scale("Our own scale"))
    page = browser.get(url).content.decode()
    assert "Our own scale" in page
    response = browser.post(url, {"instrument": "imported-our-own-scale"})
    assert response.status_code == 302


def test_the_schedule_page_uses_the_menu_too(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    practice.practice_instrument_import(scale("Our own scale"))
    ids()  # the menu is cached
    new_process(monkeypatch)

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an imported definition was parsed for the menu")

    monkeypatch.setattr(engine, "import_questionnaire", no_parsing)
    page = signed_in(cast.alice).get(reverse("schedule_edit", args=[cast.dana_episode.pk]))
    assert "Our own scale" in page.content.decode()


def test_the_menu_is_not_stale_after_an_import_under_a_chosen_id(tmp_path: Path) -> None:
    ids()
    path = tmp_path / "q.json"
    path.write_text(json.dumps(scale("Chosen")), encoding="utf-8")
    practice.practice_instrument_import(scale("Chosen"), instrument_id="chosen-scale")
    assert "chosen-scale" in ids()


def test_an_import_makes_the_new_menu_at_once(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """So that not even the first page after an import parses it, in any process."""
    with django_capture_on_commit_callbacks(execute=True):
        practice.practice_instrument_import(scale("Our own scale"))
    new_process(monkeypatch)

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an imported definition was parsed for the menu")

    monkeypatch.setattr(engine, "import_questionnaire", no_parsing)
    assert "imported-our-own-scale" in ids()
