"""The safety plan's versions, limits and the no-lost-update rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close
from alliance.safety.models import SafetyPlan, SafetyPlanVersion
from alliance.safety.selectors import safety_current_version
from alliance.safety.services import StaleEdit, safety_plan_save, safety_steps_clean
from alliance.safety.steps import MAX_ENTRIES_PER_STEP, MAX_ENTRY_CHARS, STEP_KEYS, STEPS
from tests.conftest import Cast


def test_the_seven_steps_follow_the_safety_planning_intervention() -> None:
    assert [step.number for step in STEPS] == [1, 2, 3, 4, 5, 6, 7]
    assert STEP_KEYS == (
        "warning_signs",
        "coping_alone",
        "people_places",
        "people_to_ask",
        "professionals",
        "safer_surroundings",
        "reasons",
    )


def test_entries_are_trimmed_and_empty_lines_dropped() -> None:
    cleaned = safety_steps_clean({"warning_signs": ["  not sleeping  ", "", "   ", "pacing"]})
    assert cleaned["warning_signs"] == ["not sleeping", "pacing"]
    assert cleaned["reasons"] == []


def test_a_plan_with_nothing_written_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least one"):
        safety_steps_clean({"warning_signs": ["", "  "]})


def test_too_many_lines_in_a_step_are_refused_with_a_message_for_that_step() -> None:
    with pytest.raises(ValidationError) as caught:
        safety_steps_clean({"coping_alone": [f"walk {n}" for n in range(MAX_ENTRIES_PER_STEP + 1)]})
    assert set(caught.value.message_dict) == {"coping_alone"}
    assert str(MAX_ENTRIES_PER_STEP) in caught.value.message_dict["coping_alone"][0]


def test_a_too_long_line_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        safety_steps_clean({"reasons": ["x" * (MAX_ENTRY_CHARS + 1)]})
    assert "characters" in caught.value.message_dict["reasons"][0]
    assert safety_steps_clean({"reasons": ["x" * MAX_ENTRY_CHARS]})["reasons"]


def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(ValidationError):
        safety_steps_clean({"diagnosis": ["x"]})


def test_each_save_is_a_new_version_and_the_old_one_is_kept(cast: Cast) -> None:
    first = safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0
    )
    second = safety_plan_save(
        actor=cast.alice,
        client=cast.dana,
        steps={"reasons": ["my cat"], "people_to_ask": ["my brother"]},
        based_on=1,
    )
    assert (first.number, second.number) == (1, 2)
    assert (first.author, second.author) == (cast.dana, cast.alice)
    assert SafetyPlan.objects.get().current_number == 2
    assert safety_current_version(cast.dana) == second
    first.refresh_from_db()
    assert first.entries("people_to_ask") == []
    assert AuditEvent.objects.filter(
        action=Action.SAFETY_PLAN_UPDATED, client_id=cast.dana.pk, target_id=second.pk
    ).exists()


def test_a_version_cannot_be_rewritten(cast: Cast) -> None:
    version = safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["my cat"]}, based_on=0
    )
    version.steps = {"reasons": ["changed"]}
    with pytest.raises(PermissionError):
        version.save()


def test_a_stale_edit_saves_nothing_and_carries_the_newer_version(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["a"]}, based_on=0)
    newer = safety_plan_save(
        actor=cast.alice, client=cast.dana, steps={"reasons": ["a", "b"]}, based_on=1
    )
    with pytest.raises(StaleEdit) as caught:
        safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["c"]}, based_on=1)
    assert caught.value.current == newer
    assert SafetyPlanVersion.objects.count() == 2


def test_a_second_first_plan_is_stale_too(cast: Cast) -> None:
    safety_plan_save(actor=cast.dana, client=cast.dana, steps={"reasons": ["a"]}, based_on=0)
    with pytest.raises(StaleEdit):
        safety_plan_save(actor=cast.alice, client=cast.dana, steps={"reasons": ["b"]}, based_on=0)


def test_saving_without_a_change_makes_no_new_version(cast: Cast) -> None:
    first = safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["a"]}, based_on=0
    )
    again = safety_plan_save(
        actor=cast.dana, client=cast.dana, steps={"reasons": ["a", ""]}, based_on=1
    )
    assert again == first
    assert SafetyPlanVersion.objects.count() == 1


def test_one_plan_per_client_survives_a_closed_episode_and_a_new_one(cast: Cast) -> None:
    from alliance.care.services import episode_open

    safety_plan_save(actor=cast.alice, client=cast.dana, steps={"reasons": ["a"]}, based_on=0)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(PermissionDenied):
        safety_plan_save(actor=cast.alice, client=cast.dana, steps={"reasons": ["b"]}, based_on=1)
    episode_open(actor=cast.charlie, client=cast.dana, therapist=cast.charlie)
    version = safety_plan_save(
        actor=cast.charlie, client=cast.dana, steps={"reasons": ["b"]}, based_on=1
    )
    assert version.number == 2
    assert SafetyPlan.objects.count() == 1


@pytest.mark.parametrize("who", ["sam", "charlie", "ada", "eve"])
def test_only_the_client_and_their_treating_therapist_may_save(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        safety_plan_save(
            actor=getattr(cast, who), client=cast.dana, steps={"reasons": ["a"]}, based_on=0
        )
    assert not SafetyPlan.objects.exists()
