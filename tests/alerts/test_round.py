"""The worker's round visits only the open episodes that are due (issue 16, "scale").

Each visit stores the episode's next check: the soonest its check-ins change by themselves
(a weekly check-in falls due to be made, an occasion's due time passes), at most
LONGEST_UNVISITED away. Writes that can bring it forward (a session planned, the schedule
changed, a check-in asked for) make the episode due. Two rounds at once share the due
episodes (PostgreSQL, where the claims really race)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.alerts import rules
from alliance.alerts.models import Alert, AlertKind
from alliance.alerts.rules import (
    LONGEST_UNVISITED,
    disengagement_check_open_episodes,
    episodes_due,
)
from alliance.care.models import Episode, Session
from alliance.care.services import episode_open, session_schedule
from alliance.measures.models import Administration, When
from alliance.measures.schedules import JUST_AFTER, schedule_for, schedule_sync, schedule_update
from alliance.measures.services import administration_request
from tests.concurrency import at_once
from tests.conftest import Cast, make_user


def weekly(episode: Episode, *instrument_ids: str) -> None:
    """Only these weekly questionnaires, nothing before or after sessions (set directly, as
    the scale practice and a restored database would: the episode's time is not touched)."""
    schedule = schedule_for(episode)
    schedule.before_session, schedule.after_session, schedule.weekly = [], [], list(instrument_ids)
    schedule.save()


def next_check(episode: Episode) -> datetime | None:
    episode.refresh_from_db(fields=["next_check_at"])
    return episode.next_check_at


def within_the_bound(at: datetime | None, now: datetime) -> bool:
    return at is not None and now + LONGEST_UNVISITED / 2 <= at <= now + LONGEST_UNVISITED


def visited(now: datetime) -> int:
    return disengagement_check_open_episodes(now=now)["episodes"]


def test_a_new_episode_is_due_and_a_visited_one_is_not(cast: Cast) -> None:
    assert next_check(cast.dana_episode) is None
    now = timezone.now()
    assert visited(now) == 2
    assert visited(now) == 0
    assert visited(now + timedelta(hours=1)) == 0
    # Nothing scheduled: the safety net's bound, spread over its second half.
    assert within_the_bound(next_check(cast.eve_episode), now)


def test_a_round_with_nothing_due_costs_the_same_however_many_open_episodes(
    cast: Cast,
) -> None:
    """The round's cost follows the due episodes, not the open ones."""
    now = timezone.now()

    def idle_round() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert disengagement_check_open_episodes(now=now) == {
                "episodes": 0,
                "raised": 0,
                "checkins_changed": 0,
                "checkins_expired": 0,
            }
        return len(queries.captured_queries)

    assert visited(now) == 2
    with_two = idle_round()
    for n in range(20):
        client = make_user(f"round{n}@example.test", f"Client {n}", "client")
        episode = episode_open(actor=cast.alice, client=client, therapist=cast.alice)
        session_schedule(actor=cast.alice, episode=episode, starts_at=now + timedelta(days=2))
    assert visited(now) == 20
    assert idle_round() == with_two <= 4  # the due episodes, the check-ins passed due


def test_a_weekly_checkin_is_still_made_on_time(cast: Cast) -> None:
    weekly(cast.dana_episode, "gad-2")
    now = timezone.now()
    assert disengagement_check_open_episodes(now=now)["checkins_changed"] == 1
    made = Administration.objects.get(when=When.WEEKLY)
    assert made.created_at == now
    # A visit an hour before the next week's check-in falls due comes back for it.
    week = now + timedelta(days=7)
    assert visited(week - timedelta(hours=1)) == 2
    assert next_check(cast.dana_episode) == week
    assert visited(week - timedelta(seconds=1)) == 0
    result = disengagement_check_open_episodes(now=week)
    assert (result["episodes"], result["checkins_changed"]) == (1, 1)
    assert Administration.objects.filter(when=When.WEEKLY, created_at=week).count() == 1


def test_disengagement_is_raised_once_the_second_occasion_passes(cast: Cast) -> None:
    now = timezone.now()
    episode = cast.dana_episode
    first = session_schedule(actor=cast.alice, episode=episode, starts_at=now - timedelta(days=7))
    administration_request(
        actor=cast.alice,
        episode=episode,
        instrument_id="phq-9",
        session=first,
        when=When.BEFORE_SESSION,
        due_at=first.starts_at,
    )
    second = session_schedule(actor=cast.alice, episode=episode, starts_at=now + timedelta(hours=2))
    assert disengagement_check_open_episodes(now=now)["raised"] == 0
    # The next session's check-ins were added; the round comes back when they fall due.
    assert next_check(episode) == second.starts_at + JUST_AFTER
    assert visited(second.starts_at) == 0
    result = disengagement_check_open_episodes(now=second.starts_at + timedelta(minutes=1))
    assert (result["episodes"], result["raised"]) == (1, 1)
    assert Alert.objects.get().kind == AlertKind.DISENGAGEMENT


def test_planning_a_session_makes_the_episode_due_and_the_next_round_adds_its_checkins(
    cast: Cast,
) -> None:
    now = timezone.now()
    assert visited(now) == 2
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=now + timedelta(hours=3)
    )
    assert next_check(cast.dana_episode) is None
    result = disengagement_check_open_episodes(now=now)
    # The default schedule: PHQ-9 and GAD-7 before, session feedback after.
    assert (result["episodes"], result["checkins_changed"]) == (1, 3)
    assert Administration.objects.filter(session=session).count() == 3
    assert next_check(cast.dana_episode) == session.starts_at + JUST_AFTER


