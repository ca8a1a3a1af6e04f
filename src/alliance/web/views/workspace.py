"""The clinician workspace: caseload, a client's record, sessions, invitations."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.models import Role
from alliance.alerts.models import Alert, AlertStatus
from alliance.alerts.selectors import (
    Need,
    alert_sent_again_at,
    alerts_for_caseload,
    caseload_page,
    unresolved_alerts_of,
)
from alliance.alerts.services import alert_acknowledge as alert_acknowledge_service
from alliance.alerts.services import alert_resolve as alert_resolve_service
from alliance.audit.context import audit_context
from alliance.audit.models import Action
from alliance.audit.services import audit_record, record_opened
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.care.selectors import clients_sharing_a_name, sessions_of
from alliance.care.services import episode_close as close_episode
from alliance.measures.instruments import get_instrument, instrument_choices
from alliance.measures.models import Response
from alliance.measures.schedules import schedule_for, schedule_update, session_plan
from alliance.measures.selectors import (
    responses_of,
    schedules_of,
    waiting_administrations_of,
)
from alliance.measures.services import administration_request, response_fhir_bundle
from alliance.preparation.selectors import session_preparation
from alliance.web.findings import alert_explanation
from alliance.web.forms import (
    AlertNoteForm,
    AskQuestionnaireForm,
    InviteClientForm,
    ScheduleForm,
    SessionForm,
)
from alliance.web.http import AuthedRequest
from alliance.web.presenters import preparation
from alliance.web.presenters import workspace as presenter
from alliance.web.presenters.panels import pages as panels
from alliance.web.questionnaire import answer_rows, form_language
from alliance.web.views.invitations import invitation_form_page

NEED_LABELS = {
    Need.URGENT: gettext_lazy("urgent (risk)"),
    Need.NOT_ON_TRACK: gettext_lazy("not on track"),
    Need.RUPTURE: gettext_lazy("alliance rupture"),
    Need.CHECKIN_NOT_COMPLETED: gettext_lazy("with a check-in not completed yet"),
    Need.NOTHING_FLAGGED: gettext_lazy("with nothing flagged"),
}


@require_GET
def caseload(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    caseload = caseload_page(
        request.user,
        treating_page=request.GET.get("page", 1),
        supervising_page=request.GET.get("supervising_page", 1),
    )
    return render(
        request,
        "web/workspace/caseload.html",
        {
            "caseload": caseload,
            "needs": [
                (label, caseload.needs[need])
                for need, label in NEED_LABELS.items()
                if caseload.needs[need]
            ],
        },
    )


def _episode_page(request: AuthedRequest, episode_id: int) -> Episode:
    """The treating therapist's forms about one episode: they show the client's name, so
    opening one is audited like opening the record (a POST writes its own event)."""
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    if request.method == "GET":
        record_opened(
            actor=request.user, client_id=episode.client_id, context=audit_context(request)
        )
    return episode


@require_GET
def client_record(request: AuthedRequest, client_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    record = access.access_client_record(request.user, client_id)
    record_opened(actor=request.user, client_id=client_id, context=audit_context(request))
    episodes = record.episodes
    context = presenter.client_record(
        client=record.client,
        sessions=list(sessions_of(episodes)),
        responses=list(responses_of(episodes)),
        waiting=waiting_administrations_of(episodes),
        schedules=schedules_of(episodes),
        alerts=unresolved_alerts_of(episodes),
        panels=panels.client_record(viewer=request.user, episodes=episodes),
        episodes=episodes,
        treatable={e.pk for e in episodes if access.may_act_on_episode(request.user, e, Act.TREAT)},
        shares_name=record.client.pk in clients_sharing_a_name(request.user, [record.client.pk]),
        now=timezone.now(),
    )
    return render(request, "web/workspace/client_record.html", context)


@require_GET
def session_prepare(request: AuthedRequest, session_id: int) -> HttpResponse:
    """One page before a session: what happened since the last one. The treating therapist
    and the supervisor read it; it writes nothing. (The client's reply to the last
    session's summary joins it once summaries exist: issue 17, a later part.)"""
    access.require(access.may_see_caseload(request.user))
    session = access.access_session_preparation(request.user, session_id)
    record_opened(
        actor=request.user, client_id=session.episode.client_id, context=audit_context(request)
    )
    prep = session_preparation(viewer=request.user, session=session)
    return render(request, "web/workspace/session_prepare.html", preparation.preparation_page(prep))


@require_http_methods(["GET", "POST"])
def session_add(request: AuthedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_page(request, episode_id)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_plan(
                actor=request.user,
                episode=episode,
                starts_at=form.cleaned_data["starts_at"],
                context=audit_context(request),
            )
        except ValidationError as error:
            form.add_error("starts_at", error)
        else:
            messages.success(
                request, _("Session %(number)s is scheduled.") % {"number": session.number}
            )
            return redirect("client_record", client_id=episode.client_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "web/workspace/session_add.html", {"episode": episode, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def episode_close(request: AuthedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_page(request, episode_id)
    if request.method == "POST":
        close_episode(actor=request.user, episode=episode, context=audit_context(request))
        messages.success(request, _("The episode of care is closed. Its record stays readable."))
        return redirect("client_record", client_id=episode.client_id)
    return render(request, "web/workspace/episode_close.html", {"episode": episode})


@require_http_methods(["GET", "POST"])
def client_invite(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_invite_clients(request.user))
    return invitation_form_page(
        request,
        InviteClientForm(request.POST or None),
        "web/workspace/client_invite.html",
        lambda data: {"role": Role.CLIENT, "supervisor": data["supervisor"]},
    )


@require_http_methods(["GET", "POST"])
def questionnaire_request(request: AuthedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_page(request, episode_id)
    form = AskQuestionnaireForm(
        request.POST or None,
        instruments=instrument_choices(),
        client_language=episode.client.language,
    )
    posted = request.method == "POST"
    if posted and form.is_valid() and _request_questionnaire(request, episode, form):
        messages.success(request, _("The questionnaire is waiting for the client."))
        return redirect("client_record", client_id=episode.client_id)
    return render(
        request,
        "web/workspace/questionnaire_request.html",
        {"episode": episode, "form": form},
        status=400 if posted else 200,
    )


def _request_questionnaire(
    request: AuthedRequest, episode: Episode, form: AskQuestionnaireForm
) -> bool:
    """Put the questionnaire on the client's list; ``False`` with the refusal on the form."""
    try:
        administration_request(
            actor=request.user,
            episode=episode,
            instrument_id=form.cleaned_data["instrument"],
            due_at=form.cleaned_data["due_at"],
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error("instrument", error)
        return False
    return True


@require_GET
def response_detail(request: AuthedRequest, response_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    response = access.access_in_episode(
        request.user, Response.objects.select_related("client"), response_id
    )
    record_opened(actor=request.user, client_id=response.client_id, context=audit_context(request))
    instrument = get_instrument(response.instrument_id, response.instrument_version)
    language = form_language(instrument, request.user.language)
    return render(
        request,
        "web/workspace/response_detail.html",
        {
            "response": response,
            "instrument": instrument,
            "band": instrument.band_for(response.total),
            "rows": answer_rows(
                instrument, response.answers, response.text_answers, response.critical, language
            ),
            "alerts": response.alerts.all(),
        },
    )


@require_GET
def response_fhir(request: AuthedRequest, response_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    response = access.access_in_episode(request.user, Response.objects.all(), response_id)
    audit_record(
        actor=request.user,
        action=Action.RESPONSE_EXPORTED,
        client_id=response.client_id,
        target_type="response",
        target_id=response.pk,
        context=audit_context(request),
    )
    body = json.dumps(response_fhir_bundle(response), indent=2, ensure_ascii=False)
    download = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    download["Content-Disposition"] = f'attachment; filename="response-{response.pk}.json"'
    return download


@require_GET
def alert_list(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    alerts = alerts_for_caseload(request.user).exclude(status=AlertStatus.RESOLVED)
    return render(request, "web/workspace/alert_list.html", {"alerts": alerts})


@require_GET
def alert_detail(request: AuthedRequest, alert_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    alert = access.access_in_episode(
        request.user,
        Alert.objects.select_related("client", "response", "episode", "acknowledged_with"),
        alert_id,
    )
    record_opened(actor=request.user, client_id=alert.client_id, context=audit_context(request))
    return render(request, "web/workspace/alert_detail.html", _alert_context(request, alert))


def _alert_context(
    request: AuthedRequest, alert: Alert, form: AlertNoteForm | None = None
) -> dict[str, Any]:
    instrument = None
    rows: list[Any] = []
    sent_again = alert_sent_again_at(alert)
    if alert.response is not None:
        response = alert.response
        instrument = get_instrument(response.instrument_id, response.instrument_version)
        # The answers that raised it, in the reader's language where the form has it: the
        # response's own, or those of the copy sent again after it (kept on the alert).
        rows = answer_rows(
            instrument,
            alert.details.get("answers", {}) if sent_again else response.answers,
            {} if sent_again else response.text_answers,
            alert.details.get("items", []) if sent_again else response.critical,
            form_language(instrument, request.user.language),
        )
    reasons, model_name, method = alert_explanation(alert)
    return {
        "alert": alert,
        "instrument": instrument,
        "rows": rows,
        "risk_rows": [row for row in rows if row.critical],
        "sent_again": sent_again,
        "reasons": reasons,
        "model_name": model_name,
        "method": method,
        "may_attend": access.may_act_on_episode(request.user, alert.episode, Act.ATTEND),
        "form": form or AlertNoteForm(),
    }


@require_POST
def alert_acknowledge(request: AuthedRequest, alert_id: int) -> HttpResponse:
    alert = access.access_in_episode(
        request.user,
        Alert.objects.select_related("client", "response", "episode", "acknowledged_with"),
        alert_id,
        Act.ATTEND,
    )
    form = AlertNoteForm(request.POST)
    if form.is_valid():
        try:
            alert_acknowledge_service(
                actor=request.user,
                alert=alert,
                note=form.cleaned_data["note"],
                context=audit_context(request),
            )
        except ValidationError as error:
            form.add_error("note", error)
        else:
            messages.success(request, _("The alert is acknowledged."))
            return redirect("alert_detail", alert_id=alert.pk)
    return render(
        request, "web/workspace/alert_detail.html", _alert_context(request, alert, form), status=400
    )


@require_POST
def alert_resolve(request: AuthedRequest, alert_id: int) -> HttpResponse:
    alert = access.access_in_episode(
        request.user, Alert.objects.select_related("client", "episode"), alert_id, Act.ATTEND
    )
    try:
        alert_resolve_service(
            actor=request.user,
            alert=alert,
            note=request.POST.get("note", ""),
            context=audit_context(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The alert is resolved."))
    return redirect("alert_detail", alert_id=alert.pk)


@require_http_methods(["GET", "POST"])
def schedule_edit(request: AuthedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_page(request, episode_id)
    form = _schedule_form(request, episode)
    posted = request.method == "POST"
    if posted and form.is_valid() and _save_schedule(request, episode, form):
        messages.success(request, _("The check-in schedule is saved."))
        return redirect("client_record", client_id=episode.client_id)
    return render(
        request,
        "web/workspace/schedule_edit.html",
        {"episode": episode, "form": form},
        status=400 if posted else 200,
    )


def _schedule_form(request: AuthedRequest, episode: Episode) -> ScheduleForm:
    schedule = schedule_for(episode)
    return ScheduleForm(
        # Bound on every POST: unticking every box sends no fields at all.
        request.POST if request.method == "POST" else None,
        instruments=instrument_choices(),
        client_language=episode.client.language,
        initial={
            "before_session": schedule.before_session,
            "after_session": schedule.after_session,
            "weekly": schedule.weekly,
            "client_sees_progress": episode.client_sees_progress,
        },
    )


def _save_schedule(request: AuthedRequest, episode: Episode, form: ScheduleForm) -> bool:
    """Save the schedule; ``False`` with the refusal on the form."""
    try:
        schedule_update(
            actor=request.user,
            episode=episode,
            context=audit_context(request),
            **{name: form.cleaned_data[name] for name in (*form.WHEN, "client_sees_progress")},
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True
