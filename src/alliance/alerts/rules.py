"""When a response or a missed check-in raises an alert: the not-on-track, rupture and
disengagement rules applied to stored data. The rules themselves are pure functions in
``alliance.instruments.trajectories.rules`` and ``alliance.instruments.alert_rules``."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from alliance import instruments as engine
from alliance.alerts.findings import (
    Finding,
    disengagement_findings,
    rupture_findings,
    track_findings,
)
from alliance.alerts.models import Alert, AlertKind, AlertStatus, PracticeTrajectory
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care.models import Episode, EpisodeStatus
from alliance.care.services import episode_next_check_set
from alliance.instruments.alert_rules import rupture_cutoff, rupture_status
from alliance.instruments.trajectories.model import FittedModel
from alliance.instruments.trajectories.rules import track_status
from alliance.measures.instruments import get_instrument
from alliance.measures.models import OCCASION_KINDS, Administration, Response
from alliance.measures.schedules import schedule_sync_next
from alliance.measures.services import checkins_expire
from alliance.webhooks.models import WebhookEvent
from alliance.webhooks.services import webhook_events_record

if TYPE_CHECKING:
    from alliance.instruments.trajectories.model import TrajectoryModel


def _raise(
    episode: Episode,
    kind: str,
    details: dict[str, Any],
    response: Response | None,
    findings: list[Finding],
) -> Alert | None:
    # One open alert of a kind per episode: a second would only repeat the first.
    if Alert.objects.filter(episode=episode, kind=kind, status=AlertStatus.OPEN).exists():
        return None
    alert = Alert.objects.create(
        episode=episode,
        client_id=episode.client_id,
        kind=kind,
        response=response,
        details=details,
        findings=findings,
        notification="none",
        # As of the response that raised it (history brought in keeps its own dates).
        created_at=response.submitted_at if response is not None else timezone.now(),
    )
    audit_record(
        actor=None,
        action=Action.ALERT_RAISED,
        client_id=episode.client_id,
        target_type="alert",
        target_id=alert.pk,
    )
    webhook_events_record(WebhookEvent.ALERT_RAISED, [alert])
    return alert


def practice_model_for(instrument_id: str) -> TrajectoryModel | None:
    """The practice's latest fitted curves for this instrument, if it has any."""
    fit = (
        PracticeTrajectory.objects.filter(instrument_id=instrument_id)
        .order_by("-fitted_at")
        .first()
    )
    return FittedModel.from_dict(fit.parameters) if fit is not None else None


def alerts_for_response(response: Response) -> list[Alert]:
    """Not-on-track and rupture alerts for a new response, in the caller's transaction."""
    instrument = get_instrument(response.instrument_id, response.instrument_version)
    if response.total is None:
        return []
    earlier = [
        (float(total or 0), submitted_at)
        for total, submitted_at in Response.objects.filter(
            episode_id=response.episode_id,
            instrument_id=response.instrument_id,
            submitted_at__lt=response.submitted_at,
            total__isnull=False,
        )
        .order_by("submitted_at")
        .values_list("total", "submitted_at")
    ]
    raised: list[Alert | None] = []
    if rupture_cutoff(instrument) is not None:
        status = rupture_status(instrument, [total for total, _ in earlier], response.total)
        if status is not None:
            raised.append(
                _raise(
                    response.episode,
                    AlertKind.RUPTURE,
                    {"instrument_id": instrument.id, "latest": status.latest},
                    response,
                    rupture_findings(status),
                )
            )
    elif trackable(instrument) and earlier:
        intake, intake_at = earlier[0]
        k = len(earlier) + 1  # the intake is session 1, one check-in per session
        weeks = (response.submitted_at - intake_at).total_seconds() / (7 * 24 * 3600)
        model = practice_model_for(instrument.id)
        status_ = track_status(
            instrument, intake, k, response.total, weeks_since_intake=weeks, model=model
        )
        if status_.level == "red":
            raised.append(
                _raise(
                    response.episode,
                    AlertKind.NOT_ON_TRACK,
                    {
                        "instrument_id": instrument.id,
                        "session": k,
                        "intake": intake,
                        "latest": response.total,
                        "expected": round(status_.expected, 1),
                    },
                    response,
                    track_findings(status_),
                )
            )
    return [alert for alert in raised if alert is not None]


def trackable(instrument: engine.Instrument) -> bool:
    """A symptom measure with a reliable-change threshold and a clinical cut-off: the
    instruments the not-on-track rule (and the expected course on a chart) applies to."""
    return (
        instrument.direction == "higher_is_worse"
        and instrument.reliable_change is not None
        and instrument.clinical_cutoff is not None
    )


