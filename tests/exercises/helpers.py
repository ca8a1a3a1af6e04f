"""Exercise test data, made through the real services."""

from __future__ import annotations

from typing import Any

THOUGHT_RECORD = {
    "tr-situation": "Waiting for the bus after work",
    "tr-thought": "Nobody would notice if I didn't turn up",
    "tr-emotion": "sad",
    "tr-intensity-before": 70,
    "tr-evidence-for": "Nobody called yesterday",
    "tr-evidence-against": "My sister asked me round on Sunday",
    "tr-balanced": "Some people would notice and would want to know",
    "tr-intensity-after": 40,
}


def assign(cast: Any, exercise_type: str = "exercise-thought-record", **extra: Any) -> Any:
    from alliance.exercises.services import assignment_create

    return assignment_create(
        actor=cast.alice,
        episode=extra.pop("episode", cast.dana_episode),
        exercise_type=exercise_type,
        **extra,
    )


def write(cast: Any, assignment: Any, *, shared: bool, answers: Any = None) -> Any:
    from alliance.exercises.services import entry_submit

    return entry_submit(
        actor=assignment.episode.client,
        assignment=assignment,
        answers=dict(THOUGHT_RECORD) if answers is None else answers,
        shared=shared,
    )


def active_goal(episode: Any, author: Any, text: str) -> Any:
    """An agreed goal (the plans feature's own services may not exist yet)."""
    from alliance.plans.models import Goal, GoalVersion

    goal = Goal.objects.create(episode=episode, status="active", proposed_by=author)
    GoalVersion.objects.create(goal=goal, text=text, author=author, agreed_by=episode.client)
    return goal
