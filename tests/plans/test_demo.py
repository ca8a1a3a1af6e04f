"""The demo plans: varied, in the client's language, made through the services."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alliance.care.models import Session
from alliance.plans.demo import CLIENT_GOALS, demo_plans
from alliance.plans.models import Goal, GoalRating, GoalStatus
from alliance.plans.selectors import plan_of

pytestmark = pytest.mark.django_db


def with_sessions(episode: Any, weeks: int) -> None:
    now = timezone.now()
    for number in range(1, weeks + 1):
        Session.objects.create(
            episode=episode, number=number, starts_at=now - timedelta(weeks=weeks - number + 1)
        )


def test_demo_plans_are_varied_and_in_the_clients_language(cast: Any) -> None:
    with_sessions(cast.dana_episode, 8)
    with_sessions(cast.eve_episode, 8)
    now = timezone.now()
    for seed in range(2):
        rng = random.Random(seed)
        demo_plans(episode=cast.dana_episode, rng=rng, now=now)
        demo_plans(episode=cast.eve_episode, rng=rng, now=now)  # the second call adds nothing
    for episode in (cast.dana_episode, cast.eve_episode):
        goals = Goal.objects.filter(episode=episode)
        assert 2 <= goals.count() <= 4
        assert GoalRating.objects.filter(goal__episode=episode).count() >= 7
        plan = plan_of(episode)
        assert plan is not None and plan.review_on is not None and plan.current_summary
    spanish = {first for first, _ in CLIENT_GOALS["es"]} | {
        second for _, second in CLIENT_GOALS["es"] if second
    }
    eve_texts = {g.current_text for g in Goal.objects.filter(episode=cast.eve_episode)}
    assert eve_texts & spanish
    assert {g.status for g in Goal.objects.all()} & {GoalStatus.ACTIVE, GoalStatus.ACHIEVED}


def test_over_many_clients_both_sides_propose_reword_and_ratings_rise_or_stay(
    cast: Any,
) -> None:
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    now = timezone.now()
    rng = random.Random(20261125)
    episodes = []
    for number in range(10):
        client = make_user(f"demo{number}@example.test", f"Client {number}", "client")
        episode = episode_open(actor=cast.alice, client=client, therapist=cast.alice)
        with_sessions(episode, 6)
        demo_plans(episode=episode, rng=rng, now=now)
        episodes.append(episode)
    goals = Goal.objects.filter(episode__in=episodes)
    proposers = {g.proposed_by_id for g in goals}
    assert cast.alice.pk in proposers and len(proposers) > 1
    assert any(g.versions.count() > 1 for g in goals)
    assert goals.filter(status=GoalStatus.PROPOSED, waiting_for="client").exists()
    rising = flat = 0
    for goal in goals:
        scores = list(goal.ratings.values_list("score", flat=True))
        if len(scores) >= 2:
            rising += scores[-1] > scores[0]
            flat += scores[-1] == scores[0]
    assert rising > flat > 0
