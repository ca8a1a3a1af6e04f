from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care.access import episodes_reachable_by
from alliance.care.models import Episode, EpisodeStatus
from alliance.care.selectors import caseload_for, sharing_a_name
from alliance.measures.models import Administration, Response
from alliance.messaging.selectors import unread_messages_subquery

# Alliance feedback is shown apart from the outcome measures (it is not a symptom score).
FEEDBACK_INSTRUMENTS = ("session-feedback",)

if TYPE_CHECKING:
    from alliance.accounts.models import User


def alerts_for_caseload(user: User) -> QuerySet[Alert]:
    """Alerts on the episodes this clinician treats or supervises."""
    return Alert.objects.filter(
        Q(episode__therapist=user) | Q(episode__supervisor=user)
    ).select_related("client", "episode")


def urgent_alerts_for(user: User) -> QuerySet[Alert]:
    """Open risk alerts: the banner on every page of the workspace until acknowledged."""
    return alerts_for_caseload(user).filter(kind=AlertKind.RISK, status=AlertStatus.OPEN)


def urgent_client_count(user: User) -> int:
    """How many clients have an open risk alert: the banner speaks of clients, and one
    client's two risk answers are still one person to call."""
    return urgent_alerts_for(user).order_by().values("client_id").distinct().count()


def _need_flags(now: datetime) -> dict[str, Exists]:
    """What decides a client's place in the caseload: open alerts by kind, and check-ins
    past their due time and not completed."""

    def open_alert(kind: str) -> Exists:
        return Exists(
            Alert.objects.filter(episode=OuterRef("pk"), kind=kind, status=AlertStatus.OPEN)
        )

    overdue = Administration.objects.filter(
        episode=OuterRef("pk"),
        completed_at__isnull=True,
        cancelled_at__isnull=True,
        due_at__lt=now,
    )
    return {
        "urgent": open_alert(AlertKind.RISK),
        "off_track": open_alert(AlertKind.NOT_ON_TRACK),
        "rupture": open_alert(AlertKind.RUPTURE),
        "disengaged": open_alert(AlertKind.DISENGAGEMENT),
        "overdue": Exists(overdue),
    }


def caseload_rows(user: User) -> QuerySet[Episode]:
    """The clinician's episodes with what a caseload row shows besides their need: the
    session figures, the latest outcome score and the one before it, unread messages.
    One query, whatever the number of episodes."""
    outcomes = (
        Response.objects.filter(episode=OuterRef("pk"))
        .exclude(instrument_id__in=FEEDBACK_INSTRUMENTS)
        .order_by("-submitted_at")
    )
    same_instrument = Response.objects.filter(
        episode=OuterRef("pk"), instrument_id=OuterRef("latest_instrument")
    ).order_by("-submitted_at")
    return (
        caseload_for(user)
        .annotate(
            latest_instrument=Subquery(outcomes.values("instrument_id")[:1]),
            latest_total=Subquery(outcomes.values("total")[:1]),
            previous_total=Subquery(same_instrument.values("total")[1:2]),
            unread_messages=unread_messages_subquery(user),
        )
        .order_by()
    )


class Need(IntEnum):
    """A client's place in the caseload, most in need first."""

    URGENT = 0
    NOT_ON_TRACK = 1
    RUPTURE = 2
    CHECKIN_NOT_COMPLETED = 3
    NOTHING_FLAGGED = 4


def need_rank(episode: Any) -> Need:
    """Urgent (risk) first, then not on track, rupture, check-ins not completed, the rest.
    ``episode`` is anything with the flags of ``_need_flags`` as attributes."""
    if episode.urgent:
        return Need.URGENT
    if episode.off_track:
        return Need.NOT_ON_TRACK
    if episode.rupture:
        return Need.RUPTURE
    if episode.overdue or episode.disengaged:
        return Need.CHECKIN_NOT_COMPLETED
    return Need.NOTHING_FLAGGED


class _Placed(NamedTuple):
    pk: int
    status: str
    therapist_id: int
    supervisor_id: int | None
    name: str
    client_id: int
    urgent: bool
    off_track: bool
    rupture: bool
    disengaged: bool
    overdue: bool


_FLAGS = _Placed._fields[6:]


@dataclass(frozen=True)
class CaseloadPart:
    """One page of a part of the caseload (clients treated, or supervised): the episodes
    on it, annotated as by ``caseload_rows`` and with their need flags (``urgent``,
    ``off_track``, ``rupture``, ``disengaged``, ``overdue``), and the Django ``Page``
    that places them in the whole part (``number``, ``has_next``, ``paginator.count``…)."""

    episodes: list[Episode]
    page: Page[_Placed]


@dataclass(frozen=True)
class Caseload:
    """A clinician's caseload, most in need first; ``needs`` counts the open episodes of
    the whole caseload (not just the pages shown) by ``Need``."""

    treating: CaseloadPart
    supervising: CaseloadPart
    needs: dict[Need, int]
    # Clients in this caseload whose name another client in it shares (``name_key``): the
    # rows say so, with each one's address, so that nobody opens the wrong record.
    same_name: frozenset[int] = frozenset()


# 25 rows: the clients most in need fill the first screen or two; more rows only slow
# the page (benchmarks/README.md, bench_dashboard.py).
CASELOAD_PAGE_SIZE = 25


def caseload_page(
    user: User,
    *,
    treating_page: int | str = 1,
    supervising_page: int | str = 1,
    per_page: int = CASELOAD_PAGE_SIZE,
    now: datetime | None = None,
) -> Caseload:
    """The caseload in pages, in two queries whatever its size: one small query places
    every episode by need (flags only, no scores or session figures), then the rows'
    figures are computed only for the episodes on the pages shown.

    A page number that is not a number or is out of range gives the nearest page (Django's
    ``Paginator.get_page``), so a stale link never fails.
    """
    now = now or timezone.now()
    placed = [
        _Placed(*row)
        for row in episodes_reachable_by(user)
        .annotate(**_need_flags(now))
        .order_by()
        .values_list(
            "pk",
            "status",
            "therapist_id",
            "supervisor_id",
            "client__preferred_name",
            "client_id",
            *_FLAGS,
        )
    ]
    # Open episodes first, each part most in need first, then by name.
    placed.sort(
        key=lambda p: (p.status != EpisodeStatus.OPEN, need_rank(p), p.name.casefold(), p.pk)
    )
    needs = Counter(need_rank(p) for p in placed if p.status == EpisodeStatus.OPEN)
    treating = Paginator([p for p in placed if p.therapist_id == user.pk], per_page)
    supervising = Paginator([p for p in placed if p.supervisor_id == user.pk], per_page)
    pages = (treating.get_page(treating_page), supervising.get_page(supervising_page))
    shown = {p.pk for page in pages for p in page.object_list}
    episodes = caseload_rows(user).filter(pk__in=shown).in_bulk() if shown else {}
    flags = _FLAGS

    def row(placed: _Placed) -> Episode:
        episode = episodes[placed.pk]
        for name in flags:
            setattr(episode, name, getattr(placed, name))
        return episode

    treating_part, supervising_part = (
        CaseloadPart(episodes=[row(p) for p in page.object_list], page=page) for page in pages
    )
    return Caseload(
        treating=treating_part,
        supervising=supervising_part,
        needs={need: needs.get(need, 0) for need in Need},
        same_name=sharing_a_name((p.client_id, p.name) for p in placed),
    )
