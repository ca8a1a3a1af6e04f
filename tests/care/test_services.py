from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.care.models import Episode, Session
from alliance.care.services import episode_close, episode_open, session_schedule
from tests.conftest import Cast


def test_sessions_are_numbered_in_order(cast: Cast) -> None:
    start = timezone.now()
    numbers = [
        session_schedule(
            actor=cast.alice, episode=cast.dana_episode, starts_at=start + timedelta(weeks=n)
        ).number
        for n in range(3)
    ]
    assert numbers == [1, 2, 3]
    # Numbering is per episode.
    other = session_schedule(actor=cast.alice, episode=cast.eve_episode, starts_at=start)
    assert other.number == 1


def test_session_before_the_last_one_is_refused(cast: Cast) -> None:
    start = timezone.now()
    session_schedule(actor=cast.alice, episode=cast.dana_episode, starts_at=start)
    with pytest.raises(ValidationError, match="after session 1"):
        session_schedule(
            actor=cast.alice, episode=cast.dana_episode, starts_at=start - timedelta(days=1)
        )
    assert Session.objects.count() == 1


def test_closed_episode_takes_no_sessions(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        session_schedule(actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now())
    assert not Session.objects.exists()


def test_closing_twice_is_refused(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        episode_close(actor=cast.alice, episode=cast.dana_episode)
    episode = Episode.objects.get(pk=cast.dana_episode.pk)
    assert episode.status == "closed" and episode.closed_at is not None


def test_episode_needs_a_client_and_a_therapist(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        episode_open(actor=cast.alice, client=cast.alice, therapist=cast.alice)
    with pytest.raises(ValidationError):
        episode_open(actor=cast.alice, client=cast.dana, therapist=cast.sam)
    with pytest.raises(ValidationError):
        episode_open(
            actor=cast.alice, client=cast.dana, therapist=cast.alice, supervisor=cast.charlie
        )


def test_each_write_is_audited_with_the_client(cast: Cast) -> None:
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now()
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id, event.target_id) == (
        "session_scheduled",
        cast.alice.pk,
        cast.dana.pk,
        session.pk,
    )
