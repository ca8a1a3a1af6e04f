"""The exercise definitions: valid FHIR, loaded by the engine, unscored, in English and Spanish,
and kept out of every list of measures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from alliance import instruments as engine
from alliance.exercises.catalogue import (
    DEFINITIONS_DIR,
    ExerciseType,
    exercise_instrument,
    register_exercises,
    shared_by_default,
)

IDS = [
    "exercise-behavioural-activation",
    "exercise-expressive-writing",
    "exercise-mindfulness-log",
    "exercise-reflection-journal",
    "exercise-thought-record",
]


def load(iid: str) -> dict[str, Any]:
    return dict(json.loads((DEFINITIONS_DIR / f"{iid}.json").read_text(encoding="utf-8")))


def meta_of(q: dict[str, Any]) -> dict[str, Any]:
    ext = next(e for e in q["extension"] if e["url"] == engine.SCORING_URL)
    return dict(json.loads(ext["valueString"]))


def test_exactly_the_five_exercises_ship_and_match_the_types() -> None:
    assert sorted(p.stem for p in Path(DEFINITIONS_DIR).glob("*.json")) == IDS
    assert sorted(ExerciseType.values) == IDS


@pytest.mark.parametrize("iid", IDS)
def test_definition_validates_as_fhir_r4b_questionnaire(iid: str) -> None:
    model = Questionnaire.model_validate(load(iid))
    assert model.id == iid
    assert model.url == f"urn:alliance:questionnaire:{iid}"


@pytest.mark.parametrize("iid", IDS)
def test_definition_is_an_unscored_exercise_registered_at_startup(iid: str) -> None:
    instrument = engine.get_instrument(iid)  # registered by the app's ready()
    assert not instrument.is_scored
    assert instrument.purpose == "exercise"
    assert instrument.validated is False
    assert instrument.bands == ()
    meta = meta_of(load(iid))
    assert meta["scored"] is False and meta["validated"] is False
    assert meta["licence"]
    if iid != "exercise-reflection-journal":
        assert meta["citations"]
        assert meta["citation_facts"]["note"]


@pytest.mark.parametrize("iid", IDS)
def test_every_text_has_spanish(iid: str) -> None:
    instrument = exercise_instrument(iid)
    assert set(instrument.languages) == {"en", "es"}
    for item in instrument.items:
        assert item.translations.get("es"), item.link_id
        for option in item.options:
            assert option.translations.get("es"), (item.link_id, option.code)

    def displays(nodes: Any) -> list[dict[str, Any]]:
        return [n for n in nodes if n["type"] == "display"]

    for node in displays(load(iid)["item"]):
        assert node["_text"]["extension"][0]["extension"][0]["valueCode"] == "es"


def test_registering_again_is_a_no_op() -> None:
    before = exercise_instrument(ExerciseType.THOUGHT_RECORD)
    register_exercises()
    assert exercise_instrument(ExerciseType.THOUGHT_RECORD) is before


def test_writing_for_oneself_starts_private() -> None:
    assert shared_by_default(ExerciseType.THOUGHT_RECORD)
    assert shared_by_default(ExerciseType.BEHAVIOURAL_ACTIVATION)
    assert shared_by_default(ExerciseType.MINDFULNESS_LOG)
    assert not shared_by_default(ExerciseType.EXPRESSIVE_WRITING)
    assert not shared_by_default(ExerciseType.REFLECTION_JOURNAL)


def test_answers_are_checked_by_the_engine_and_never_scored() -> None:
    result = engine.score(
        exercise_instrument(ExerciseType.THOUGHT_RECORD),
        {"tr-situation": "x", "tr-intensity-before": 70},
    )
    assert result.total is None and result.band is None
    assert result.completeness.complete
    with pytest.raises(engine.InvalidAnswers):
        engine.score(exercise_instrument(ExerciseType.THOUGHT_RECORD), {"tr-intensity-before": 101})
    with pytest.raises(engine.InvalidAnswers):
        engine.score_batch(exercise_instrument(ExerciseType.THOUGHT_RECORD), [[1]])


def test_exercises_are_not_offered_as_measures(db: Any) -> None:
    from alliance.measures.instruments import all_instruments

    ids = {inst.id for inst in all_instruments()}
    assert "phq-9" in ids
    assert not ids & set(IDS)
