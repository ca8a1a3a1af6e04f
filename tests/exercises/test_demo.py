"""The demo makes varied exercises through the services, in the client's language."""

from __future__ import annotations

import random

from django.utils import timezone

from alliance.exercises.demo import demo_exercises
from alliance.exercises.models import Assignment, Entry
from tests.conftest import Cast
from tests.exercises.helpers import active_goal


def test_demo_makes_varied_exercises_once_and_links_goals(cast: Cast) -> None:
    goal = active_goal(cast.dana_episode, cast.alice, "Sleep better")
    for seed in range(6):
        demo_exercises(episode=cast.dana_episode, rng=random.Random(seed), now=timezone.now())
    assignments = list(Assignment.objects.filter(episode=cast.dana_episode))
    assert 2 <= len(assignments) <= 4  # a second call adds nothing
    demo_exercises(episode=cast.eve_episode, rng=random.Random(3), now=timezone.now())
    assert Assignment.objects.filter(episode=cast.eve_episode).exists()
    for entry in Entry.objects.all():
        assert entry.completed_at <= timezone.now()
        assert entry.completed_at >= entry.assignment.assigned_at
    assert all(a.goal in (None, goal) for a in assignments)


def test_demo_over_many_seeds_has_shared_private_done_and_not_done(db: None) -> None:
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    therapist = make_user("t@example.test", "T", "therapist")
    shared, private, undone, linked = set(), set(), 0, 0
    for n in range(8):
        client = make_user(
            f"c{n}@example.test", f"C{n}", "client", language="es" if n % 2 else "en"
        )
        episode = episode_open(actor=therapist, client=client, therapist=therapist)
        goal = active_goal(episode, therapist, "Un objetivo") if n % 3 == 0 else None
        demo_exercises(episode=episode, rng=random.Random(n), now=timezone.now())
        for assignment in Assignment.objects.filter(episode=episode):
            undone += not assignment.entries.exists()
            linked += assignment.goal_id is not None and assignment.goal == goal
            for entry in assignment.entries.all():
                (shared if entry.shared else private).add(entry.pk)
    assert shared and private and undone and linked