def disengagement_check(episode: Episode, now: datetime | None = None) -> Alert | None:
    """Two due check-ins in a row not completed raise a disengagement alert.

    A "check-in" is one occasion — the questionnaires before one session, or one weekly
    check-in — and counts as completed when any of its questionnaires was answered. The
    alert records its two occasions; occasions an earlier alert of the episode reported,
    even one since acknowledged or resolved, raise nothing again: the therapist has been
    told of them, and two further missed ones make a new alert.
    """
    now = now or timezone.now()
    if not episode.is_open:
        return None
    past = (
        Administration.objects.filter(
            episode=episode,
            cancelled_at__isnull=True,
            due_at__lt=now,
            when__in=OCCASION_KINDS,
        )
        .order_by("-due_at")
        .values_list("session_id", "due_at", "completed_at")
    )
    occasions: dict[str, bool] = {}
    first_due: dict[str, datetime] = {}
    for session_id, due_at, completed_at in past:
        assert due_at is not None  # due_at__lt leaves out check-ins with no due time
        key = f"session:{session_id}" if session_id else f"week:{due_at.date().isoformat()}"
        if key not in occasions and len(occasions) == 2:
            break
        occasions[key] = occasions.get(key, False) or completed_at is not None
        first_due[key] = due_at
    if len(occasions) < 2 or any(occasions.values()):
        return None
    if _reported_before(episode, first_due):
        return None
    return _raise(
        episode,
        AlertKind.DISENGAGEMENT,
        {"missed": 2, "checked_at": now.isoformat(), "occasions": sorted(occasions)},
        None,
        disengagement_findings(2),
    )


def _reported_before(episode: Episode, missed: dict[str, datetime]) -> bool:
    """Whether an earlier disengagement alert of the episode, in any status, reported one
    of these missed occasions (keyed as ``disengagement_check`` keys them, with the
    earliest due time of each). Alerts raised before occasions were recorded (and the
    scale practice's, made in bulk) count as reporting every occasion due before them."""
    earlier = Alert.objects.filter(episode=episode, kind=AlertKind.DISENGAGEMENT).values_list(
        "details", "created_at"
    )
    for details, created_at in earlier:
        reported = (details or {}).get("occasions")
        if reported is None:
            if any(due_at < created_at for due_at in missed.values()):
                return True
        elif set(reported) & set(missed):
            return True
    return False


# However far off its next check, an open episode is visited at least this often. The
# round trusts every write that can bring the check forward to mark the episode due
# (``care.services.episode_mark_due``); a path that does not (a new one that forgot, rows
# changed by hand or restored from elsewhere) is then corrected within hours, not never.
# Six hours costs little: at 10,000 clients (8,572 open episodes) some 30 visits a minute,
# a fraction of a second of each 60-second round.
LONGEST_UNVISITED = timedelta(hours=6)


def _bound(now: datetime) -> datetime:
    """The latest next check: between half of ``LONGEST_UNVISITED`` and all of it from now,
    at random, so that after a round that visited every episode (the first after an
    upgrade, a restore) their next visits spread over hours instead of all falling due in
    one round again."""
    return now + LONGEST_UNVISITED * random.uniform(0.5, 1.0)


def episodes_due(now: datetime) -> QuerySet[Episode]:
    """The open episodes whose next check has come (NULL: due now), through the partial
    index ``episode_open_next_check``."""
    return Episode.objects.filter(status=EpisodeStatus.OPEN).filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    )


def disengagement_check_open_episodes(
    progress: Callable[[int], None] | None = None,
    every: int = 500,
    now: datetime | None = None,
) -> dict[str, int]:
    """The periodic round over the open episodes of care that are due (for the worker and
    the ``check-alerts`` command), each in its own transaction: first its check-ins are
    brought in line with its schedule (weekly check-ins fall due without the client having
    to visit), then disengagement is checked, then the episode's next check is stored.
    Returns the number visited (``episodes``), alerts raised, check-ins changed and
    check-ins counted as passed unanswered. ``progress`` is called with the number of due
    episodes gone through after every ``every``.

    An episode's next check is the soonest its check-ins change by themselves (the next
    weekly check-in, an occasion's due time passing; ``schedules.schedule_sync_next``), at
    most ``LONGEST_UNVISITED`` away. So a round where nothing is due costs a few queries,
    however many open episodes there are (benchmarks/README.md, "The worker's round").

    Only the episodes due when the round starts are taken, each claimed with ``SKIP
    LOCKED`` and only while still due: two workers running the round at once share the
    episodes, each visited by one of them, and an episode visited in this round (its next
    check stored after ``now``) is not taken again. One locked by someone else (a client's
    home page syncing it, an answer being stored) is left for the next round.
    """
    now = now or timezone.now()
    due = list(
        episodes_due(now)
        .order_by(F("next_check_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
    )
    visited = raised = changed = 0
    for done, episode_id in enumerate(due, start=1):
        outcome = _visit(episode_id, now)
        if outcome is not None:
            visited += 1
            changed += outcome[0]
            raised += outcome[1]
        if progress is not None and done % every == 0:
            progress(done)
    # Then the check-ins whose due time passed unanswered go into the report's tallies.
    expired = checkins_expire(now=now)
    return {
        "episodes": visited,
        "raised": raised,
        "checkins_changed": changed,
        "checkins_expired": expired,
    }


def _visit(episode_id: int, now: datetime) -> tuple[int, bool] | None:
    """One due episode, claimed and visited in one transaction: (check-ins changed, alert
    raised), or None if another worker holds it or has visited it since the round began."""
    with transaction.atomic():
        episode = (
            episodes_due(now).select_for_update(skip_locked=True).filter(pk=episode_id).first()
        )
        if episode is None:
            return None
        changed, next_change = schedule_sync_next(episode=episode, now=now)
        raised = disengagement_check(episode, now) is not None
        latest = _bound(now)
        episode_next_check_set(
            episode_id=episode.pk, at=latest if next_change is None else min(next_change, latest)
        )
    return changed, raised
