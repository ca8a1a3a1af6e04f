"""Reads of the exercises feature. Callers have already checked access to the episode;
what a viewer may read of an entry is decided in ``alliance.care.access``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from alliance.care import access
from alliance.care.models import Episode
from alliance.exercises.models import Assignment, Entry
from alliance.plans.models import Goal
from alliance.plans.selectors import active_goals

if TYPE_CHECKING:
    from alliance.accounts.models import User


def assignments_of(episodes: Iterable[Episode], *, viewer: User) -> QuerySet[Assignment]:
    """Every assignment, withdrawn ones too, with entry counts: all of them, and those whose
    content ``viewer`` reads (``shared_count``: for a clinician, shared with them)."""
    readable = access.exercise_entries_readable_by(viewer, prefix="entries__")
    return (
        Assignment.objects.filter(episode__in=list(episodes))
        .select_related("episode", "goal")
        .prefetch_related("goal__versions")
        # The model declares these two attributes for readers; the stubs see them twice.
        .annotate(  # type: ignore[no-redef]
            entry_count=Count("entries"),
            shared_count=Count("entries", filter=readable),
        )
        .order_by("-assigned_at", "-pk")
    )


def live_assignments(episodes: Iterable[Episode], *, viewer: User) -> QuerySet[Assignment]:
    return assignments_of(episodes, viewer=viewer).filter(withdrawn_at__isnull=True)


def to_do(episodes: Iterable[Episode], *, viewer: User) -> list[Assignment]:
    """Live assignments of open episodes not done yet, soonest due first."""
    waiting = [
        a
        for a in live_assignments(episodes, viewer=viewer).filter(episode__status="open")
        if not a.entry_count
    ]
    return sorted(waiting, key=lambda a: (a.due_on is None, a.due_on or a.assigned_at.date()))


def shared_entries(episodes: Iterable[Episode], *, viewer: User) -> QuerySet[Entry]:
    """Entries whose content this clinician reads: those the client shared with them."""
    return (
        Entry.objects.filter(episode__in=list(episodes))
        .filter(access.exercise_entries_readable_by(viewer))
        .select_related("assignment")
        .order_by("-completed_at", "-pk")
    )


def entries_for_client(episodes: Iterable[Episode]) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(episode__in=list(episodes))
        .select_related("assignment", "episode")
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
