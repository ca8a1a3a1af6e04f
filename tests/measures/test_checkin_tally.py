"""Check-in tallies (issue 16): kept by the writes that change them, so that the practice
report's completion rate, which sums them, says what the administrations say after each
kind of write: a request, an answer, a check-in passing its due time, a late answer, a
withdrawal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from alliance.alerts.reports import checkin_completion
from alliance.alerts.rules import disengagement_check_open_episodes
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, CheckinTally
from alliance.measures.schedules import schedule_for, schedule_sync
from alliance.measures.services import (
    administration_request,
    checkins_expire,
    tally_drift,
    tally_rebuild,
)
from tests.conftest import Cast

PHQ9_MILD = [1] * 9
PHQ9_MILD[8] = 0


def _counted(now: datetime) -> tuple[int, int]:
    """(completed, fell due) straight from the administrations, as the report counted
    before tallies: completed, or past due and not withdrawn."""
    live = Administration.objects.filter(cancelled_at__isnull=True)
    return (
        live.filter(completed_at__isnull=False).count(),
        live.filter(Q(completed_at__isnull=False) | Q(due_at__lt=now)).count(),
    )


def _agrees(now: datetime | None = None) -> tuple[int, int]:
    now = now or timezone.now()
    assert tally_drift() == []
    report = checkin_completion(now)
    assert (report["completed"], report["due"]) == _counted(now)
    return report["completed"], report["due"]


def _tally(episode: Any) -> tuple[int, int]:
    tally = CheckinTally.objects.filter(episode=episode).first()
    return (tally.completed, tally.expired) if tally else (0, 0)


def test_the_tally_follows_each_kind_of_write(cast: Cast) -> None:
    now = timezone.now()
    late = administration_request(
        actor=cast.alice,
        episode=cast.eve_episode,
        instrument_id="phq-9",
        due_at=now - timedelta(days=2),
    )
    answered = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    # Asked for: nothing completed; Eve's passed its due time (counted from the row).
    assert _agrees() == (0, 1)
    assert _tally(cast.eve_episode) == (0, 0)

    response_submit(actor=cast.dana, administration=answered, answers=PHQ9_MILD)
    assert _agrees() == (1, 2)
    assert _tally(cast.dana_episode) == (1, 0)

    # The worker's round counts Eve's into her tally, once.
    assert checkins_expire() == 1
    assert checkins_expire() == 0
    assert _tally(cast.eve_episode) == (0, 1)
    assert _agrees() == (1, 2)

    # A late answer moves it from passed-unanswered to completed.
    response_submit(actor=cast.eve, administration=late, answers=PHQ9_MILD)
    assert _tally(cast.eve_episode) == (1, 0)
    assert _agrees() == (2, 2)


def test_a_withdrawn_checkin_leaves_the_tally(cast: Cast) -> None:
    episode = cast.dana_episode
    schedule = schedule_for(episode)
    schedule.before_session, schedule.after_session, schedule.weekly = [], [], ["gad-7"]
    schedule.save()
    past = timezone.now() - timedelta(days=10)
    assert schedule_sync(episode=episode, now=past) == 1  # due three days after ``past``
    assert checkins_expire() == 1
    assert _tally(episode) == (0, 1)
    assert _agrees() == (0, 1)
    # Taken off the schedule: withdrawn, and no longer a check-in that fell due.
    schedule.weekly = []
    schedule.save()
    assert schedule_sync(episode=episode) == 1
    assert _tally(episode) == (0, 0)
    assert _agrees() == (0, 0)


def test_the_worker_round_counts_what_passed_due(cast: Cast) -> None:
    administration_request(
        actor=cast.alice,
        episode=cast.dana_episode,
        instrument_id="gad-7",
        due_at=timezone.now() - timedelta(hours=1),
    )
    assert disengagement_check_open_episodes()["checkins_expired"] == 1
    assert _tally(cast.dana_episode) == (0, 1)
    assert _agrees() == (0, 1)


def test_rebuild_gives_what_the_writes_kept(cast: Cast) -> None:
    first = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(actor=cast.dana, administration=first, answers=PHQ9_MILD)
    administration_request(
        actor=cast.alice,
        episode=cast.eve_episode,
        instrument_id="phq-9",
        due_at=timezone.now() - timedelta(days=1),
    )
    checkins_expire()
    kept = sorted(CheckinTally.objects.values_list("episode_id", "completed", "expired"))
    CheckinTally.objects.update(completed=7)
    assert tally_drift() == sorted([cast.dana_episode.pk, cast.eve_episode.pk])
    assert tally_rebuild() == 2
    assert sorted(CheckinTally.objects.values_list("episode_id", "completed", "expired")) == kept
    assert tally_drift() == []
