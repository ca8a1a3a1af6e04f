"""Reading the notes of a session; the caller has reached the session or the client
through ``alliance.care.access``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from alliance.care import access
from alliance.notes.models import PrivateNote, SessionSummary, SummaryReply

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.care.models import Session


def private_note_of(session: Session) -> PrivateNote | None:
    return (
        PrivateNote.objects.filter(session=session)
        .select_related("author")
        .prefetch_related("addenda__author")
        .first()
    )


def summary_of(session: Session) -> SessionSummary | None:
    return (
        SessionSummary.objects.filter(session=session)
        .select_related("author", "reply__answered_by")
        .prefetch_related("addenda__author", "goals__versions", "assignments")
        .first()
    )


def signed_summaries_of_client(client: User) -> QuerySet[SessionSummary]:
    """The client's own signed summaries, newest session first (never a draft)."""
    return (
        SessionSummary.objects.filter(access.own_signed_summaries_filter(client))
        .select_related("session", "author")
        .order_by("-session__starts_at", "-pk")
    )


def new_summaries_for(client: User) -> int:
    """How many signed summaries (or new addenda) the client has not opened yet."""
    return summaries_count_for(client)[1]


def summaries_count_for(client: User) -> tuple[int, int]:
    """(signed summaries, those not opened since signed or since a new addendum): one query."""
    counts = SessionSummary.objects.filter(access.own_signed_summaries_filter(client)).aggregate(
        total=Count("pk"), new=Count("pk", filter=Q(client_read_at__isnull=True))
    )
    return counts["total"], counts["new"]


def reply_to(summary: SessionSummary | None) -> SummaryReply | None:
    """The client's reply to this summary, if they replied."""
    if summary is None or summary.pk is None:
        return None
    return SummaryReply.objects.filter(summary=summary).select_related("answered_by").first()


def summary_signals_of(episode_ids: list[int]) -> list[SummaryReply]:
    """The client's "partly" and "no" replies to signed summaries, oldest session first."""
    return list(
        SummaryReply.objects.filter(
            summary__session__episode_id__in=episode_ids,
            summary__signed_at__isnull=False,
            recognised__in=["partly", "no"],
        )
        .select_related("summary__session")
        .order_by("summary__session__starts_at", "pk")
    )
