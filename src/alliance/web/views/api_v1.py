"""The JSON API's operations (``/api/v1/``), as thin as the pages' views: scope and
access, a selector or the web's own service, a presenter. The edge (tokens, errors, the
OpenAPI document) is ``alliance.web.api_v1``."""

from __future__ import annotations

from typing import Annotated

from django.core.paginator import Paginator
from django.http import HttpRequest
from ninja import Path, Query, Status

from alliance.alerts.selectors import caseload_page
from alliance.alerts.services import alert_acknowledge as alert_acknowledge_service
from alliance.alerts.services import alert_resolve as alert_resolve_service
from alliance.api.selectors import caller_alert, caller_alert_list
from alliance.api.services import api_read_record
from alliance.audit.context import audit_context
from alliance.care import access
from alliance.care.access import Act
from alliance.measures.services import administration_request
from alliance.web.api_v1 import ERRORS, MAX_ID, api, checked_instrument, scoped, service_call
from alliance.web.presenters import api_v1 as presenter
from alliance.web.presenters.api_v1 import (
    AcknowledgeIn,
    AlertKindName,
    AlertOut,
    AlertPage,
    AlertStatusName,
    CaseloadOut,
    Problem,
    QuestionnaireRequestIn,
    QuestionnaireRequestOut,
    ResolveIn,
)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=MAX_ID)]
PageSize = Annotated[int, Query(ge=1, le=100)]
ERROR_RESPONSES: dict[int, type[Problem]] = dict.fromkeys(ERRORS, Problem)


@api.get(
    "/caseload",
    response={200: CaseloadOut, **ERROR_RESPONSES},
    url_name="api_v1_caseload",
    description="Your caseload, most in need first, as the caseload page shows it: the "
    "clients you treat and those you supervise, each part paged. Scope: Patient.s.",
)
def caseload(
    request: HttpRequest, page: PageNumber = 1, supervising_page: PageNumber = 1
) -> CaseloadOut:
    caller = scoped(request, "caseload")
    found = caseload_page(caller.owner, treating_page=page, supervising_page=supervising_page)
    api_read_record(
        caller=caller,
        client_ids=presenter.caseload_client_ids(found),
        context=audit_context(request),
    )
    return presenter.caseload(found)


@api.get(
    "/alerts",
    response={200: AlertPage, **ERROR_RESPONSES},
    url_name="api_v1_alerts",
    description="Alerts on the episodes you treat or supervise, newest first; a client you "
    "do not reach is a 404. Scope: DetectedIssue.s.",
)
def alert_list(
    request: HttpRequest,
    status: AlertStatusName | None = None,
    kind: AlertKindName | None = None,
    client_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageNumber = 1,
    page_size: PageSize = 25,
) -> AlertPage:
    caller = scoped(request, "alert_list")
    alerts = caller_alert_list(caller, status=status, kind=kind, client_id=client_id)
    found = Paginator(alerts, page_size).get_page(page)
    api_read_record(
        caller=caller, client_ids=[a.client_id for a in found], context=audit_context(request)
    )
    return presenter.alert_page(found)


@api.get(
    "/alerts/{alert_id}",
    response={200: AlertOut, **ERROR_RESPONSES},
    url_name="api_v1_alert",
    description="One alert. Scope: DetectedIssue.r.",
)
def alert_detail(request: HttpRequest, alert_id: Id) -> AlertOut:
    caller = scoped(request, "alert_read")
    alert = caller_alert(caller, alert_id)
    api_read_record(caller=caller, client_ids=[alert.client_id], context=audit_context(request))
    return presenter.alert(alert)


@api.post(
    "/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **ERROR_RESPONSES},
    url_name="api_v1_alert_acknowledge",
    description="Acknowledge an open alert with a note, as the alert page does (older open "
    "alerts of its kind are acknowledged with it). The treating therapist or the "
    "supervisor. Scope: DetectedIssue.u.",
)
def alert_acknowledge(request: HttpRequest, alert_id: Id, body: AcknowledgeIn) -> AlertOut:
    caller = scoped(request, "alert_update")
    alert = caller_alert(caller, alert_id, Act.ATTEND)
    context = audit_context(request)
    done = service_call(
        lambda: alert_acknowledge_service(
            actor=caller.owner, alert=alert, note=body.note, context=context
        )
    )
    api_read_record(caller=caller, client_ids=[done.client_id], context=context)
    return presenter.alert(done)


@api.post(
    "/alerts/{alert_id}/resolve",
    response={200: AlertOut, **ERROR_RESPONSES},
    url_name="api_v1_alert_resolve",
    description="Resolve an acknowledged alert, with an optional note, as the alert page "
    "does. Scope: DetectedIssue.u.",
)
def alert_resolve(request: HttpRequest, alert_id: Id, body: ResolveIn) -> AlertOut:
    caller = scoped(request, "alert_update")
    alert = caller_alert(caller, alert_id, Act.ATTEND)
    context = audit_context(request)
    done = service_call(
        lambda: alert_resolve_service(
            actor=caller.owner, alert=alert, note=body.note, context=context
        )
    )
    api_read_record(caller=caller, client_ids=[done.client_id], context=context)
    return presenter.alert(done)


@api.post(
    "/clients/{client_id}/questionnaire-requests",
    response={201: QuestionnaireRequestOut, **ERROR_RESPONSES},
    url_name="api_v1_questionnaire_requests",
    description="Put a questionnaire on the client's list, as the client record's form "
    "does, in the open episode you treat (a supervisor: 403). A questionnaire with no "
    "version in the client's language needs in_english. Scope: Task.c.",
)
def questionnaire_request(
    request: HttpRequest, client_id: Id, body: QuestionnaireRequestIn
) -> Status[QuestionnaireRequestOut]:
    caller = scoped(request, "questionnaire_request")
    episode = access.access_client_episode_to_treat(caller.owner, client_id)
    instrument = checked_instrument(episode, body.instrument, in_english=body.in_english)
    administration = service_call(
        lambda: administration_request(
            actor=caller.owner,
            episode=episode,
            instrument_id=instrument,
            due_at=body.due_at,
            context=audit_context(request),
        )
    )
    return Status(201, presenter.questionnaire_request(administration))
