from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal, overload

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from alliance import instruments as engine
from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.care import access
from alliance.care.access import episodes_reachable_by
from alliance.care.models import Episode, EpisodeStatus
from alliance.care.selectors import caseload_for, clients_sharing_a_name
from alliance.measures.instruments import get_instrument
from alliance.measures.models import (
    Administration,
    CheckinSchedule,
    Response,
    default_after_session,
    default_before_session,
)
from alliance.messaging.hours import current_window, next_opening
from alliance.messaging.selectors import office_hours_of, practice_zone, unread_messages_subquery

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


def risk_answers_standing(episodes: Sequence[Episode]) -> dict[int, datetime]:
    """The episodes in which a risk answer still stands, with when it was last given: a risk
    alert not yet resolved (open, or acknowledged while the follow-up goes on), or a
    resolved one raised by the latest response to its questionnaire, so that the client's
    newest answers still say it. While one stands, the progress pages do not reassure on
    the scores alone (README, "Clinical decisions"). One query."""
    if not episodes:
        return {}
    latest_of_instrument = (
        Response.objects.filter(
            episode_id=OuterRef("episode_id"), instrument_id=OuterRef("response__instrument_id")
        )
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    alerts = (
        Alert.objects.filter(episode__in=episodes, kind=AlertKind.RISK)
        .annotate(latest_response=Subquery(latest_of_instrument))
        .order_by("created_at")
        .values_list("episode_id", "status", "created_at", "response_id", "latest_response")
    )
    standing: dict[int, datetime] = {}
    for episode_id, status, created_at, response_id, latest_response in alerts:
        if status != AlertStatus.RESOLVED or (
            response_id is not None and response_id == latest_response
        ):
            standing[episode_id] = created_at
    return standing


@dataclass(frozen=True)
class FollowUp:
    """When the treating therapist is at work, for the page a client sees after a risk
    answer: working now until ``until``, or next from ``next_open``; neither when they
    have no office days."""

    working_now: bool
    until: datetime | None
    next_open: datetime | None


def risk_follow_up(episode: Episode, now: datetime) -> FollowUp:
    """From the therapist's office hours (the practice's weekdays 09:00-17:00 until they
    set their own), in the practice's time zone."""
    office = office_hours_of(episode.therapist)
    zone = practice_zone()
    window = current_window(office.hours, now, zone)
    if window is not None:
        return FollowUp(working_now=True, until=window[1], next_open=None)
    return FollowUp(working_now=False, until=None, next_open=next_opening(office.hours, now, zone))


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
    """The clinician's episodes with what a caseload row shows besides their need and
    scores: the session figures, unread messages and the check-in schedule (which
    measures to show). One query, whatever the number of episodes."""
    return (
        caseload_for(user)
        .select_related("checkin_schedule")
        .annotate(unread_messages=unread_messages_subquery(user))
        .order_by()
    )


ChangeWord = Literal["better", "worse", "same"]
RELIABLE_CATEGORIES = frozenset({"recovered", "reliably improved", "reliably deteriorated"})


@dataclass(frozen=True)
class MeasureScore:
    """The latest score of one outcome measure in an episode and how it has moved, as
    facts for the caseload to put into words. Better and worse follow the instrument's
    definition (``direction``), reliable change its threshold (Jacobson & Truax, the
    engine's ``reliable_change``)."""

    instrument_id: str
    latest: float
    intake: float | None  # None: the latest is the first score
    previous: float | None  # the score before the latest
    since_intake: ChangeWord | None
    reliably: bool  # the change since intake is reliable
    recovered: bool  # reliable improvement out of the clinical range
    worse_since_last: bool  # reliably worse than the score before it

    @property
    def change(self) -> float:
        return self.latest - (self.intake if self.intake is not None else self.latest)


def scheduled_outcome_measures(episode: Episode) -> list[str]:
    """The outcome measures an episode's schedule asks for, in its order (the defaults
    where it was never changed); session feedback and other alliance measures left out."""
    try:
        schedule: CheckinSchedule | None = episode.checkin_schedule
    except CheckinSchedule.DoesNotExist:
        schedule = None
    lists = (
        (schedule.before_session, schedule.weekly, schedule.after_session)
        if schedule is not None
        else (default_before_session(), [], default_after_session())
    )
    measures: list[str] = []
    for instrument_id in (i for ids in lists for i in ids or []):
        if instrument_id in measures or instrument_id in FEEDBACK_INSTRUMENTS:
            continue
        instrument = _instrument_or_none(instrument_id)
        if instrument is None or instrument.metadata.get("rupture_cutoff"):
            continue  # unknown here, or an alliance measure rather than an outcome
        measures.append(instrument_id)
    return measures


def measure_scores(episodes: Iterable[Episode]) -> dict[int, list[MeasureScore]]:
    """For each episode, its scheduled outcome measures that have a score: the latest, the
    one before it and the intake (the first), read in one query for all the episodes.

    Three correlated subqueries per instrument asked for (two, usually), each a seek on the
    (episode, instrument, submitted_at) index: a window over every response of the page's
    episodes reads two years of weekly scores to keep three of them, and was three times
    slower at the dashboard benchmark's scale."""
    wanted = {episode.pk: scheduled_outcome_measures(episode) for episode in episodes}
    instruments = sorted({i for ids in wanted.values() for i in ids})
    if not instruments:
        return {episode_id: [] for episode_id in wanted}
    annotations: dict[str, Subquery] = {}
    for n, instrument_id in enumerate(instruments):
        scored = Response.objects.filter(
            episode=OuterRef("pk"), instrument_id=instrument_id, total__isnull=False
        )
        newest = scored.order_by("-submitted_at", "-pk").values("total")
        annotations[f"latest_{n}"] = Subquery(newest[:1])
        annotations[f"previous_{n}"] = Subquery(newest[1:2])
        annotations[f"intake_{n}"] = Subquery(
            scored.order_by("submitted_at", "pk").values("total")[:1]
        )
    rows = {
        row["pk"]: row
        for row in Episode.objects.filter(pk__in=list(wanted))
        .annotate(**annotations)
        .order_by()
        .values("pk", *annotations)
    }
    found: dict[int, list[MeasureScore]] = {}
    for episode_id, measures in wanted.items():
        row = rows.get(episode_id, {})
        found[episode_id] = []
        for instrument_id in measures:
            n = instruments.index(instrument_id)
            latest, previous = row.get(f"latest_{n}"), row.get(f"previous_{n}")
            if latest is None:
                continue
            # With one score there is no intake to compare with: the latest is the intake.
            intake = row.get(f"intake_{n}") if previous is not None else None
            found[episode_id].append(_measure_score(instrument_id, latest, previous, intake))
    return found


def _measure_score(
    instrument_id: str, latest: float, previous: float | None, intake: float | None
) -> MeasureScore:
    instrument = _instrument_or_none(instrument_id)
    since = _category(instrument, intake, latest)
    word: ChangeWord | None = None
    if intake is not None and instrument is not None:
        higher_is_worse = instrument.direction == "higher_is_worse"
        if latest == intake:
            word = "same"
        else:
            word = "worse" if (latest > intake) == higher_is_worse else "better"
    return MeasureScore(
        instrument_id=instrument_id,
        latest=latest,
        intake=intake,
        previous=previous,
        since_intake=word,
        reliably=since in RELIABLE_CATEGORIES,
        recovered=since == "recovered",
        worse_since_last=_category(instrument, previous, latest) == "reliably deteriorated",
    )


def _category(
    instrument: engine.Instrument | None, before: float | None, after: float
) -> str | None:
    """The engine's reliable-change category, None where it cannot say."""
    if instrument is None or before is None:
        return None
    try:
        return engine.reliable_change(instrument, before, after).category
    except engine.ReliableChangeUnavailable:
        return None


def _instrument_or_none(instrument_id: str) -> engine.Instrument | None:
    try:
        return get_instrument(instrument_id)
    except engine.UnknownInstrument:
        return None


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


def need_rank_expression(now: datetime) -> Case:
    """``need_rank`` in SQL, for the database to place a whole caseload by need."""
    flags = _need_flags(now)
    return Case(
        When(flags["urgent"], then=Value(Need.URGENT.value)),
        When(flags["off_track"], then=Value(Need.NOT_ON_TRACK.value)),
        When(flags["rupture"], then=Value(Need.RUPTURE.value)),
        When(flags["overdue"], then=Value(Need.CHECKIN_NOT_COMPLETED.value)),
        When(flags["disengaged"], then=Value(Need.CHECKIN_NOT_COMPLETED.value)),
        default=Value(Need.NOTHING_FLAGGED.value),
        output_field=IntegerField(),
    )


_OPEN_FIRST = Case(
    When(status=EpisodeStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
)


class _Ranked(Sequence[int]):
    """A part of the caseload as a ``Paginator`` takes it: its length counted beforehand,
    and a slice read from the database in need order (open episodes first, then most in
    need, then by name), the ids of that page only."""

    def __init__(self, episodes: QuerySet[Episode], count: int, now: datetime) -> None:
        self._ordered = (
            episodes.annotate(open_first=_OPEN_FIRST, need=need_rank_expression(now))
            .order_by("open_first", "need", "client__name_key", "client__preferred_name", "pk")
            .values_list("pk", flat=True)
        )
        self._count = count

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...
    @overload
    def __getitem__(self, index: slice) -> list[int]: ...
    def __getitem__(self, index: int | slice) -> int | list[int]:
        if isinstance(index, slice):
            start, stop, _ = index.indices(self._count)
            return list(self._ordered[start:stop]) if stop > start else []
        return self._ordered[index]


@dataclass(frozen=True)
class CaseloadPart:
    """One page of a part of the caseload (clients treated, or supervised): the episodes
    on it, annotated as by ``caseload_rows`` and with their need flags (``urgent``,
    ``off_track``, ``rupture``, ``disengaged``, ``overdue``), their ``measures`` (a
    ``MeasureScore`` for each scheduled outcome measure with a score), ``worse_since_last``
    (those reliably worse than the score before) and ``risk_since`` (when a risk answer that
    still stands was given, else None), and the Django ``Page`` of their ids that places
    them in the whole part (``number``, ``has_next``, ``paginator.count``…)."""

    episodes: list[Episode]
    page: Page[int]


@dataclass(frozen=True)
class Caseload:
    """A clinician's caseload, most in need first; ``needs`` counts the open episodes of
    the whole caseload (not just the pages shown) by ``Need``."""

    treating: CaseloadPart
    supervising: CaseloadPart
    needs: dict[Need, int]
    # Clients on the pages shown whose name another client in the caseload shares
    # (``name_key``): the rows say so, with each one's address, so that nobody opens the
    # wrong record.
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
    """The caseload in pages, in at most seven queries whatever its size, each returning
    no more rows than a page holds: the database counts the caseload by part and need,
    places each part's episodes by need and name and returns one page of ids; then the
    rows' figures, their scores, any standing risk answer and the namesakes are read only
    for the episodes on the pages shown (benchmarks/README.md: a supervisor's 2,000
    episodes read into Python cost more than the whole page at 100 clients).

    A page number that is not a number or is out of range gives the nearest page (Django's
    ``Paginator.get_page``), so a stale link never fails.
    """
    now = now or timezone.now()
    treated, supervised = access.caseload_parts(user)
    reachable = episodes_reachable_by(user).order_by()
    groups = (
        reachable.annotate(
            treats=access.treated_by(user),
            supervises=access.supervised_by(user),
            need=need_rank_expression(now),
        )
        .values_list("treats", "supervises", "status", "need")
        .annotate(n=Count("pk"))
    )
    needs: Counter[Need] = Counter()
    treating_count = supervising_count = 0
    for treats, supervises, status, need, n in groups:
        treating_count += n if treats else 0
        supervising_count += n if supervises else 0
        if status == EpisodeStatus.OPEN:
            needs[Need(need)] += n
    treating = Paginator(_Ranked(treated, treating_count, now), per_page)
    supervising = Paginator(_Ranked(supervised, supervising_count, now), per_page)
    pages = (treating.get_page(treating_page), supervising.get_page(supervising_page))
    shown = [pk for page in pages for pk in page.object_list]
    episodes = (
        caseload_rows(user).filter(pk__in=shown).annotate(**_need_flags(now)).in_bulk()
        if shown
        else {}
    )
    scores = measure_scores(episodes.values())
    risk = risk_answers_standing(list(episodes.values()))

    def row(pk: int) -> Episode:
        episode: Any = episodes[pk]
        episode.risk_since = risk.get(pk)
        episode.measures = scores.get(pk, [])
        if episode.risk_since is not None:
            # Not "recovered" beside a risk answer that stands (README, "Clinical decisions").
            episode.measures = [replace(m, recovered=False) for m in episode.measures]
        episode.worse_since_last = [m for m in episode.measures if m.worse_since_last]
        return episode

    treating_part, supervising_part = (
        CaseloadPart(episodes=[row(pk) for pk in page.object_list if pk in episodes], page=page)
        for page in pages
    )
    return Caseload(
        treating=treating_part,
        supervising=supervising_part,
        needs={need: needs.get(need, 0) for need in Need},
        same_name=clients_sharing_a_name(user, {e.client_id for e in episodes.values()}),
    )


def unresolved_alerts_of(episodes: Sequence[Episode]) -> list[Alert]:
    """Open and acknowledged alerts of ``episodes``: what the client's record lists."""
    return list(Alert.objects.filter(episode__in=episodes).exclude(status=AlertStatus.RESOLVED))


def risk_alert_raised(response: Response) -> bool:
    """Whether an urgent alert was raised on this check-in (by its own answers, or by a
    copy sent again with a risk answer)."""
    return Alert.objects.filter(response=response, kind=AlertKind.RISK).exists()


def alert_sent_again_at(alert: Alert) -> datetime | None:
    """When the copy of a check-in whose risk answer raised this alert was sent, for an
    alert raised that way (``alliance.checkins.services.response_sent_again``); else None."""
    sent = (alert.details or {}).get("sent_again_at")
    return datetime.fromisoformat(sent) if isinstance(sent, str) else None
