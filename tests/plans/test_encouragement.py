"""When the client sees a note of encouragement: only for real change, never beside risk."""

from __future__ import annotations

import pytest

from alliance.plans.encouragement import (
    NOTES,
    RatingChange,
    encouragement_note,
    encouragement_reason,
    goal_rose,
)


def test_reliable_improvement_is_encouraged() -> None:
    assert encouragement_reason(risk=False, change_category="reliably improved") == (
        "reliable_change"
    )
    assert encouragement_reason(risk=False, change_category="recovered") == "reliable_change"


def test_a_goal_rating_that_rose_is_encouraged() -> None:
    changes = [RatingChange(previous=3, latest=3), RatingChange(previous=4, latest=6)]
    assert encouragement_reason(risk=False, rating_changes=changes) == "goal_rose"


@pytest.mark.parametrize("category", ["recovered", "reliably improved"])
def test_never_next_to_risk(category: str) -> None:
    rose = [RatingChange(previous=2, latest=8)]
    assert encouragement_reason(risk=True, change_category=category, rating_changes=rose) is None
    assert (
        encouragement_reason(
            risk=False, crisis_shown=True, change_category=category, rating_changes=rose
        )
        is None
    )


@pytest.mark.parametrize(
    ("category", "changes"),
    [
        (None, []),
        ("no reliable change", []),
        ("reliably deteriorated", []),
        ("no reliable change", [RatingChange(previous=5, latest=5)]),
        (None, [RatingChange(previous=6, latest=4)]),
        # A first rating has nothing to rise from, however high it is.
        (None, [RatingChange(previous=None, latest=9)]),
    ],
)
def test_no_note_when_nothing_improved(category: str | None, changes: list[RatingChange]) -> None:
    assert encouragement_reason(risk=False, change_category=category, rating_changes=changes) is (
        None
    )
    assert encouragement_note(None, 7) == ""


def test_goal_rose_needs_an_earlier_rating() -> None:
    assert goal_rose(RatingChange(1, 2))
    assert not goal_rose(RatingChange(None, 10))
    assert not goal_rose(RatingChange(5, 5))


def test_notes_vary_and_are_stable_for_a_seed() -> None:
    for reason, variants in NOTES.items():
        assert len(variants) >= 3
        seen = {encouragement_note(reason, seed) for seed in range(len(variants))}
        assert len(seen) == len(variants)
        # Stable: the seed alone picks the note (a reload shows the same words).
        assert encouragement_note(reason, 4) == str(variants[4 % len(variants)])
        assert encouragement_note(reason, 4 + len(variants)) == encouragement_note(reason, 4)


def test_notes_do_not_overclaim() -> None:
    for variants in NOTES.values():
        for text in variants:
            lowered = str(text).lower()
            for word in ("cured", "recovered", "better than", "you are well", "fixed"):
                assert word not in lowered
