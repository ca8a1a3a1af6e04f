"""What a caller reaches, through the access policy: the owner's episodes, nothing more."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from django.db.models import (
    Case,
    DateTimeField,
    Expression,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404

from alliance.accounts.models import User
from alliance.alerts.models import Alert
from alliance.api.callers import ApiCaller
from alliance.api.search import DateBound, Search
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.exercises.models import Assignment, Entry
from alliance.instruments import list_instruments
from alliance.instruments.fhir import observations_coded
from alliance.measures.models import Administration, Response
from alliance.plans.models import Goal, GoalRating, GoalVersion, Plan, PlanSummaryVersion
from alliance.records.export import GOAL_LIFECYCLE
from alliance.records.selectors import PlanRecord, plan_record

M = TypeVar("M", bound=Model)


def caller_episodes(caller: ApiCaller) -> QuerySet[Episode]:
    return access.api_episodes(caller.owner, caller.scopes[0].context)


def caller_patients(caller: ApiCaller) -> QuerySet[User]:
    client_ids = caller_episodes(caller).values("client_id")
    return User.objects.filter(pk__in=client_ids).order_by("pk")


def caller_patient(caller: ApiCaller, client_id: int) -> User:
    """One client the caller reaches; else 404 (whether or not they exist)."""
    patient = caller_patients(caller).filter(pk=client_id).first()
    if patient is None:
        raise Http404
    return patient


def _date_filter(bound: DateBound, name: str = "submitted_at") -> Q:
    if bound.prefix == "ge":
        return Q(**{f"{name}__gte": bound.start})
    if bound.prefix == "gt":
        return Q(**{f"{name}__gte": bound.end})
    if bound.prefix == "le":
        return Q(**{f"{name}__lt": bound.end})
    if bound.prefix == "lt":
        return Q(**{f"{name}__lt": bound.start})
    return Q(**{f"{name}__gte": bound.start, f"{name}__lt": bound.end})


def caller_responses(caller: ApiCaller, search: Search | None = None) -> QuerySet[Response]:
    """The responses the caller reaches, oldest first, narrowed by the search. A search for
    a patient the caller does not reach is a 404, as reading them would be."""
    responses = Response.objects.filter(episode__in=caller_episodes(caller))
    if search is not None and search.patient_id is not None:
        caller_patient(caller, search.patient_id)
        responses = responses.filter(client_id=search.patient_id)
    for bound in search.dates if search is not None else ():
        responses = responses.filter(_date_filter(bound))
    if search is not None and search.code is not None:
        responses = responses.filter(_coded(*search.code))
    return responses.order_by("submitted_at", "pk")


def _coded(system: str | None, code: str) -> Q:
    """The responses one of whose Observations carries the code: those of the instruments
    whose total (scored) or subscale (present) it codes."""
    found = Q(pk__in=[])
    for inst, subscale in observations_coded(list_instruments(), system, code):
        version = Q(instrument_id=inst.id, instrument_version=inst.version)
        if subscale is None:
            found |= version & Q(total__isnull=False)
        else:
            found |= version & Q(subscales__has_key=subscale)
    return found


def caller_response(caller: ApiCaller, response_id: int) -> Response:
    response = caller_responses(caller).filter(pk=response_id).first()
    if response is None:
        raise Http404
    return response


# When each resource last changed (its meta.lastUpdated, and what _lastUpdated searches):
# the latest of the times the resource shows.


def _latest(queryset: QuerySet[Any], name: str, fallback: str) -> Expression:
    newest = queryset.filter(**{f"{name}__isnull": False}).order_by(f"-{name}").values(name)[:1]
    return Coalesce(Subquery(newest, output_field=DateTimeField()), F(fallback))


def _since(fallback: str, *names: str) -> list[Expression]:
    return [Coalesce(F(name), F(fallback)) for name in names]


def _narrowed(
    caller: ApiCaller, queryset: QuerySet[M], search: Search | None, client: str
) -> QuerySet[M]:
    """Narrowed by the search's patient (404 when the caller does not reach them) and its
    _lastUpdated bounds (on the ``last_updated`` annotation)."""
    if search is None:
        return queryset
    if search.patient_id is not None:
        caller_patient(caller, search.patient_id)
        queryset = queryset.filter(**{client: search.patient_id})
    for bound in search.dates:
        queryset = queryset.filter(_date_filter(bound, "last_updated"))
    return queryset


def caller_episode_resources(caller: ApiCaller, search: Search | None = None) -> QuerySet[Episode]:
    """Episodes (as EpisodeOfCare), with when each last changed."""
    episodes = caller_episodes(caller).annotate(
        last_updated=Coalesce(F("closed_at"), F("opened_at"))
    )
    if search is not None and search.status:
        wanted = {"active": "open", "finished": "closed"}
        episodes = episodes.filter(status__in=[wanted.get(s, "") for s in search.status])
    return _narrowed(caller, episodes, search, "client_id").order_by("opened_at", "pk")


def caller_plans(caller: ApiCaller, search: Search | None = None) -> QuerySet[Episode]:
    """Episodes as their treatment plans (CarePlan), with when each plan last changed."""
    episode = OuterRef("pk")
    readable = Entry.objects.filter(access.exercise_entries_readable_by(caller.owner))
    episodes = caller_episodes(caller).annotate(
        last_updated=Greatest(
            F("opened_at"),
            *_since("opened_at", "closed_at"),
            _latest(Plan.objects.filter(episode=episode), "created_at", "opened_at"),
            _latest(
                PlanSummaryVersion.objects.filter(plan__episode=episode), "created_at", "opened_at"
            ),
            _latest(Goal.objects.filter(episode=episode), "created_at", "opened_at"),
            _latest(Assignment.objects.filter(episode=episode), "assigned_at", "opened_at"),
            _latest(Assignment.objects.filter(episode=episode), "withdrawn_at", "opened_at"),
            _latest(readable.filter(episode=episode), "completed_at", "opened_at"),
        )
    )
    return _narrowed(caller, episodes, search, "client_id").order_by("opened_at", "pk")


def caller_plan(caller: ApiCaller, episode: Episode) -> PlanRecord:
    """The plan of an episode the caller reaches, with the exercise entries they may read."""
    readable = Entry.objects.filter(access.exercise_entries_readable_by(caller.owner))
    return plan_record(episode, readable)


def caller_goals(caller: ApiCaller, search: Search | None = None) -> QuerySet[Goal]:
    goal = OuterRef("pk")
    goals = Goal.objects.filter(episode__in=caller_episodes(caller)).annotate(
        last_updated=Greatest(
            F("created_at"),
            *_since("created_at", "ended_at"),
            _latest(GoalVersion.objects.filter(goal=goal), "created_at", "created_at"),
            _latest(GoalRating.objects.filter(goal=goal), "rated_at", "created_at"),
        )
    )
    if search is not None and search.status:
        wanted = {fhir: str(status) for status, fhir in GOAL_LIFECYCLE.items()}
        goals = goals.filter(status__in=[wanted.get(s, "") for s in search.status])
    goals = goals.select_related("episode").prefetch_related("versions", "ratings")
    return _narrowed(caller, goals, search, "episode__client_id").order_by("created_at", "pk")


def caller_alerts(caller: ApiCaller, search: Search | None = None) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(episode__in=caller_episodes(caller)).annotate(
        last_updated=Greatest(
            F("created_at"), *_since("created_at", "acknowledged_at", "resolved_at")
        )
    )
    if search is not None and search.status and "final" not in search.status:
        alerts = alerts.filter(status__in=search.status)
    return _narrowed(caller, alerts, search, "client_id").order_by("created_at", "pk")


def _checkin_status(now: datetime) -> dict[str, Q]:
    """Which check-ins each Task status stands for (``task_status`` says it of one)."""
    waiting = Q(completed_at__isnull=True, cancelled_at__isnull=True, episode__status="open")
    not_yet = Q(available_from__gt=now)
    return {
        "completed": Q(completed_at__isnull=False),
        "cancelled": Q(completed_at__isnull=True)
        & (Q(cancelled_at__isnull=False) | ~Q(episode__status="open")),
        "requested": waiting & not_yet,
        "ready": waiting & ~not_yet,
    }


def task_status(administration: Administration, now: datetime) -> str:
    """The Task status of a check-in: ready (the client may answer it now, overdue too),
    requested (its window is not open yet), completed, or cancelled (withdrawn, or the
    episode closed before it was answered)."""
    state = administration.state(now)
    if state == "completed":
        return "completed"
    if state == "cancelled" or not administration.episode.is_open:
        return "cancelled"
    return "requested" if state == "upcoming" else "ready"


def caller_checkins(
    caller: ApiCaller, search: Search | None = None, *, now: datetime
) -> QuerySet[Administration]:
    """The check-ins (administrations) asked of the clients the caller reaches, as Tasks,
    with when each last changed: asked, opened (its window began), answered, withdrawn,
    or its episode closed."""
    opened = Case(
        When(available_from__lte=now, then=F("available_from")),
        default=F("created_at"),
        output_field=DateTimeField(),
    )
    checkins = (
        Administration.objects.filter(episode__in=caller_episodes(caller))
        .select_related("episode", "response")
        .annotate(
            last_updated=Greatest(
                F("created_at"),
                opened,
                *_since("created_at", "completed_at", "cancelled_at", "episode__closed_at"),
            )
        )
    )
    if search is not None and search.status:
        by_status = _checkin_status(now)
        wanted = Q(pk__in=[])
        for status in search.status:
            wanted |= by_status.get(status, Q(pk__in=[]))
        checkins = checkins.filter(wanted)
    return _narrowed(caller, checkins, search, "episode__client_id").order_by("created_at", "pk")


def caller_checkin_to_answer(caller: ApiCaller, administration_id: int) -> Administration:
    """A check-in of the caller's own record (a client's token); else 404, whether or not
    it exists. Whether it is open for answers is the service's to say."""
    return caller_one(
        Administration.objects.filter(
            episode__in=caller_episodes(caller), episode__client=caller.owner
        ),
        administration_id,
    )


def caller_one(queryset: QuerySet[M], pk: int) -> M:
    """One of what the caller reaches; else 404."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def caller_alert_list(
    caller: ApiCaller,
    *,
    status: str | None = None,
    kind: str | None = None,
    client_id: int | None = None,
) -> QuerySet[Alert]:
    """The alerts on the episodes the caller reaches, newest first (the JSON API's list).
    A filter by a client the caller does not reach is a 404, as reading the client would be."""
    alerts = Alert.objects.filter(episode__in=caller_episodes(caller)).select_related(
        "client", "episode"
    )
    if client_id is not None:
        caller_patient(caller, client_id)
        alerts = alerts.filter(client_id=client_id)
    if status is not None:
        alerts = alerts.filter(status=status)
    if kind is not None:
        alerts = alerts.filter(kind=kind)
    return alerts.order_by("-created_at", "-pk")


def caller_alert(caller: ApiCaller, alert_id: int, act: Act = Act.READ) -> Alert:
    """One alert, through its episode as the web's alert pages reach it: 404 when the
    caller does not reach it, 403 when they read but may not ``act`` on it."""
    alert = caller_alert_list(caller).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return access.access_in_episode(
        caller.owner, Alert.objects.select_related("client", "episode"), alert.pk, act
    )
