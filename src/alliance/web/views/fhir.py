"""The FHIR R4 API (``/fhir/R4/``): reads, and a client's answers; views as thin as the
pages'."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse

from alliance.api import bulk, fhir
from alliance.api.fhir_answers import (
    SafetyPlanLink,
    WriteRefused,
    crisis_outcome,
    parse_body,
    with_crisis,
)
from alliance.api.models import BulkExportStatus
from alliance.api.resources import response_resources
from alliance.api.search import SEARCH_PARAMS, BadSearch, parse_search
from alliance.api.services import api_read_record
from alliance.audit.context import audit_context
from alliance.care import access
from alliance.checkins.services import response_submit_fhir
from alliance.safety.crisis import resources_for_person
from alliance.safety.selectors import safety_current_version
from alliance.web.fhir import (
    TokenRequest,
    fhir_base,
    fhir_endpoint,
    fhir_endpoint_for,
    fhir_json,
    fhir_write_endpoint,
    token_required,
)
from alliance.web.views.oauth import oauth_uris

# The day this statement of what the server does last changed.
CAPABILITY_DATE = "2026-12-04"
NDJSON = "application/fhir+ndjson"
# How long a client polling an export's status is asked to wait between polls.
EXPORT_RETRY_SECONDS = 5


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


@fhir_write_endpoint
@token_required
def resource_search(request: TokenRequest, resource: str) -> HttpResponse:
    """Search a type (GET), or send a client's answers (POST to QuestionnaireResponse)."""
    if request.method == "POST":
        return _create(request, resource)
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


# What ``Prefer: return=…`` may ask for (FHIR R4 http.html#ops); representation unless said.
RETURNS = ("representation", "minimal", "OperationOutcome")


def _prefer_return(header: str) -> str:
    for part in header.replace(";", ",").split(","):
        name, _equals, value = part.strip().partition("=")
        if name == "return" and value.strip('"') in RETURNS:
            return value.strip('"')
    return "representation"


def _create(request: TokenRequest, resource: str) -> HttpResponse:
    """201 with the stored QuestionnaireResponse and its Location; 200 with it when the
    check-in was answered before. When a risk item was answered (in what is stored, or in
    the copy sent again), the crisis help the web shows comes with it (a contained
    OperationOutcome; alone with return=minimal)."""
    if resource != "QuestionnaireResponse":
        raise WriteRefused(405, "not-supported", "Only QuestionnaireResponse is created here.")
    fhir.require_scope(request.api_caller, resource, "c")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise WriteRefused(413, "too-costly", "The body is too large.") from None
    submitted = response_submit_fhir(
        caller=request.api_caller, body=parse_body(raw), context=audit_context(request)
    )
    response = submitted.response
    if not submitted.created:
        api_read_record(
            caller=request.api_caller,
            client_ids=[response.client_id],
            context=audit_context(request),
        )
    stored = response_resources(response)[0]
    crisis = (
        crisis_outcome(
            resources_for_person(response.client),
            response.client.language,
            SafetyPlanLink(
                url=request.build_absolute_uri(reverse("my_safety_plan")),
                written=safety_current_version(response.client) is not None,
            ),
        )
        if submitted.risk
        else None
    )
    wanted = _prefer_return(request.headers.get("Prefer", ""))
    if wanted == "OperationOutcome" or (wanted == "minimal" and crisis is not None):
        answer = fhir_json(
            crisis or fhir.stored_outcome(), status=201 if submitted.created else 200
        )
    elif wanted == "minimal":
        answer = HttpResponse(status=201 if submitted.created else 200)
    else:
        body = stored if crisis is None else with_crisis(stored, crisis)
        answer = fhir_json(body, status=201 if submitted.created else 200)
    answer["Location"] = f"{fhir_base(request)}/QuestionnaireResponse/{stored['id']}"
    return answer


# Bulk Data ($export) ------------------------------------------------------------------


def _status_url(request: HttpRequest, export_id: object) -> str:
    return request.build_absolute_uri(reverse("fhir_export_status", args=[str(export_id)]))


@fhir_endpoint
@token_required
def export_kickoff(request: TokenRequest) -> HttpResponse:
    """``Patient/$export``: 202 with the status URL in Content-Location."""
    access.require_bulk_export(request.api_caller.owner, request.api_caller.scopes[0].context)
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise BadSearch("$export runs in the background: send Prefer: respond-async")
    kickoff = bulk.parse_kickoff(request.api_caller, dict(request.GET.lists()))
    export = bulk.bulk_export_start(
        caller=request.api_caller, kickoff=kickoff, request_url=request.build_absolute_uri()
    )
    accepted = HttpResponse(status=202)
    accepted["Content-Location"] = _status_url(request, export.pk)
    return accepted


@fhir_endpoint_for("GET", "HEAD", "DELETE")
@token_required
def export_status(request: TokenRequest, export_id: str) -> HttpResponse:
    """202 with X-Progress while it runs, 200 with the manifest when done; DELETE: 202."""
    export = bulk.caller_export(request.api_caller, export_id)
    if request.method == "DELETE":
        bulk.bulk_export_delete(caller=request.api_caller, export=export)
        return HttpResponse(status=202)
    if export.status in (BulkExportStatus.QUEUED, BulkExportStatus.RUNNING):
        waiting = HttpResponse(status=202)
        waiting["X-Progress"] = bulk.progress(export)
        waiting["Retry-After"] = str(EXPORT_RETRY_SECONDS)
        return waiting

    def file_url(kind: str) -> str:
        path = reverse("fhir_export_file", args=[str(export.pk), kind])
        return request.build_absolute_uri(path)

    return JsonResponse(bulk.manifest(export, file_url))


@fhir_endpoint
@token_required
def export_file(request: TokenRequest, export_id: str, resource_type: str) -> HttpResponseBase:
    """One NDJSON file, decrypted as it is streamed."""
    export = bulk.caller_export(request.api_caller, export_id)
    lines = bulk.export_file_lines(export, resource_type)
    return StreamingHttpResponse(lines, content_type=NDJSON)