def test_changing_the_schedule_makes_the_episode_due(cast: Cast) -> None:
    now = timezone.now()
    assert visited(now) == 2
    schedule_update(
        actor=cast.alice,
        episode=cast.dana_episode,
        before_session=[],
        after_session=[],
        weekly=["gad-2"],
        client_sees_progress=True,
    )
    assert next_check(cast.dana_episode) is None
    assert disengagement_check_open_episodes(now=now)["episodes"] == 1
    # Its weekly check-in (made by the update) is due in three days: until then, the bound.
    assert Administration.objects.filter(episode=cast.dana_episode, when=When.WEEKLY).exists()
    assert within_the_bound(next_check(cast.dana_episode), now)


def test_a_checkin_asked_for_as_an_occasion_makes_the_episode_due(cast: Cast) -> None:
    now = timezone.now()
    assert visited(now) == 2
    administration_request(actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9")
    assert next_check(cast.dana_episode) is not None  # one asked for on its own: no occasion
    administration_request(
        actor=cast.alice,
        episode=cast.dana_episode,
        instrument_id="phq-9",
        when=When.BEFORE_SESSION,
        due_at=now + timedelta(hours=1),
    )
    assert next_check(cast.dana_episode) is None
    assert visited(now) == 1
    assert next_check(cast.dana_episode) == now + timedelta(hours=1) + JUST_AFTER


def test_a_change_that_did_not_mark_the_episode_due_is_caught_within_the_bound(
    cast: Cast,
) -> None:
    """The safety net: a session written straight to the table (no ``episode_mark_due``)
    gets its check-ins at the latest LONGEST_UNVISITED after the last visit."""
    now = timezone.now()
    assert visited(now) == 2
    session = Session.objects.create(
        episode=cast.dana_episode, number=1, starts_at=now + timedelta(days=5)
    )
    assert visited(now + LONGEST_UNVISITED / 2 - timedelta(seconds=1)) == 0
    result = disengagement_check_open_episodes(now=now + LONGEST_UNVISITED)
    assert (result["episodes"], result["checkins_changed"]) == (2, 3)
    assert Administration.objects.filter(session=session).count() == 3


def test_the_home_pages_sync_brings_the_next_check_forward_never_back(cast: Cast) -> None:
    """The client's home page syncs the schedule without the disengagement check: it may
    make the round come sooner, never later (an episode due stays due)."""
    now = timezone.now()
    episode = cast.dana_episode
    assert visited(now) == 2
    later = next_check(episode)
    assert within_the_bound(later, now)
    # A weekly questionnaire put on the schedule directly: its check-in falls due in 3 days,
    # after the stored time, which stays.
    weekly(episode, "gad-2")
    assert schedule_sync(episode=episode, now=now) == 1
    assert next_check(episode) == later
    # An occasion due within the hour, written directly: the sync brings the check forward.
    Administration.objects.create(
        episode=episode,
        instrument_id="gad-2",
        instrument_version="1",
        when=When.WEEKLY,
        due_at=now + timedelta(hours=1),
    )
    schedule_sync(episode=episode, now=now)
    assert next_check(episode) == now + timedelta(hours=1) + JUST_AFTER
    # Due stays due.
    Episode.objects.filter(pk=episode.pk).update(next_check_at=None)
    schedule_sync(episode=episode, now=now)
    assert next_check(episode) is None


def test_an_episode_is_visited_once_per_round_whatever_its_next_check(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A next check that is not in the future (a bug, a clock step) cannot make the round go
    round the same episode for ever: it takes the episodes due when it began, once each."""
    now = timezone.now()
    seen: list[int] = []

    def stuck(*, episode: Episode, now: datetime) -> tuple[int, datetime]:
        seen.append(episode.pk)
        return 0, now - timedelta(hours=1)

    monkeypatch.setattr(rules, "schedule_sync_next", stuck)
    assert visited(now) == 2
    assert sorted(seen) == sorted([cast.dana_episode.pk, cast.eve_episode.pk])
    assert visited(now) == 2  # due again at the next round, as its time says


def test_a_closed_episode_is_not_visited(cast: Cast) -> None:
    from alliance.care.services import episode_close

    episode_close(actor=cast.alice, episode=cast.eve_episode)
    assert visited(timezone.now()) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL's planner is asked")
def test_the_round_finds_the_due_episodes_through_the_index(cast: Cast) -> None:
    """With sequential scans priced out (tests/test_query_plans.py), the round's question
    is answered from the partial index on open episodes' next check, not a scan of every
    episode."""
    sql, params = (
        episodes_due(timezone.now())
        .order_by(F("next_check_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "episode_open_next_check" in plan, plan
    assert "Seq Scan" not in plan, plan


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_two_rounds_at_once_share_the_due_episodes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers' rounds started together: each due episode is visited by one of them
    (its weekly check-in made once), and both do some of the work."""
    therapist = make_user("t-round@example.test", "Tess", "therapist")
    episodes = []
    for n in range(24):
        client = make_user(f"c-round{n}@example.test", f"Client {n}", "client")
        episode = episode_open(actor=therapist, client=client, therapist=therapist)
        weekly(episode, "gad-2")
        episodes.append(episode)
    slow_sync = rules.schedule_sync_next

    def slow(**kwargs: Any) -> tuple[int, datetime | None]:
        time.sleep(0.05)  # a visit takes a while, so the two rounds overlap throughout
        return slow_sync(**kwargs)

    monkeypatch.setattr(rules, "schedule_sync_next", slow)
    now = timezone.now()
    results = at_once(*[lambda: disengagement_check_open_episodes(now=now)] * 2)
    counts = [result["episodes"] for result in results]
    assert sum(counts) == len(episodes) and min(counts) > 0, counts
    made = Administration.objects.filter(when=When.WEEKLY).values_list("episode_id", flat=True)
    assert sorted(made) == sorted(episode.pk for episode in episodes)
    assert not Episode.objects.filter(next_check_at__lte=now).exists()
