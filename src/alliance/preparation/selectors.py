"""What a clinician reads before a session, in a fixed number of queries.

The window runs from the start of the last session before this one (the episode's
opening when there is none) to the start of this one; for a session still to come that
is "until now". The caller has reached the session through
``alliance.care.access.access_session_preparation``; what the client chose to keep to
themselves is filtered here through the policy's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from alliance.alerts.models import Alert, AlertStatus
from alliance.alerts.selectors import risk_answers_standing
from alliance.care import access
from alliance.care.models import Session
from alliance.exercises.models import Entry
from alliance.exercises.selectors import shared_entries
from alliance.measures.models import Response
from alliance.measures.selectors import scored_responses_of
from alliance.messaging.models import Message
from alliance.messaging.selectors import unread_counts_for
from alliance.notes.models import SessionSummary
from alliance.plans.models import GoalRating
from alliance.preferences.models import AgendaItem, AgendaStatus

if TYPE_CHECKING:
    from alliance.accounts.models import User


@dataclass(frozen=True)
class Preparation:
    session: Session
    previous: Session | None
    since: datetime
    until: datetime
    # Every scored response of the episode before ``until``, oldest first: the intake and
    # the session-feedback baseline come from the whole course, the rows from the window.
    responses: list[Response]
    # When a risk answer that still stands was given (``risk_answers_standing``), if one does.
    risk_at: datetime | None
    # Alerts not resolved yet, whenever raised: an open alert is for this session too.
    alerts: list[Alert]
    # What the client added: still open, or added (or meant for this session) in the window.
    agenda: list[AgendaItem]
    # Entries done in the window whose content the viewer reads (as the client shared them).
    entries: list[Entry]
    # Goal ratings given in the window, each with ``previous_score`` (None for a first).
    ratings: list[GoalRating]
    # The viewer's unread messages; None where they are not in the thread (a supervisor).
    unread: int | None
    # Messages sent in the window (a count: the thread has the words).
    messages: int
    # The last signed summary of a session before this one, with the client's reply to
    # it (``summary.reply``) when they replied: the page shows it first.
    last_summary: SessionSummary | None = None


def previous_session(session: Session, now: datetime | None = None) -> Session | None:
    """The last session of the episode held before this one: one booked in between but
    still to come has nothing to report yet."""
    now = now or timezone.now()
    return (
        Session.objects.filter(episode_id=session.episode_id, starts_at__lt=session.starts_at)
        .filter(starts_at__lte=now)
        .order_by("-starts_at", "-number")
        .first()
    )


def session_preparation(*, viewer: User, session: Session) -> Preparation:
    """Everything the preparation page shows; the same number of queries however many
    check-ins, alerts, entries or ratings there are."""
    episode = session.episode
    previous = previous_session(session)
    since = previous.starts_at if previous is not None else episode.opened_at
    until = session.starts_at
    responses = [r for r in scored_responses_of((episode,)) if r.submitted_at < until]
    agenda: list[AgendaItem] = []
    if access.may_read_agenda(viewer, episode):
        agenda = list(
            AgendaItem.objects.filter(episode=episode, created_by_id=episode.client_id)
            .filter(
                Q(status=AgendaStatus.OPEN)
                | Q(session=session)
                | Q(created_at__gte=since, created_at__lt=until)
            )
            .order_by("created_at", "pk")
        )
    earlier = GoalRating.objects.filter(
        goal_id=OuterRef("goal_id"), rated_at__lt=OuterRef("rated_at")
    ).order_by("-rated_at", "-pk")
    participant = access.is_thread_participant(viewer, episode)
    return Preparation(
        session=session,
        previous=previous,
        since=since,
        until=until,
        responses=responses,
        risk_at=risk_answers_standing([episode]).get(episode.pk),
        alerts=list(
            Alert.objects.filter(episode=episode)
            .exclude(status=AlertStatus.RESOLVED)
            .order_by("created_at", "pk")
        ),
        agenda=agenda,
        entries=list(
            shared_entries([episode], viewer=viewer)
            .filter(completed_at__gte=since, completed_at__lt=until)
            .order_by("completed_at", "pk")
        ),
        ratings=list(
            GoalRating.objects.filter(goal__episode=episode)
            .filter(rated_at__gte=since, rated_at__lt=until)
            .select_related("goal")
            .prefetch_related("goal__versions")
            .annotate(previous_score=Subquery(earlier.values("score")[:1]))
            .order_by("rated_at", "pk")
        ),
        unread=unread_counts_for(viewer).get(episode.pk, 0) if participant else None,
        messages=Message.objects.filter(
            episode=episode, sent_at__gte=since, sent_at__lt=until
        ).count(),
        last_summary=last_signed_summary_before(session),
    )


def last_signed_summary_before(session: Session) -> SessionSummary | None:
    """The last signed summary of an earlier session of the episode, with its reply."""
    return (
        SessionSummary.objects.filter(
            session__episode_id=session.episode_id,
            session__starts_at__lt=session.starts_at,
            signed_at__isnull=False,
        )
        .select_related("session", "reply__answered_by")
        .order_by("-session__starts_at", "-session__number")
        .first()
    )
