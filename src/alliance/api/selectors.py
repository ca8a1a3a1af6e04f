"""What a caller reaches, through the access policy: the owner's episodes, nothing more."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from alliance.accounts.models import User
from alliance.alerts.models import Alert
from alliance.api.callers import ApiCaller
from alliance.api.search import DateBound, Search
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.measures.models import Response


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


def _date_filter(bound: DateBound) -> Q:
    if bound.prefix == "ge":
        return Q(submitted_at__gte=bound.start)
    if bound.prefix == "gt":
        return Q(submitted_at__gte=bound.end)
    if bound.prefix == "le":
        return Q(submitted_at__lt=bound.end)
    if bound.prefix == "lt":
        return Q(submitted_at__lt=bound.start)
    return Q(submitted_at__gte=bound.start, submitted_at__lt=bound.end)


def caller_responses(caller: ApiCaller, search: Search | None = None) -> QuerySet[Response]:
    """The responses the caller reaches, oldest first, narrowed by the search. A search for
    a patient the caller does not reach is a 404, as reading them would be."""
    responses = Response.objects.filter(episode__in=caller_episodes(caller))
    if search is not None and search.patient_id is not None:
        caller_patient(caller, search.patient_id)
        responses = responses.filter(client_id=search.patient_id)
    for bound in search.dates if search is not None else ():
        responses = responses.filter(_date_filter(bound))
    return responses.order_by("submitted_at", "pk")


def caller_response(caller: ApiCaller, response_id: int) -> Response:
    response = caller_responses(caller).filter(pk=response_id).first()
    if response is None:
        raise Http404
    return response


def caller_alerts(
    caller: ApiCaller,
    *,
    status: str | None = None,
    kind: str | None = None,
    client_id: int | None = None,
) -> QuerySet[Alert]:
    """The alerts on the episodes the caller reaches, newest first. A filter by a client
    the caller does not reach is a 404, as reading the client would be."""
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
    alert = caller_alerts(caller).filter(pk=alert_id).first()
    if alert is None:
        raise Http404
    return access.access_in_episode(
        caller.owner, Alert.objects.select_related("client", "episode"), alert.pk, act
    )
