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
from alliance.care.services import episode_mark_due, episode_next_check_set, session_schedule
from alliance.measures.instruments import get_instrument
from alliance.measures.models import OCCASION_KINDS, Administration, CheckinSchedule, When
from alliance.measures.services import tally_add

if TYPE_CHECKING:
    from alliance.accounts.models import User

# A pre-session check-in opens this long before the session; feedback stays open after it.
BEFORE_OPENS = timedelta(days=3)
AFTER_DUE = timedelta(days=3)
WEEKLY_DUE = timedelta(days=3)
WEEKLY_EVERY = timedelta(days=7)
# A check-in counts as missed once its due time has passed; the round looks a moment after.
JUST_AFTER = timedelta(seconds=1)


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
    # The sync below adds and withdraws check-ins now; the round's next visit also runs the
    # disengagement check against the new schedule and stores the episode's next check,
    # which may be later than before (a weekly questionnaire taken off it).
    episode_mark_due(episode_id=episode.pk)
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
    now: datetime,
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
        # As of the sync's time, which the next sync compares it with ("this week's").
        created_at=now,
    )


@transaction.atomic
def schedule_sync(
    *, episode: Episode, actor: User | None = None, now: datetime | None = None
) -> int:
    """Bring the episode's open check-ins in line with its schedule; returns how many changed.

    Sessions still to come get their pre- and post-session questionnaires; questionnaires
    taken off the schedule are withdrawn (never deleted) unless already answered. Weekly
    check-ins are added once a week.

    The client's home page calls this on every visit, and the worker's periodic round (through
    ``schedule_sync_next``) for every open episode that is due, so weekly check-ins, their
    reminders and the disengagement check do not wait for the client to come: the check-ins
    it could touch are read once, and it writes only what differs, so a call with nothing to
    change costs five reads and no write.

    If the check-ins it leaves fall due sooner than the episode's next check, it brings the
    check forward; never later, as the disengagement check, which this does not run, may be
    owed the visit (the round, which runs both, stores the later time).
    """
    now = now or timezone.now()
    if not episode.is_open:
        return 0
    stored = _lock(episode)
    changed, next_change = _sync(episode=episode, actor=actor, now=now)
    if next_change is not None and stored is not None and next_change < stored:
        episode_next_check_set(episode_id=episode.pk, at=next_change)
    return changed


@transaction.atomic
def schedule_sync_next(
    *, episode: Episode, now: datetime, actor: User | None = None
) -> tuple[int, datetime | None]:
    """The worker's round's sync: as ``schedule_sync``, returning how many check-ins changed
    and when the episode's check-ins next change with nobody touching them (None: not by
    themselves). The round stores that time once it has run the disengagement check too."""
    if not episode.is_open:
        return 0, None
    _lock(episode)
    return _sync(episode=episode, actor=actor, now=now)


def _lock(episode: Episode) -> datetime | None:
    """Lock the episode's row; returns its stored next check (None: due)."""
    # The home page and the worker's round may sync the same episode at once: the row
    # lock (PostgreSQL; SQLite's write transactions are serialised already) makes the
    # second wait and then see what the first added, instead of adding it again.
    row = (
        Episode.objects.select_for_update()
        .filter(pk=episode.pk)
        .values_list("pk", "next_check_at")
        .get()
    )
    return row[1]


def _sync(*, episode: Episode, actor: User | None, now: datetime) -> tuple[int, datetime | None]:
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
                & (Q(completed_at__isnull=True) | Q(created_at__gt=now - WEEKLY_EVERY))
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
                    now=now,
                )
                changed += 1
    # Each weekly questionnaire's latest check-in of the last seven days.
    this_week: dict[str, datetime] = {}
    for a in live:
        if a.when == When.WEEKLY and a.created_at > now - WEEKLY_EVERY:
            latest = this_week.get(a.instrument_id, a.created_at)
            this_week[a.instrument_id] = max(a.created_at, latest)
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
            now=now,
        )
        this_week[instrument_id] = now
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
    # When the check-ins next change by themselves: the next weekly check-in falls due to be
    # made, or an occasion's due time passes. (Every upcoming session has its check-ins now;
    # a session planned later marks the episode due: ``care.services.session_schedule``.)
    soonest = [this_week[i] + WEEKLY_EVERY for i in schedule.weekly if i in this_week]
    passes = _next_occasion_passes(episode, now)
    if passes is not None:
        soonest.append(passes)
    return changed, min(soonest, default=None)


def _next_occasion_passes(episode: Episode, now: datetime) -> datetime | None:
    """The first moment after the next due time of an open check-in the disengagement check
    counts (``OCCASION_KINDS``): when a missed occasion can make the client disengaged. It
    counts one as missed once its due time has passed (``due_at < now``), hence "after".
    Read through the open check-ins' index, whoever made them (the schedule, a therapist's
    request)."""
    due_at = (
        Administration.objects.filter(
            episode=episode,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            when__in=OCCASION_KINDS,
            due_at__gte=now,
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return None if due_at is None else due_at + JUST_AFTER


@transaction.atomic
def session_plan(
    *, actor: User, episode: Episode, starts_at: datetime, context: AuditContext | None = None
) -> Session:
    """Schedule a session and the check-ins that go with it, in one transaction."""
    session = session_schedule(actor=actor, episode=episode, starts_at=starts_at, context=context)
    schedule_sync(episode=session.episode, actor=actor)
    return session
