"""The shared plan: proposing, agreeing, rewording, closing and rating goals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close
from alliance.plans.models import Goal, GoalRating, GoalStatus, GoalVersion
from alliance.plans.selectors import active_goals, goals_waiting_for, plan_of
from alliance.plans.services import (
    goal_agree,
    goal_close,
    goal_propose,
    goal_reword,
    goals_rate,
    plan_review_set,
    plan_summary_update,
)

pytestmark = pytest.mark.django_db


def active_goal(cast: Any, text: str = "Sleep through most nights") -> Goal:
    goal = goal_propose(actor=cast.dana, episode=cast.dana_episode, text=text)
    return goal_agree(actor=cast.alice, goal=goal)


def test_a_goal_the_client_proposes_waits_for_the_therapist(cast: Any) -> None:
    goal = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="  Walk the dog daily ")
    assert goal.status == GoalStatus.PROPOSED
    assert goal.waiting_for == "therapist"
    assert goal.current_text == "Walk the dog daily"
    assert list(active_goals(cast.dana_episode)) == []
    with pytest.raises(ValidationError):
        goal_agree(actor=cast.dana, goal=goal)  # not their turn
    goal_agree(actor=cast.alice, goal=goal)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE and goal.waiting_for == ""
    version = goal.versions.get()
    assert version.agreed_by == cast.alice and version.agreed_at is not None
    assert list(active_goals(cast.dana_episode)) == [goal]
    actions = list(AuditEvent.objects.filter(target_type="goal").values_list("action", flat=True))
    assert actions == [Action.GOAL_PROPOSED, Action.GOAL_AGREED]
    assert set(
        AuditEvent.objects.filter(target_type="goal").values_list("client_id", flat=True)
    ) == {cast.dana.pk}


def test_a_goal_the_therapist_proposes_waits_for_the_client(cast: Any) -> None:
    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Call one friend a week")
    assert goal.waiting_for == "client"
    assert list(goals_waiting_for(cast.dana_episode, "client")) == [goal]
    with pytest.raises(ValidationError):
        goal_agree(actor=cast.alice, goal=goal)
    goal_agree(actor=cast.dana, goal=goal)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


def test_a_changed_goal_keeps_every_version_and_needs_agreement_again(cast: Any) -> None:
    goal = active_goal(cast)
    goal_reword(actor=cast.alice, goal=goal, text="Sleep six hours on most nights")
    goal.refresh_from_db()
    assert goal.status == GoalStatus.PROPOSED and goal.waiting_for == "client"
    assert [v.text for v in goal.versions.all()] == [
        "Sleep through most nights",
        "Sleep six hours on most nights",
    ]
    assert goal.current_text == "Sleep six hours on most nights"
    goal_reword(actor=cast.dana, goal=goal, text="Sleep six hours, most nights")
    goal.refresh_from_db()
    assert goal.waiting_for == "therapist"
    assert GoalVersion.objects.filter(goal=goal).count() == 3
    assert AuditEvent.objects.filter(action=Action.GOAL_CHANGED).count() == 2


def test_agreeing_to_a_wording_that_changed_meanwhile_is_refused(cast: Any) -> None:
    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="First wording")
    seen = goal.versions.get().pk
    goal_reword(actor=cast.alice, goal=goal, text="Second wording")
    with pytest.raises(ValidationError, match="changed"):
        goal_agree(actor=cast.dana, goal=goal, seen_version_id=seen)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.PROPOSED


def test_same_or_empty_wording_is_refused(cast: Any) -> None:
    goal = active_goal(cast)
    with pytest.raises(ValidationError):
        goal_reword(actor=cast.dana, goal=goal, text="Sleep through most nights")
    with pytest.raises(ValidationError):
        goal_reword(actor=cast.dana, goal=goal, text="   ")
    with pytest.raises(ValidationError):
        goal_propose(actor=cast.dana, episode=cast.dana_episode, text="x" * 501)
    assert GoalVersion.objects.count() == 1


def test_either_side_may_set_aside_and_achieve_with_who_and_when(cast: Any) -> None:
    goal = active_goal(cast)
    goal_close(actor=cast.dana, goal=goal, status=GoalStatus.ACHIEVED)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED and goal.ended_by == cast.dana
    other = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Run a 5k")
    goal_close(actor=cast.alice, goal=other, status=GoalStatus.SET_ASIDE)
    other.refresh_from_db()
    assert other.status == GoalStatus.SET_ASIDE and other.ended_by == cast.alice
    assert other.ended_at is not None
    with pytest.raises(ValidationError):
        goal_close(actor=cast.alice, goal=other, status=GoalStatus.SET_ASIDE)
    proposed = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Cook twice a week")
    with pytest.raises(ValidationError):
        goal_close(actor=cast.dana, goal=proposed, status=GoalStatus.ACHIEVED)
    with pytest.raises(ValidationError):
        goal_close(actor=cast.dana, goal=proposed, status="deleted")
    assert Goal.objects.count() == 3  # nothing is deleted


def test_supervisor_and_others_cannot_write(cast: Any) -> None:
    goal = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Read again")
    for outsider in (cast.sam, cast.charlie, cast.eve, cast.ada):
        with pytest.raises(PermissionDenied):
            goal_agree(actor=outsider, goal=goal)
        with pytest.raises(PermissionDenied):
            goal_propose(actor=outsider, episode=cast.dana_episode, text="Not mine")
    with pytest.raises(PermissionDenied):
        plan_summary_update(actor=cast.dana, episode=cast.dana_episode, text="Client's summary")


def test_closed_episode_is_read_only(cast: Any) -> None:
    goal = active_goal(cast)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        goal_propose(actor=cast.alice, episode=cast.dana_episode, text="More")
    with pytest.raises(ValidationError):
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 5})
    with pytest.raises(ValidationError):
        plan_review_set(actor=cast.alice, episode=cast.dana_episode, review_on=date.today())


def test_client_rates_active_goals_0_to_10(cast: Any) -> None:
    goal = active_goal(cast)
    [rating] = goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 4})
    assert rating.score == 4 and rating.rated_by == cast.dana
    assert AuditEvent.objects.filter(action=Action.GOAL_RATED, target_id=rating.pk).exists()
    for bad in (-1, 11):
        with pytest.raises(ValidationError):
            goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: bad})
    with pytest.raises(ValidationError):
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={})
    with pytest.raises(PermissionDenied):
        goals_rate(actor=cast.alice, episode=cast.dana_episode, scores={goal.pk: 9})
    proposed = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Not agreed yet")
    with pytest.raises(ValidationError):
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={proposed.pk: 3})
    eve_goal = goal_propose(actor=cast.eve, episode=cast.eve_episode, text="Otro objetivo")
    goal_agree(actor=cast.alice, goal=eve_goal)
    with pytest.raises(ValidationError):
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={eve_goal.pk: 3})
    assert GoalRating.objects.count() == 1


def test_summary_is_versioned_and_review_date_set_by_therapist(cast: Any) -> None:
    plan_summary_update(actor=cast.alice, episode=cast.dana_episode, text="Sleep, then walking.")
    plan_summary_update(actor=cast.alice, episode=cast.dana_episode, text="Walking first.")
    soon = timezone.localdate() + timedelta(days=28)
    plan_review_set(actor=cast.alice, episode=cast.dana_episode, review_on=soon)
    plan = plan_of(cast.dana_episode)
    assert plan is not None
    assert [v.text for v in plan.summary_versions.all()] == [
        "Sleep, then walking.",
        "Walking first.",
    ]
    assert plan.current_summary == "Walking first."
    assert plan.review_on == soon and not plan.review_overdue(timezone.localdate())
    assert plan.review_overdue(soon + timedelta(days=1))
    assert AuditEvent.objects.filter(action=Action.PLAN_CHANGED).count() == 3
