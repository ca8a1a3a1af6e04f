"""Reads: the latest preferences, the agenda, and the cultural profile as a viewer may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from alliance.care import access
from alliance.care.models import Episode, Session
from alliance.care.selectors import current_or_latest
from alliance.preferences.items import CULTURAL_PARTS, ITEMS, Promise
from alliance.preferences.models import (
    AgendaItem,
    AgendaStatus,
    CulturalProfile,
    TreatmentPreferences,
)

if TYPE_CHECKING:
    from alliance.accounts.models import User


def next_session(episode: Episode, now: datetime | None = None) -> Session | None:
    """The episode's next session still to start, if one is booked."""
    now = now or timezone.now()
    return episode.sessions.filter(starts_at__gt=now).order_by("starts_at").first()


def latest_preferences(episode: Episode) -> TreatmentPreferences | None:
    return TreatmentPreferences.objects.filter(episode=episode).order_by("-version").first()


def preferences_for(viewer: User, episode: Episode) -> TreatmentPreferences | None:
    """The client's current preferences, if this viewer may read them.

    Only the latest version counts: when the client stops sharing, an older version they
    had shared does not stand in for it.
    """
    latest = latest_preferences(episode)
    if latest is None:
        return None
    if not access.may_read_preferences(viewer, episode, sharing=latest.sharing):
        return None
    return latest


@dataclass(frozen=True)
class PreferenceLine:
    topic: Promise
    answer: Promise


def preference_lines(preferences: TreatmentPreferences | None) -> list[PreferenceLine]:
    """The answered items in the order they are asked, each as words."""
    if preferences is None:
        return []
    lines = []
    for item in ITEMS:
        label = item.answer_label(preferences.answers.get(item.code, ""))
        if label is not None:
            lines.append(PreferenceLine(item.topic, label))
    return lines


def open_agenda(episode: Episode) -> QuerySet[AgendaItem]:
    """Items still waiting to be talked about, oldest first (also from past sessions)."""
    return (
        AgendaItem.objects.filter(episode=episode, status=AgendaStatus.OPEN)
        .select_related("session")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class AgendaRow:
    item: AgendaItem
    # The session it is for: the one it was added for, else the next one booked now.
    session: Session | None
    # Added for a session that has already started and not marked talked about yet.
    carried_over: bool


def agenda_for_next_session(
    episode: Episode, now: datetime | None = None
) -> tuple[Session | None, list[AgendaRow]]:
    """The next session booked (if any) and the open agenda, each item with its session."""
    now = now or timezone.now()
    upcoming = next_session(episode, now)
    rows = []
    for item in open_agenda(episode):
        if item.session is None:
            rows.append(AgendaRow(item, upcoming, False))
        else:
            rows.append(AgendaRow(item, item.session, item.session.starts_at <= now))
    return upcoming, rows


def recently_closed_agenda(episode: Episode, now: datetime | None = None) -> QuerySet[AgendaItem]:
    """Items talked about or taken back in the last two weeks, newest first."""
    now = now or timezone.now()
    return (
        AgendaItem.objects.filter(episode=episode)
        .filter(~Q(status=AgendaStatus.OPEN), closed_at__gte=now - timedelta(days=14))
        .select_related("session")
        .order_by("-closed_at", "-pk")
    )


@dataclass(frozen=True)
class CulturalLine:
    code: str
    label: Promise
    text: str
    sharing: access.Sharing

    @property
    def shared(self) -> bool:
        """Shared with the therapist (and perhaps the supervisor too)."""
        return self.sharing.with_therapist


def cultural_profile_for(viewer: User, episode: Episode) -> list[CulturalLine]:
    """The written parts of the profile this viewer may read; nothing else leaves here."""
    profile = CulturalProfile.objects.filter(episode=episode).first()
    if profile is None:
        return []
    lines = []
    for part in CULTURAL_PARTS:
        text = profile.text_of(part.code)
        sharing = profile.sharing_of(part.code)
        if not text:
            continue
        if not access.may_read_cultural_part(viewer, episode, sharing=sharing):
            continue
        lines.append(CulturalLine(part.code, part.label, text, sharing))
    return lines


def episode_for_client_pages(client: User) -> Episode | None:
    """The client's open episode, else their latest one (shown read-only)."""
    return current_or_latest(list(access.episodes_reachable_by(client)))
