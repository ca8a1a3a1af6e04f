"""Reads of threads, unread counts and office hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dates import WEEKDAYS

from alliance.localtime import zone_label
from alliance.messaging.hours import WeeklyHours, in_zone, is_within
from alliance.messaging.models import DEFAULT_HOURS, Message, MessageKind, OfficeHours, ReadMarker

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.care.models import Episode


def thread_messages(episode: Episode) -> QuerySet[Message]:
    """Oldest first, so the newest sits at the bottom, next to the compose area."""
    return (
        Message.objects.filter(episode=episode).select_related("sender").order_by("sent_at", "pk")
    )


def _unread(user: User) -> QuerySet[Message]:
    """Messages written to ``user`` that they have not opened yet (automatic replies and
    their own messages never count)."""
    read_up_to = ReadMarker.objects.filter(episode=OuterRef("episode"), user=user).values(
        "last_read_message_id"
    )[:1]
    return (
        Message.objects.filter(kind=MessageKind.PERSON)
        .exclude(sender=user)
        .filter(pk__gt=Coalesce(Subquery(read_up_to), 0))
    )


def unread_counts_for(user: User) -> dict[int, int]:
    """Unread messages by episode id for a participant (client or treating therapist),
    in one query. Supervisors are not participants: an empty dict."""
    rows = (
        _unread(user)
        .filter(Q(episode__client=user) | Q(episode__therapist=user))
        .order_by()
        .values("episode_id")
        .annotate(n=Count("pk"))
    )
    return {row["episode_id"]: row["n"] for row in rows}


def unread_messages_subquery(user: User) -> Any:
    """For annotating a queryset of Episodes (e.g. the caseload) with ``user``'s unread
    count, without another query: ``.annotate(unread_messages=unread_messages_subquery(u))``.
    0 on episodes where ``user`` is not a participant (e.g. those they supervise)."""
    counted = (
        _unread(user)
        .filter(Q(episode__client=user) | Q(episode__therapist=user))
        .filter(episode=OuterRef("pk"))
        .order_by()
        .values("episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def threads_for_clinician(user: User) -> list[Episode]:
    """The threads of the episodes a clinician treats or supervises, unread first, then the
    most recent conversation. Each episode carries ``unread_messages`` (None where the
    clinician only supervises), ``last_message_at`` and ``message_count``."""
    from alliance.care import access
    from alliance.care.access import episodes_reachable_by

    messages = Message.objects.filter(episode=OuterRef("pk")).order_by()
    episodes = list(
        episodes_reachable_by(user).annotate(
            unread_messages=unread_messages_subquery(user),
            last_message_at=Subquery(
                messages.values("episode").annotate(last=Max("sent_at")).values("last")
            ),
            message_count=Coalesce(
                Subquery(messages.values("episode").annotate(n=Count("pk")).values("n")), 0
            ),
        )
    )
    for episode in episodes:
        if not access.is_treating_therapist(user, episode):
            episode.unread_messages = None
    oldest = timezone.make_aware(datetime.min.replace(year=1900))

    def order(episode: Any) -> tuple[int, bool, float]:
        return (
            0 if episode.unread_messages else 1,
            not episode.is_open,
            -(episode.last_message_at or oldest).timestamp(),
        )

    return sorted(episodes, key=order)


def thread_summary(episode: Episode) -> dict[str, Any]:
    """How many messages, and when the last was sent (for the record panel)."""
    found = Message.objects.filter(episode=episode).aggregate(
        count=Count("pk"), last=Max("sent_at")
    )
    return {"count": found["count"], "last_message_at": found["last"]}


@dataclass(frozen=True)
class TherapistHours:
    hours: WeeklyHours
    auto_reply: str  # empty: the standard reply
    is_set: bool

    def is_open(self, moment: datetime | None = None) -> bool:
        return is_within(self.hours, moment or timezone.now(), practice_zone())


def practice_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def office_hours_of(therapist: User) -> TherapistHours:
    stored = OfficeHours.objects.filter(therapist=therapist).first()
    if stored is None:
        return TherapistHours(DEFAULT_HOURS, "", is_set=False)
    return TherapistHours(stored.weekly, stored.auto_reply, is_set=True)


def describe_hours(hours: WeeklyHours) -> str:
    """E.g. "Monday, Tuesday, Thursday, 09:00-17:00" (en dash), in the active language."""
    days = ", ".join(str(WEEKDAYS[day]) for day in sorted(hours.days))
    return f"{days}, {hours.start:%H:%M}\u2013{hours.end:%H:%M}"


def describe_hours_for_reader(hours: WeeklyHours) -> tuple[str, str]:
    """The hours on the reader's own clock (the current time zone) and that zone's plain
    name: a client in New York is not left to work out what "09:00-17:00 (Madrid)" means
    for them. Where this week's hours do not convert to one start and end time, they are
    given in the practice's zone, named."""
    practice = practice_zone()
    reader = timezone.get_current_timezone()
    today = timezone.localdate(timezone=practice)
    shown = in_zone(hours, practice, reader, today - timedelta(days=today.weekday()))
    if shown is None or not isinstance(reader, ZoneInfo):
        return describe_hours(hours), zone_label(practice.key)
    return describe_hours(shown), zone_label(reader.key)
