"""Secure messages: the client's thread, the therapist's threads, office hours."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.audit.context import audit_context
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.care.selectors import current_or_latest
from alliance.localtime import practice_zone_name, zone_label
from alliance.messaging.selectors import (
    TherapistHours,
    describe_hours_for_reader,
    office_hours_of,
    thread_messages,
    threads_for_clinician,
)
from alliance.messaging.services import (
    default_auto_reply,
    message_send,
    office_hours_set,
    thread_open,
)
from alliance.safety.crisis import resources_for_person
from alliance.web.forms_messaging import MessageForm, OfficeHoursForm
from alliance.web.http import AuthedRequest, site_url


def _thread_page(
    request: AuthedRequest, episode: Episode, template: str, back_to: str, extra: dict[str, Any]
) -> HttpResponse:
    """GET shows the thread and marks it read; POST sends, then back to the thread (PRG)."""
    form = MessageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        access.require_send_message(request.user, episode)
        if form.is_valid():
            try:
                message_send(
                    actor=request.user,
                    episode=episode,
                    body=form.cleaned_data["body"],
                    context=audit_context(request),
                    base_url=site_url(request),
                )
            except ValidationError as error:
                form.add_error("body", error)
            else:
                messages.success(request, _("Your message is sent."))
                return redirect(back_to + "#latest")
        status = 400
    else:
        thread_open(actor=request.user, episode=episode, context=audit_context(request))
    office = office_hours_of(episode.therapist)
    office_hours, zone = describe_hours_for_reader(office.hours)
    context = {
        "episode": episode,
        "thread": list(thread_messages(episode)),
        "form": form,
        "may_send": access.may_send_message(request.user, episode),
        "office": office,
        "office_hours": office_hours,
        "in_hours": office.is_open(),
        "time_zone": zone,
        **extra,
    }
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def my_messages(request: AuthedRequest) -> HttpResponse:
    """The client's thread with their current therapist (or their latest, once closed)."""
    access.require(access.may_use_client_portal(request.user))
    episodes = list(access.episodes_reachable_by(request.user))
    current = current_or_latest(episodes)
    if current is None:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "web/messaging/client_thread.html", {"episode": None})
    return _client_thread(request, current, episodes, reverse("my_messages"))


@require_http_methods(["GET", "POST"])
def my_thread(request: AuthedRequest, episode_id: int) -> HttpResponse:
    """A thread of one of the client's episodes: past ones stay readable."""
    access.require(access.may_use_client_portal(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    episodes = list(access.episodes_reachable_by(request.user))
    return _client_thread(request, episode, episodes, reverse("my_thread", args=[episode.pk]))


def _client_thread(
    request: AuthedRequest, episode: Episode, episodes: list[Episode], back_to: str
) -> HttpResponse:
    return _thread_page(
        request,
        episode,
        "web/messaging/client_thread.html",
        back_to,
        {
            "crisis": resources_for_person(request.user),
            "other_episodes": [e for e in episodes if e.pk != episode.pk],
        },
    )


@require_http_methods(["GET", "POST"])
def episode_messages(request: AuthedRequest, episode_id: int) -> HttpResponse:
    """The thread in the workspace: the treating therapist writes, the supervisor reads."""
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    return _thread_page(
        request,
        episode,
        "web/messaging/workspace_thread.html",
        reverse("episode_messages", args=[episode.pk]),
        {"is_supervisor": not access.is_treating_therapist(request.user, episode)},
    )


@require_GET
def message_threads(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episodes = threads_for_clinician(request.user)
    return render(
        request,
        "web/messaging/workspace_list.html",
        {
            "treating": [e for e in episodes if access.is_treating_therapist(request.user, e)],
            "supervising": [
                e for e in episodes if not access.is_treating_therapist(request.user, e)
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def office_hours(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_set_office_hours(request.user))
    current = office_hours_of(request.user)
    form = _office_hours_form(request, current)
    posted = request.method == "POST"
    if posted and form.is_valid() and _save_office_hours(request, form):
        messages.success(request, _("Your office hours are saved."))
        return redirect("office_hours")
    return render(
        request,
        "web/messaging/office_hours.html",
        {
            "form": form,
            "is_set": current.is_set,
            "standard_reply": default_auto_reply(current.hours),
            # Office hours are kept on the practice's clock, whatever the reader's zone.
            "time_zone": zone_label(practice_zone_name()),
        },
        status=400 if posted else 200,
    )


def _office_hours_form(request: AuthedRequest, current: TherapistHours) -> OfficeHoursForm:
    initial = {
        "days": sorted(current.hours.days),
        "starts_at": current.hours.start,
        "ends_at": current.hours.end,
        "auto_reply": current.auto_reply,
    }
    return OfficeHoursForm(request.POST if request.method == "POST" else None, initial=initial)


def _save_office_hours(request: AuthedRequest, form: OfficeHoursForm) -> bool:
    """Save the hours; ``False`` with the refusal on the form."""
    try:
        office_hours_set(
            actor=request.user,
            days=form.cleaned_data["days"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            auto_reply=form.cleaned_data["auto_reply"],
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True
