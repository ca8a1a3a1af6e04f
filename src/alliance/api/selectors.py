"""What a token reaches, through the access policy: the owner's episodes, nothing more."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from alliance.accounts.models import User
from alliance.api.models import ApiToken
from alliance.api.search import DateBound, Search
from alliance.api.services import scopes_of
from alliance.care import access
from alliance.care.models import Episode
from alliance.measures.models import Response


def token_episodes(token: ApiToken) -> QuerySet[Episode]:
    return access.api_episodes(token.owner, scopes_of(token)[0].context)


def token_patients(token: ApiToken) -> QuerySet[User]:
    client_ids = token_episodes(token).values("client_id")
    return User.objects.filter(pk__in=client_ids).order_by("pk")


def token_patient(token: ApiToken, client_id: int) -> User:
    """One client the token reaches; else 404 (whether or not they exist)."""
    patient = token_patients(token).filter(pk=client_id).first()
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


def token_responses(token: ApiToken, search: Search | None = None) -> QuerySet[Response]:
    """The responses the token reaches, oldest first, narrowed by the search. A search for
    a patient the token does not reach is a 404, as reading them would be."""
    responses = Response.objects.filter(episode__in=token_episodes(token))
    if search is not None and search.patient_id is not None:
        token_patient(token, search.patient_id)
        responses = responses.filter(client_id=search.patient_id)
    for bound in search.dates if search is not None else ():
        responses = responses.filter(_date_filter(bound))
    return responses.order_by("submitted_at", "pk")


def token_response(token: ApiToken, response_id: int) -> Response:
    response = token_responses(token).filter(pk=response_id).first()
    if response is None:
        raise Http404
    return response
