"""The read-only FHIR R4 API (``/fhir/R4/``): views as thin as the pages'."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from alliance.api import fhir
from alliance.api.search import SEARCH_PARAMS, parse_search
from alliance.api.services import api_read_record
from alliance.audit.context import audit_context
from alliance.web.fhir import TokenRequest, fhir_base, fhir_endpoint, fhir_json, token_required
from alliance.web.views.oauth import oauth_uris

# The day this statement of what the server does last changed.
CAPABILITY_DATE = "2026-12-04"


def _supported(resource: str) -> None:
    if resource not in SEARCH_PARAMS:
        raise Http404


@fhir_endpoint
def metadata(request: HttpRequest) -> HttpResponse:
    statement = fhir.capability_statement(
        base=fhir_base(request),
        software=settings.PRACTICE_NAME,
        date=CAPABILITY_DATE,
        oauth=oauth_uris(request),
    )
    return fhir_json(statement)


@fhir_endpoint
@token_required
def resource_read(request: TokenRequest, resource: str, resource_id: str) -> HttpResponse:
    _supported(resource)
    fhir.require_scope(request.api_caller, resource, "r")
    found, client_ids = fhir.read(request.api_caller, resource, resource_id)
    api_read_record(
        caller=request.api_caller, client_ids=client_ids, context=audit_context(request)
    )
    return fhir_json(found)


@fhir_endpoint
@token_required
def resource_search(request: TokenRequest, resource: str) -> HttpResponse:
    _supported(resource)
    fhir.require_scope(request.api_caller, resource, "s")
    query = parse_search(resource, dict(request.GET.lists()))
    found = fhir.search(request.api_caller, query)
    api_read_record(
        caller=request.api_caller, client_ids=found.client_ids, context=audit_context(request)
    )
    params = [(k, v) for k, values in request.GET.lists() for v in values]
    bundle = fhir.searchset(
        base=fhir_base(request),
        query=query,
        params=params,
        resources=found.page.matches,
        total=found.page.total,
        included=found.included,
    )
    return fhir_json(bundle)
