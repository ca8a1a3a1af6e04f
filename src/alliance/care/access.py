"""The access policy: the one place that decides who may read or write clinical data.

Rules (DESIGN.md, "Access"):
- A therapist or supervisor reaches a client only through an episode of care in
  which they treat or supervise. Closed episodes are read-only.
- A client reaches only their own record.
- A practice admin manages accounts and never opens clinical content.

No access at all is a 404, so that nobody learns whether a record exists. Read
access without the right to write is a 403. Each condition stands on its own line
so that the tests exercise every branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from alliance.accounts.models import Role
from alliance.care.models import Episode

if TYPE_CHECKING:
    from alliance.accounts.models import User


class Act(Enum):
    """What someone wants to do with a client's record."""

    READ = "read"
    # Clinical writes a treating therapist makes (sessions, closing the episode…).
    TREAT = "treat"
    # Writes a client makes to their own record (check-ins…).
    CONTRIBUTE = "contribute"
    # Acknowledging and resolving alerts: the treating therapist or the supervisor,
    # also once the episode is closed, so that no alert is left without an answer.
    ATTEND = "attend"


@dataclass(frozen=True)
class RecordAccess:
    client: User
    episodes: tuple[Episode, ...]

    @property
    def open_episodes(self) -> tuple[Episode, ...]:
        return tuple(e for e in self.episodes if e.is_open)


def episodes_reachable_by(user: User) -> QuerySet[Episode]:
    """Every episode whose record this person may at least read."""
    episodes = Episode.objects.select_related("client", "therapist", "supervisor")
    if not user.is_authenticated or not user.is_active:
        return episodes.none()
    if user.role == Role.CLIENT:
        return episodes.filter(client=user)
    if user.role in (Role.THERAPIST, Role.SUPERVISOR):
        return episodes.filter(Q(therapist=user) | Q(supervisor=user))
    return episodes.none()


def may_act_on_episode(user: User, episode: Episode, act: Act) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if act is Act.READ:
        return user.pk in (episode.client_id, episode.therapist_id, episode.supervisor_id)
    if act is Act.ATTEND:
        return user.role in (Role.THERAPIST, Role.SUPERVISOR) and user.pk in (
            episode.therapist_id,
            episode.supervisor_id,
        )
    if not episode.is_open:
        return False
    if act is Act.TREAT:
        return user.role == Role.THERAPIST and episode.therapist_id == user.pk
    if act is Act.CONTRIBUTE:
        return user.role == Role.CLIENT and episode.client_id == user.pk
    return False


def access_episode(user: User, episode_id: int, act: Act = Act.READ) -> Episode:
    """The episode, if this person may do ``act`` on it: else 404 (no access) or 403."""
    episode = episodes_reachable_by(user).filter(pk=episode_id).first()
    if episode is None:
        raise Http404
    if not may_act_on_episode(user, episode, Act.READ):
        raise Http404
    if not may_act_on_episode(user, episode, act):
        raise PermissionDenied
    return episode


T = TypeVar("T", bound=Model)


def access_in_episode(user: User, queryset: QuerySet[T], pk: int, act: Act = Act.READ) -> T:
    """Something that belongs to an episode (a response, an alert…), through that episode."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    access_episode(user, found.episode_id, act)  # type: ignore[attr-defined]
    return found


def access_client_record(user: User, client_id: int) -> RecordAccess:
    """A client's record as this person may read it, through their episodes; else 404."""
    episodes = tuple(episodes_reachable_by(user).filter(client_id=client_id))
    if not episodes:
        raise Http404
    return RecordAccess(client=episodes[0].client, episodes=episodes)


def may_manage_accounts(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMIN


def may_invite_clients(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.THERAPIST


def may_see_caseload(user: User) -> bool:
    return (
        user.is_authenticated and user.is_active and user.role in (Role.THERAPIST, Role.SUPERVISOR)
    )


def may_see_practice_reports(user: User) -> bool:
    """De-identified practice outcomes: supervisors and the practice admin."""
    return user.is_authenticated and user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)


def may_use_client_portal(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.CLIENT


def require(allowed: bool) -> None:
    """Pages that belong to a role: anyone else gets a 404, as for a missing record."""
    if not allowed:
        raise Http404


# The client's voice. Each feature keeps its access decisions in its own section below,
# built on the episode rules above (READ, TREAT, CONTRIBUTE).

# --- plans (treatment plan, goals, goal ratings) ---

# --- preferences (treatment preferences, agenda, cultural profile) ---

# --- exercises ---

# --- messaging ---

# --- safety (safety plan) ---
