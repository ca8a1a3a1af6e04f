from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care.models import Episode
from alliance.care.selectors import caseload_for
from alliance.measures.models import Administration, Response
from alliance.messaging.selectors import unread_messages_subquery

# Alliance feedback is shown apart from the outcome measures (it is not a symptom score).
FEEDBACK_INSTRUMENTS = ("session-feedback",)

if TYPE_CHECKING:
    from alliance.accounts.models import User


def alerts_for_caseload(user: User) -> QuerySet[Alert]:
    """Alerts on the episodes this clinician treats or supervises."""
    return Alert.objects.filter(
        Q(episode__therapist=user) | Q(episode__supervisor=user)
    ).select_related("client", "episode")


def urgent_alerts_for(user: User) -> QuerySet[Alert]:
    """Open risk alerts: the banner on every page of the workspace until acknowledged."""
    return alerts_for_caseload(user).filter(kind=AlertKind.RISK, status=AlertStatus.OPEN)


def caseload_by_need(user: User, now: datetime | None = None) -> QuerySet[Episode]:
    """The clinician's episodes with what decides their need (open risk, not-on-track,
    rupture and disengagement alerts, overdue check-ins) and the latest outcome score and
    the one before it. One query, whatever the size of the caseload."""
    now = now or timezone.now()

    def open_alert(kind: str) -> Exists:
        return Exists(
            Alert.objects.filter(episode=OuterRef("pk"), kind=kind, status=AlertStatus.OPEN)
        )

    outcomes = (
        Response.objects.filter(episode=OuterRef("pk"))
        .exclude(instrument_id__in=FEEDBACK_INSTRUMENTS)
        .order_by("-submitted_at")
    )
    same_instrument = Response.objects.filter(
        episode=OuterRef("pk"), instrument_id=OuterRef("latest_instrument")
    ).order_by("-submitted_at")
    overdue = Administration.objects.filter(
        episode=OuterRef("pk"),
        completed_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lt=now,
    )
    return (
        caseload_for(user)
        .annotate(
            urgent=open_alert(AlertKind.RISK),
            off_track=open_alert(AlertKind.NOT_ON_TRACK),
            rupture=open_alert(AlertKind.RUPTURE),
            disengaged=open_alert(AlertKind.DISENGAGEMENT),
            overdue=Exists(overdue),
            latest_instrument=Subquery(outcomes.values("instrument_id")[:1]),
            latest_total=Subquery(outcomes.values("total")[:1]),
            previous_total=Subquery(same_instrument.values("total")[1:2]),
            unread_messages=unread_messages_subquery(user),
        )
        .order_by("status", "client__preferred_name")
    )


def need_rank(episode: Episode) -> int:
    """Urgent (risk) first, then not on track, rupture, check-ins not completed, the rest."""
    if episode.urgent:  # type: ignore[attr-defined]
        return 0
    if episode.off_track:  # type: ignore[attr-defined]
        return 1
    if episode.rupture:  # type: ignore[attr-defined]
        return 2
    if episode.overdue or episode.disengaged:  # type: ignore[attr-defined]
        return 3
    return 4


def caseload_in_need_order(user: User, now: datetime | None = None) -> list[Episode]:
    """The caseload as a list ordered by need; sorted here so that the database computes
    each per-episode flag once (an ORDER BY on a CASE would repeat every subquery)."""
    episodes = list(caseload_by_need(user, now))
    return sorted(episodes, key=lambda e: (e.status, need_rank(e)))
