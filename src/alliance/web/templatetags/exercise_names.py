"""How the exercises' templates name an exercise and count its entries (pure filters)."""

from __future__ import annotations

from typing import Any

from django import template

from alliance.exercises.catalogue import CLINICAL_NAMES, ExerciseType

register = template.Library()


@register.filter
def exercise_clinical_name(obj: Any) -> str:
    """The field's name of an assignment's (or entry's assignment's) exercise."""
    assignment = getattr(obj, "assignment", obj)
    return str(CLINICAL_NAMES[ExerciseType(assignment.exercise_type)])


@register.filter
def private_count(assignment: Any) -> int:
    """Entries the viewer may know exist but not read."""
    return int(assignment.entry_count) - int(assignment.shared_count)
