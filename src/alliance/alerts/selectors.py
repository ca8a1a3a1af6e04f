from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care.models import Episode
from alliance.care.selectors import caseload_for
from alliance.measures.models import Administration, Response

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
    """The clinician's episodes ordered by need: urgent (risk), not on track, rupture,
    overdue check-ins, then the rest — each with the latest outcome score and the one
    before it. One query, whatever the size of the caseload."""
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
            need=Case(
                When(urgent=True, then=Value(0)),
                When(off_track=True, then=Value(1)),
                When(rupture=True, then=Value(2)),
                When(Q(overdue=True) | Q(disengaged=True), then=Value(3)),
                default=Value(4),
                output_field=IntegerField(),
            ),
        )
        .order_by("status", "need", "client__preferred_name")
    )
