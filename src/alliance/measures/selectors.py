from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from alliance.care.models import Episode
from alliance.measures.models import Administration, CheckinSchedule, Response


def due_administrations(
    episodes: tuple[Episode, ...] | list[Episode], now: datetime | None = None
) -> QuerySet[Administration]:
    """Check-ins the client can fill in now: open, not withdrawn, not answered yet."""
    now = now or timezone.now()
    return (
        Administration.objects.filter(
            episode__in=episodes,
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            episode__status="open",
        )
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        .order_by("due_at", "created_at")
    )


def live_administrations(
    episodes: tuple[Episode, ...] | list[Episode],
) -> QuerySet[Administration]:
    """Every check-in not withdrawn: due, upcoming, overdue or completed."""
    return Administration.objects.filter(episode__in=episodes, cancelled_at__isnull=True)


def responses_of(episodes: tuple[Episode, ...] | list[Episode]) -> QuerySet[Response]:
    return Response.objects.filter(episode__in=episodes).order_by("-submitted_at")


def scored_responses_of(episodes: tuple[Episode, ...] | list[Episode]) -> list[Response]:
    """Every scored response of ``episodes``, oldest first, with its session: one query."""
    return list(
        Response.objects.filter(episode__in=episodes, total__isnull=False)
        .select_related("administration__session")
        .order_by("submitted_at", "pk")
    )


def waiting_administrations_of(
    episodes: tuple[Episode, ...] | list[Episode],
) -> list[Administration]:
    """Not withdrawn and not answered: due, overdue or not open yet, soonest first."""
    return list(live_administrations(episodes).filter(completed_at__isnull=True).order_by("due_at"))


def schedules_of(episodes: tuple[Episode, ...] | list[Episode]) -> dict[int, CheckinSchedule]:
    """The stored schedules by episode id. Read, not created: an episode whose schedule was
    never changed has none here and shows the defaults."""
    return {s.episode_id: s for s in CheckinSchedule.objects.filter(episode__in=episodes)}
