"""Check-in schedules: which questionnaires an episode asks for before and after each
session and weekly, turned into administrations the client sees as due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care.models import Episode, Session
from alliance.care.services import session_schedule
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Administration, CheckinSchedule, When

if TYPE_CHECKING:
    from alliance.accounts.models import User

# A pre-session check-in opens this long before the session; feedback stays open after it.
BEFORE_OPENS = timedelta(days=3)
AFTER_DUE = timedelta(days=3)
WEEKLY_DUE = timedelta(days=3)


def schedule_for(episode: Episode) -> CheckinSchedule:
    schedule, _created = CheckinSchedule.objects.get_or_create(episode=episode)
    return schedule


def _check_ids(ids: list[str]) -> list[str]:
    checked = []
    for instrument_id in ids:
        try:
            checked.append(get_instrument(instrument_id).id)
        except engine.UnknownInstrument:
            raise ValidationError(_("Choose questionnaires from the list.")) from None
    return sorted(set(checked), key=checked.index)


@transaction.atomic
def schedule_update(
    *,
    actor: User,
    episode: Episode,
    before_session: list[str],
    after_session: list[str],
    weekly: list[str],
    client_sees_progress: bool,
    request: HttpRequest | None = None,
) -> CheckinSchedule:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("The schedule of a closed episode of care cannot change."))
    schedule = schedule_for(episode)
    schedule.before_session = _check_ids(before_session)
    schedule.after_session = _check_ids(after_session)
    schedule.weekly = _check_ids(weekly)
    schedule.updated_at = timezone.now()
    schedule.updated_by = actor
    schedule.save()
    if episode.client_sees_progress != client_sees_progress:
        episode.client_sees_progress = client_sees_progress
        episode.save(update_fields=["client_sees_progress"])
    audit_record(
        actor=actor,
        action=Action.SCHEDULE_CHANGED,
        client_id=episode.client_id,
        target_type="episode",
        target_id=episode.pk,
        request=request,
    )
    schedule_sync(episode=episode, actor=actor)
    return schedule


def _ensure(
    *,
    episode: Episode,
    session: Session | None,
    instrument_id: str,
    when: str,
    available_from: datetime | None,
    due_at: datetime | None,
    actor: User | None,
) -> Administration | None:
    live = Administration.objects.filter(
        episode=episode,
        session=session,
        instrument_id=instrument_id,
        when=when,
        cancelled_at__isnull=True,
    )
    if live.exists():
        return None
    instrument = get_instrument(instrument_id)
    return Administration.objects.create(
        episode=episode,
        session=session,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        requested_by=actor,
        when=when,
        available_from=available_from,
        due_at=due_at,
    )


@transaction.atomic
def schedule_sync(
    *, episode: Episode, actor: User | None = None, now: datetime | None = None
) -> int:
    """Bring the episode's open check-ins in line with its schedule; returns how many changed.

    Sessions still to come get their pre- and post-session questionnaires; questionnaires
    taken off the schedule are withdrawn (never deleted) unless already answered. Weekly
    check-ins are added once a week.
    """
    now = now or timezone.now()
    if not episode.is_open:
        return 0
    schedule = schedule_for(episode)
    changed = 0
    upcoming = list(episode.sessions.filter(starts_at__gt=now))
    for session in upcoming:
        for instrument_id in schedule.before_session:
            changed += bool(
                _ensure(
                    episode=episode,
                    session=session,
                    instrument_id=instrument_id,
                    when=When.BEFORE_SESSION,
                    available_from=session.starts_at - BEFORE_OPENS,
                    due_at=session.starts_at,
                    actor=actor,
                )
            )
        for instrument_id in schedule.after_session:
            changed += bool(
                _ensure(
                    episode=episode,
                    session=session,
                    instrument_id=instrument_id,
                    when=When.AFTER_SESSION,
                    available_from=session.starts_at,
                    due_at=session.starts_at + AFTER_DUE,
                    actor=actor,
                )
            )
    stale = Administration.objects.filter(
        episode=episode,
        completed_at__isnull=True,
        cancelled_at__isnull=True,
        session__in=upcoming,
    )
    for when, wanted in (
        (When.BEFORE_SESSION, schedule.before_session),
        (When.AFTER_SESSION, schedule.after_session),
    ):
        changed += (
            stale.filter(when=when).exclude(instrument_id__in=wanted).update(cancelled_at=now)
        )
    for instrument_id in schedule.weekly:
        recent = Administration.objects.filter(
            episode=episode,
            instrument_id=instrument_id,
            when=When.WEEKLY,
            cancelled_at__isnull=True,
            created_at__gt=now - timedelta(days=7),
        )
        if not recent.exists():
            changed += bool(
                _ensure(
                    episode=episode,
                    session=None,
                    instrument_id=instrument_id,
                    when=When.WEEKLY,
                    available_from=None,
                    due_at=now + WEEKLY_DUE,
                    actor=actor,
                )
            )
    changed += (
        Administration.objects.filter(
            episode=episode,
            when=When.WEEKLY,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
        )
        .exclude(instrument_id__in=schedule.weekly)
        .update(cancelled_at=now)
    )
    return changed


@transaction.atomic
def session_plan(
    *, actor: User, episode: Episode, starts_at: datetime, request: HttpRequest | None = None
) -> Session:
    """Schedule a session and the check-ins that go with it, in one transaction."""
    session = session_schedule(actor=actor, episode=episode, starts_at=starts_at, request=request)
    schedule_sync(episode=session.episode, actor=actor)
    return session
