"""schedule_sync: check-ins follow the episode's schedule, and a visit with nothing to do
writes nothing (the client's home page calls it on every visit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.measures.models import Administration, When
from alliance.measures.schedules import schedule_for, schedule_sync


def weekly(episode: Any, *instrument_ids: str) -> None:
    schedule = schedule_for(episode)
    schedule.before_session, schedule.after_session, schedule.weekly = [], [], list(instrument_ids)
    schedule.save()


def test_a_weekly_checkin_is_added_again_the_next_week(cast: Any) -> None:
    weekly(cast.dana_episode, "gad-2")
    now = timezone.now()
    assert schedule_sync(episode=cast.dana_episode, now=now) == 1
    assert schedule_sync(episode=cast.dana_episode, now=now + timedelta(days=3)) == 0
    assert schedule_sync(episode=cast.dana_episode, now=now + timedelta(days=8)) == 1
    assert Administration.objects.filter(when=When.WEEKLY, instrument_id="gad-2").count() == 2


def test_sessions_get_their_checkins_and_unscheduled_ones_are_withdrawn(cast: Any) -> None:
    episode = cast.dana_episode
    now = timezone.now()
    session = session_schedule(actor=cast.alice, episode=episode, starts_at=now + timedelta(days=5))
    # The default schedule: PHQ-9 and GAD-7 before, session feedback after.
    assert schedule_sync(episode=episode, now=now) == 3
    live = Administration.objects.filter(cancelled_at__isnull=True)
    assert sorted(live.values_list("session_id", "instrument_id", "when")) == [
        (session.pk, "gad-7", When.BEFORE_SESSION),
        (session.pk, "phq-9", When.BEFORE_SESSION),
        (session.pk, "session-feedback", When.AFTER_SESSION),
    ]
    phq9 = live.get(instrument_id="phq-9")
    assert phq9.available_from == session.starts_at - timedelta(days=3)
    assert phq9.due_at == session.starts_at

    schedule = schedule_for(episode)
    schedule.before_session = ["phq-9"]
    schedule.save()
    assert schedule_sync(episode=episode, now=now) == 1
    assert not live.filter(instrument_id="gad-7").exists()
    assert Administration.objects.filter(instrument_id="gad-7", cancelled_at=now).exists()


def test_an_answered_checkin_is_never_withdrawn(cast: Any) -> None:
    episode = cast.dana_episode
    now = timezone.now()
    session_schedule(actor=cast.alice, episode=episode, starts_at=now + timedelta(days=1))
    schedule_sync(episode=episode, now=now)
    Administration.objects.filter(instrument_id="gad-7").update(completed_at=now)
    weekly(episode)
    assert schedule_sync(episode=episode, now=now) == 2
    assert Administration.objects.get(instrument_id="gad-7").cancelled_at is None


def test_a_visit_with_nothing_to_change_reads_a_few_rows_and_writes_nothing(cast: Any) -> None:
    episode = cast.dana_episode
    now = timezone.now()
    for number in range(1, 9):
        session_schedule(
            actor=cast.alice, episode=episode, starts_at=now + timedelta(days=7 * number)
        )
    weekly(episode, "gad-2")
    schedule = schedule_for(episode)
    schedule.before_session = ["phq-9", "gad-7"]
    schedule.save()
    schedule_sync(episode=episode, now=now)
    with CaptureQueriesContext(connection) as queries:
        assert schedule_sync(episode=episode, now=now) == 0
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # The episode's row lock, the schedule, the upcoming sessions, their check-ins, the
    # next open check-in's due time (for the episode's next check): whatever the number of
    # sessions.
    assert statements.count("SELECT") == 5
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)


def test_the_workers_round_adds_weekly_checkins_without_a_visit(cast: Any) -> None:
    from alliance.alerts.rules import disengagement_check_open_episodes

    weekly(cast.dana_episode, "gad-2")
    result = disengagement_check_open_episodes()
    assert result["checkins_changed"] == 1
    assert Administration.objects.filter(
        episode=cast.dana_episode, when=When.WEEKLY, instrument_id="gad-2"
    ).exists()
    # A second round the same week adds nothing.
    assert disengagement_check_open_episodes()["checkins_changed"] == 0


def test_the_sync_reads_open_and_this_weeks_weekly_checkins_not_the_whole_history(
    cast: Any,
) -> None:
    """Answered weekly check-ins older than a week are not read (two years of them made the
    worker's round slow at 10,000 clients: benchmarks/README.md); one still open from weeks
    ago is, and is withdrawn when its questionnaire leaves the schedule."""
    episode = cast.dana_episode
    weekly(episode, "gad-2", "phq-9")
    start = timezone.now() - timedelta(days=7 * 30)
    for week in range(30):
        at = start + timedelta(days=7 * week)
        assert schedule_sync(episode=episode, now=at) == 2
        Administration.objects.filter(episode=episode, created_at__gt=at).update(created_at=at)
        Administration.objects.filter(
            episode=episode, instrument_id="gad-2", completed_at__isnull=True
        ).update(completed_at=at)  # the PHQ-9s stay unanswered
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        assert schedule_sync(episode=episode, now=now) == 2  # this week's pair
    (read,) = [q for q in queries.captured_queries if "measures_administration" in q["sql"]][:1]
    where = read["sql"].split(" WHERE ", 1)[1]
    assert "completed_at" in where and "created_at" in where
    weekly(episode, "gad-2")
    # The 31 open PHQ-9s, the oldest from 30 weeks ago, are withdrawn.
    assert schedule_sync(episode=episode, now=now) == 31
    assert not Administration.objects.filter(
        instrument_id="phq-9", cancelled_at__isnull=True
    ).exists()
    assert (
        Administration.objects.filter(instrument_id="gad-2", cancelled_at__isnull=True).count()
        == 31
    )
