"""The client portal: plain words, the client's own record only."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance import localtime
from alliance.alerts.selectors import risk_alert_raised, risk_follow_up
from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.care.access import Act
from alliance.care.selectors import sessions_of
from alliance.checkins.services import response_sent_again, response_submit
from alliance.instruments import Instrument
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Administration, Response
from alliance.measures.schedules import schedule_sync
from alliance.measures.selectors import due_administrations
from alliance.measures.services import AlreadyCompleted, NotOpenForAnswers
from alliance.records.access_log import access_visits, record_events_by_others
from alliance.safety.crisis import resources_for_person
from alliance.web.http import AuthedRequest
from alliance.web.nav import unread_by_episode
from alliance.web.presenters import portal as presenter
from alliance.web.presenters.panels import pages as panels
from alliance.web.questionnaire import QuestionnaireForm, started_at_hint


@require_GET
def portal_home(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episodes = tuple(access.episodes_reachable_by(request.user))
    record_opened(actor=request.user, client_id=request.user.pk, context=audit_context(request))
    sessions = list(sessions_of(episodes))
    current = next((e for e in episodes if e.is_open), None)
    if current is not None:
        # Weekly check-ins come into being when they fall due; this is idempotent.
        schedule_sync(episode=current)
    now, unread = timezone.now(), unread_by_episode(request)
    context = presenter.home(
        current=current,
        panels=panels.portal_home(viewer=request.user, episode=current, unread=unread, now=now),
        open_episode_ids={e.pk for e in episodes if e.is_open},
        sessions=sessions,
        due=list(due_administrations(episodes)),
        now=now,
    )
    return render(request, "web/portal/home.html", context)


@require_http_methods(["GET", "POST"])
def checkin_fill(request: AuthedRequest, administration_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    administration = _to_answer(request, administration_id)
    if isinstance(administration, HttpResponse):
        return administration
    if administration.is_completed:
        # The back button, a second click or a second tab: what was saved stays saved, once.
        if request.method == "POST":
            _sent_again(request, administration)
        return redirect("checkin_done", administration_id=administration.pk)
    now = timezone.now()
    if not administration.is_open_for_answers(now):
        return _checkin_not_open(request, administration, administration.state(now))
    instrument = get_instrument(administration.instrument_id, administration.instrument_version)
    form = QuestionnaireForm(
        request.POST or None, instrument=instrument, language=request.user.language
    )
    started = started_at_hint(
        request.POST.get("started_at", ""), earliest=administration.created_at, now=now
    )
    if request.method == "POST" and form.is_valid():
        submitted = _submit_checkin(request, administration, form, started)
        if submitted is not None:
            return submitted
    return _checkin_page(request, administration, instrument, form, started or now)


def _to_answer(request: AuthedRequest, administration_id: int) -> Administration | HttpResponse:
    """The check-in, if the client may answer it; if they may read it but no longer answer
    (their care has ended), a 403 that says so plainly."""
    try:
        return access.access_in_episode(
            request.user, Administration.objects.all(), administration_id, Act.CONTRIBUTE
        )
    except PermissionDenied:
        administration = access.access_in_episode(
            request.user, Administration.objects.all(), administration_id, Act.READ
        )
        return render(
            request,
            "web/portal/checkin_not_open.html",
            {"administration": administration, "care_ended": True},
            status=403,
        )


def _checkin_page(
    request: AuthedRequest,
    administration: Administration,
    instrument: Instrument,
    form: QuestionnaireForm,
    started_at: datetime,
) -> HttpResponse:
    context = presenter.checkin(
        administration=administration,
        instrument=instrument,
        form=form,
        language=request.user.language,
        started_at=started_at,
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "web/portal/checkin.html", context, status=status)


def _submit_checkin(
    request: AuthedRequest,
    administration: Administration,
    form: QuestionnaireForm,
    started: datetime | None,
) -> HttpResponse | None:
    """Where to go once the answers are stored (or were already); ``None`` with the
    refusal on the form."""
    try:
        response_submit(
            actor=request.user,
            administration=administration,
            answers=form.answers(),
            started_at=started,
            context=audit_context(request),
        )
    except AlreadyCompleted:  # sent from another tab meanwhile
        _sent_again(request, administration, form)
    except NotOpenForAnswers as closed:  # withdrawn while the form was open
        return _checkin_not_open(request, closed.administration, closed.state)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    return redirect("checkin_done", administration_id=administration.pk)


def _sent_again(
    request: AuthedRequest, administration: Administration, form: QuestionnaireForm | None = None
) -> None:
    """A check-in sent again: the answers sent first are kept, and the done page says so. A
    risk answer in this copy — even one among missing answers — still raises the alert."""
    if form is None:
        instrument = get_instrument(administration.instrument_id, administration.instrument_version)
        form = QuestionnaireForm(
            request.POST, instrument=instrument, language=request.user.language
        )
    form.is_valid()  # the answers given, whether or not every question was answered
    stored = Response.objects.get(administration=administration)
    response_sent_again(actor=request.user, stored=stored, answers=form.answers())
    messages.info(
        request,
        _(
            "You had already sent this check-in, on %(when)s. The answers you sent then "
            "are the ones kept; talk to your therapist if they have changed."
        )
        % {"when": localtime.when(stored.submitted_at, "date_time")},
    )


def _checkin_not_open(
    request: AuthedRequest, administration: Administration, state: str
) -> HttpResponse:
    """Withdrawn, or not open yet: said plainly, not as an error. A POST stored nothing
    (409, and the page says so)."""
    return render(
        request,
        "web/portal/checkin_not_open.html",
        {
            "administration": administration,
            "withdrawn": state == "cancelled",
            "answers_sent": request.method == "POST",
        },
        status=409 if request.method == "POST" else 200,
    )


@require_GET
def checkin_done(request: AuthedRequest, administration_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    administration = access.access_in_episode(
        request.user, Administration.objects.all(), administration_id, Act.READ
    )
    response = Response.objects.filter(administration=administration).first()
    if response is None:
        return redirect("checkin_fill", administration_id=administration.pk)
    record_opened(actor=request.user, client_id=request.user.pk, context=audit_context(request))
    tripped = response.critical_tripped or risk_alert_raised(response)
    context = presenter.checkin_done(
        response,
        language=request.user.language,
        risk=tripped,
        crisis=resources_for_person(request.user) if tripped else None,
        follow_up=risk_follow_up(response.episode, timezone.now()) if tripped else None,
        panels=panels.checkin_done(viewer=request.user, response=response),
    )
    return render(request, "web/portal/checkin_done.html", context)


@require_GET
def my_access_log(request: AuthedRequest) -> HttpResponse:
    """Who opened the client's record, and when — in plain words (DESIGN.md, a safe space)."""
    access.require(access.may_use_client_portal(request.user))
    page = Paginator(record_events_by_others(request.user), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "web/portal/access_log.html",
        {"page": page, "visits": access_visits(request.user, list(page.object_list))},
    )
