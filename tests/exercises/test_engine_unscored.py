"""The engine's unscored forms ("scored": false): answers only, and never taken for a measure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from alliance import instruments as engine
from alliance.exercises.catalogue import DEFINITIONS_DIR


def unscored(**meta: Any) -> dict[str, Any]:
    base = {
        "format": 1,
        "instrument_id": "my-form",
        "scored": False,
        "validated": False,
        "purpose": "exercise",
        "languages": ["en"],
    }
    base.update(meta)
    return {
        "resourceType": "Questionnaire",
        "id": "my-form",
        "version": "1",
        "extension": [{"url": engine.SCORING_URL, "valueString": json.dumps(base)}],
        "item": [
            {"linkId": "a", "type": "text", "text": "Write", "required": True},
            {
                "linkId": "b",
                "type": "integer",
                "text": "How much",
                "extension": [
                    {"url": "http://hl7.org/fhir/StructureDefinition/minValue", "valueInteger": 0},
                    {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", "valueInteger": 10},
                ],
            },
        ],
    }


def test_an_unscored_form_registers_and_validates_answers_without_a_total() -> None:
    registry = engine.InstrumentRegistry()
    form = registry.register(unscored())
    assert not form.is_scored and form.purpose == "exercise"
    result = engine.score(form, {"a": "hello", "b": 3})
    assert result.total is None and result.band is None and result.completeness.complete
    with pytest.raises(engine.InvalidAnswers):
        engine.score(form, {"b": 11})
    assert engine.to_observations(result) == []
    # Nothing is missing from a form with no total, so strict scoring does not refuse it.
    assert engine.score(form, {"a": "hello"}, strict=True).completeness.complete
    with pytest.raises(engine.InvalidAnswers):
        engine.score_batch(form, [[3]])


@pytest.mark.parametrize(
    "extra",
    [
        {"total": {"items": ["b"], "method": "sum", "min": 0, "max": 10}},
        {"bands": {"ranges": []}},
        {"critical_items": [{"link_id": "b", "min_value": 1}]},
        {"clinical_cutoff": {"value": 3}},
        {"validated": True},
        {"scored": "no"},
    ],
)
def test_an_unscored_form_cannot_carry_scoring_metadata(extra: dict[str, Any]) -> None:
    registry = engine.InstrumentRegistry()
    with pytest.raises(engine.QuestionnaireImportError):
        registry.register(unscored(**extra))
    with pytest.raises(engine.UnknownInstrument):
        registry.get("my-form")


def test_scored_instruments_are_measures() -> None:
    assert engine.get_instrument("phq-9").is_scored
    assert engine.get_instrument("phq-9").purpose == "measure"


def test_the_exercise_directory_loads_into_a_fresh_registry() -> None:
    registry = engine.InstrumentRegistry()
    loaded = registry.load_definitions_from(DEFINITIONS_DIR)
    assert len(loaded) == 5
    assert all(not inst.is_scored for inst in loaded)
