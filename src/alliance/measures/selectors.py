from __future__ import annotations

from django.db.models import QuerySet

from alliance.care.models import Episode
from alliance.measures.models import Administration, Response


def due_administrations(episodes: tuple[Episode, ...] | list[Episode]) -> QuerySet[Administration]:
    return Administration.objects.filter(
        episode__in=episodes, completed_at__isnull=True, episode__status="open"
    ).order_by("due_at", "created_at")


def responses_of(episodes: tuple[Episode, ...] | list[Episode]) -> QuerySet[Response]:
    return Response.objects.filter(episode__in=episodes).order_by("-submitted_at")
