"""The exercise types: FHIR Questionnaires (``definitions/``) run by the instrument engine.

They are registered with the engine like any instrument, but they are unscored
(``"scored": false``, ``"purpose": "exercise"``), so measure lists leave them out
(``alliance.measures.instruments.all_instruments``).
"""

from __future__ import annotations

from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance import instruments as engine

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


class ExerciseType(models.TextChoices):
    """The client-facing name of each exercise; the value is the engine's instrument id."""

    THOUGHT_RECORD = "exercise-thought-record", _("Thought record")
    BEHAVIOURAL_ACTIVATION = "exercise-behavioural-activation", _("Activity planning")
    MINDFULNESS_LOG = "exercise-mindfulness-log", _("Mindfulness practice")
    EXPRESSIVE_WRITING = "exercise-expressive-writing", _("Expressive writing")
    REFLECTION_JOURNAL = "exercise-reflection-journal", _("Reflection journal")


# The field's names, for the clinician workspace.
CLINICAL_NAMES = {
    ExerciseType.THOUGHT_RECORD: _("CBT thought record"),
    ExerciseType.BEHAVIOURAL_ACTIVATION: _("Behavioural activation"),
    ExerciseType.MINDFULNESS_LOG: _("Mindfulness practice log"),
    ExerciseType.EXPRESSIVE_WRITING: _("Expressive writing"),
    ExerciseType.REFLECTION_JOURNAL: _("Reflection journal"),
}


def register_exercises() -> list[engine.Instrument]:
    """Register every exercise with the engine; registering the same content again is a no-op."""
    return engine.load_definitions_from(DEFINITIONS_DIR)


def exercise_instrument(exercise_type: str, version: str | None = None) -> engine.Instrument:
    """The engine's form for one exercise type (registered first if this process has not)."""
    if exercise_type not in ExerciseType.values:
        raise engine.UnknownInstrument(f"{exercise_type!r} is not an exercise")
    try:
        return engine.get_instrument(exercise_type, version)
    except engine.UnknownInstrument:
        register_exercises()
        return engine.get_instrument(exercise_type, version)


def shared_by_default(exercise_type: str) -> bool:
    """Writing meant for oneself (expressive writing, a journal) starts private."""
    return bool(exercise_instrument(exercise_type).metadata.get("default_shared", False))
