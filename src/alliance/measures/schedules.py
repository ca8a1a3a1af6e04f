"""Check-in schedules: which questionnaires an episode asks for before and after each
session and weekly, turned into administrations the client sees as due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care.models import Episode, Session
from alliance.care.services import session_schedule
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Administration, CheckinSchedule, When
from alliance.measures.services import tally_add

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
    context: AuditContext | None = None,
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
        context=context,
    )
    schedule_sync(episode=episode, actor=actor)
    return schedule


def _add(
    *,
    episode: Episode,
    session: Session | None,
    instrument_id: str,
    when: str,
    available_from: datetime | None,
    due_at: datetime | None,
    actor: User | None,
) -> None:
    instrument = get_instrument(instrument_id)
    Administration.objects.create(
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

    The client's home page calls this on every visit, and the worker's periodic round for
    every open episode (so weekly check-ins, their reminders and the disengagement check
    do not wait for the client to come): the check-ins it could touch are read once, and
    it writes only what differs, so a call with nothing to change costs four reads and no
    write.
    """
    now = now or timezone.now()
    if not episode.is_open:
        return 0
    # The home page and the worker's round may sync the same episode at once: the row
    # lock (PostgreSQL; SQLite's write transactions are serialised already) makes the
    # second wait and then see what the first added, instead of adding it again.
    Episode.objects.select_for_update().filter(pk=episode.pk).values_list("pk").first()
    schedule = schedule_for(episode)
    upcoming = list(episode.sessions.filter(starts_at__gt=now))
    # Of the weekly check-ins, only those still open (withdrawn if taken off the schedule)
    # or from the last seven days (this week's) matter: not the episode's whole history.
    live = list(
        Administration.objects.filter(episode=episode, cancelled_at__isnull=True)
        .filter(
            Q(session__in=upcoming)
            | (
                Q(when=When.WEEKLY)
                & (Q(completed_at__isnull=True) | Q(created_at__gt=now - timedelta(days=7)))
            )
        )
        .only("session", "instrument_id", "when", "completed_at", "created_at")
    )
    changed = 0
    have = {(a.session_id, a.instrument_id, a.when) for a in live}
    for session in upcoming:
        for when, wanted, available_from, due_at in (
            (
                When.BEFORE_SESSION,
                schedule.before_session,
                session.starts_at - BEFORE_OPENS,
                session.starts_at,
            ),
            (
                When.AFTER_SESSION,
                schedule.after_session,
                session.starts_at,
                session.starts_at + AFTER_DUE,
            ),
        ):
            for instrument_id in wanted:
                if (session.pk, instrument_id, when) in have:
                    continue
                _add(
                    episode=episode,
                    session=session,
                    instrument_id=instrument_id,
                    when=when,
                    available_from=available_from,
                    due_at=due_at,
                    actor=actor,
                )
                changed += 1
    this_week = {
        a.instrument_id
        for a in live
        if a.when == When.WEEKLY and a.created_at > now - timedelta(days=7)
    }
    for instrument_id in schedule.weekly:
        if instrument_id in this_week:
            continue
        _add(
            episode=episode,
            session=None,
            instrument_id=instrument_id,
            when=When.WEEKLY,
            available_from=None,
            due_at=now + WEEKLY_DUE,
            actor=actor,
        )
        changed += 1
    wanted_by_when: dict[str, list[str]] = {
        When.BEFORE_SESSION: schedule.before_session,
        When.AFTER_SESSION: schedule.after_session,
        When.WEEKLY: schedule.weekly,
    }
    stale = [
        a.pk
        for a in live
        if a.completed_at is None
        and a.when in wanted_by_when
        and a.instrument_id not in wanted_by_when[a.when]
    ]
    if stale:
        # A withdrawn check-in no longer counts as one that passed unanswered. Read under
        # the rows' locks: ``checkins_expire`` may have counted one since ``live`` was read
        # (it skips rows locked here, and this waits for rows it holds).
        counted = sum(
            expired_at is not None
            for expired_at in Administration.objects.select_for_update()
            .filter(pk__in=stale)
            .values_list("expired_at", flat=True)
        )
        changed += Administration.objects.filter(pk__in=stale).update(cancelled_at=now)
        if counted:
            tally_add(episode_id=episode.pk, expired=-counted)
    return changed


@transaction.atomic
def session_plan(
    *, actor: User, episode: Episode, starts_at: datetime, context: AuditContext | None = None
) -> Session:
    """Schedule a session and the check-ins that go with it, in one transaction."""
    session = session_schedule(actor=actor, episode=episode, starts_at=starts_at, context=context)
    schedule_sync(episode=session.episode, actor=actor)
    return session
