"""Reads of the exercises feature. Callers have already checked access to the episode;
what a viewer may read of an entry is decided in ``alliance.care.access``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from alliance.care.models import Episode
from alliance.exercises.models import Assignment, Entry
from alliance.plans.models import Goal
from alliance.plans.selectors import active_goals


def assignments_of(episodes: Iterable[Episode]) -> QuerySet[Assignment]:
    """Every assignment, withdrawn ones too, with entry counts (shared and private)."""
    return (
        Assignment.objects.filter(episode__in=list(episodes))
        .select_related("episode", "goal")
        .prefetch_related("goal__versions")
        # The model declares these two attributes for readers; the stubs see them twice.
        .annotate(  # type: ignore[no-redef]
            entry_count=Count("entries"),
            shared_count=Count("entries", filter=Q(entries__shared=True)),
        )
        .order_by("-assigned_at", "-pk")
    )


def live_assignments(episodes: Iterable[Episode]) -> QuerySet[Assignment]:
    return assignments_of(episodes).filter(withdrawn_at__isnull=True)


def to_do(episodes: Iterable[Episode]) -> list[Assignment]:
    """Live assignments of open episodes not done yet, soonest due first."""
    waiting = [
        a for a in live_assignments(episodes).filter(episode__status="open") if not a.entry_count
    ]
    return sorted(waiting, key=lambda a: (a.due_on is None, a.due_on or a.assigned_at.date()))


def shared_entries(episodes: Iterable[Episode]) -> QuerySet[Entry]:
    """Entries the client chose to share: the only ones whose content a clinician reads."""
    return (
        Entry.objects.filter(episode__in=list(episodes), shared=True)
        .select_related("assignment")
        .order_by("-completed_at", "-pk")
    )


def entries_for_client(episodes: Iterable[Episode]) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(episode__in=list(episodes))
        .select_related("assignment")
        .order_by("-completed_at", "-pk")
    )


def goals_to_link(episode: Episode) -> list[Goal]:
    """The episode's agreed goals, which an assignment may work towards."""
    return list(active_goals(episode))


@dataclass(frozen=True)
class Completion:
    total: int
    done: int


def completion(assignments: Iterable[Assignment]) -> Completion:
    live = [a for a in assignments if not a.is_withdrawn]
    return Completion(total=len(live), done=sum(1 for a in live if a.entry_count > 0))
