"""Reads that cross models; each starts from what the access policy lets a person reach."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from alliance.care.access import episodes_reachable_by
from alliance.care.models import Episode, Session

if TYPE_CHECKING:
    from alliance.accounts.models import User


def current_or_latest(episodes: Sequence[Episode]) -> Episode | None:
    """The client's current course of care; once it is closed, the most recent one.

    ``episodes`` come newest first, as ``episodes_reachable_by`` orders them."""
    return next((e for e in episodes if e.is_open), episodes[0] if episodes else None)


def caseload_for(user: User) -> QuerySet[Episode]:
    """The episodes a clinician treats or supervises, with their session summary.

    One query whatever the caseload size. The session figures are correlated subqueries
    rather than a join and GROUP BY: a join would multiply every other per-episode
    lookup by the number of sessions.
    """
    now = timezone.now()
    sessions = Session.objects.filter(episode=OuterRef("pk"))
    held = (
        sessions.filter(starts_at__lte=now)
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    upcoming = sessions.filter(starts_at__gt=now).order_by("starts_at", "number")
    return (
        episodes_reachable_by(user)
        .annotate(
            sessions_held=Coalesce(Subquery(held), 0),
            next_session_at=Subquery(upcoming.values("starts_at")[:1]),
            # The caseload links the next session to its preparation page.
            next_session_id=Subquery(upcoming.values("pk")[:1]),
        )
        .order_by("status", "client__preferred_name", "-opened_at")
    )


def clients_sharing_a_name(user: User, client_ids: Iterable[int]) -> frozenset[int]:
    """Of ``client_ids``, the clients whose name another client this person reaches
    shares, as ``name_key`` sees it (case, spacing, zero-width characters and full-width
    letters aside). Only clients the person reaches count: a namesake outside their
    caseload is not theirs to know of. One query, returning the namesakes only."""
    asked = set(client_ids)
    reachable = episodes_reachable_by(user).order_by()
    keys = reachable.filter(client_id__in=asked).values("client__name_key")
    by_key: dict[str, set[int]] = defaultdict(set)
    for client_id, key in (
        reachable.filter(client__name_key__in=keys)
        .values_list("client_id", "client__name_key")
        .distinct()
    ):
        by_key[key].add(client_id)
    return frozenset(client for ids in by_key.values() if len(ids) > 1 for client in ids & asked)


def sessions_of(episodes: tuple[Episode, ...] | list[Episode]) -> QuerySet[Session]:
    return Session.objects.filter(episode__in=episodes).order_by("episode_id", "number")
