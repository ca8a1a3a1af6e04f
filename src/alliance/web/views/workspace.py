"""The clinician workspace: caseload, a client's record, sessions, invitations."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.accounts.models import Role
from alliance.accounts.services import invitation_create, invitation_link
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.access import Act
from alliance.care.selectors import caseload_for, sessions_of
from alliance.care.services import episode_close as close_episode
from alliance.care.services import session_schedule
from alliance.web.forms import InviteClientForm, SessionForm
from alliance.web.http import AuthedRequest


@require_GET
def caseload(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episodes = list(caseload_for(request.user))
    return render(
        request,
        "web/workspace/caseload.html",
        {
            "treating": [e for e in episodes if e.therapist_id == request.user.pk],
            "supervising": [e for e in episodes if e.supervisor_id == request.user.pk],
        },
    )


@require_GET
def client_record(request: AuthedRequest, client_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    record = access.access_client_record(request.user, client_id)
    audit_record(actor=request.user, action=Action.VIEWED, client_id=client_id, request=request)
    sessions = list(sessions_of(record.episodes))
    now = timezone.now()
    episodes = [
        {
            "episode": episode,
            "sessions": [s for s in sessions if s.episode_id == episode.pk],
            "may_treat": access.may_act_on_episode(request.user, episode, Act.TREAT),
        }
        for episode in record.episodes
    ]
    return render(
        request,
        "web/workspace/client_record.html",
        {"client": record.client, "episodes": episodes, "now": now},
    )


@require_http_methods(["GET", "POST"])
def session_add(request: AuthedRequest, episode_id: int) -> HttpResponse:
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_schedule(
                actor=request.user,
                episode=episode,
                starts_at=form.cleaned_data["starts_at"],
                request=request,
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
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    if request.method == "POST":
        close_episode(actor=request.user, episode=episode, request=request)
        messages.success(request, _("The episode of care is closed. Its record stays readable."))
        return redirect("client_record", client_id=episode.client_id)
    return render(request, "web/workspace/episode_close.html", {"episode": episode})


@require_http_methods(["GET", "POST"])
def client_invite(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_invite_clients(request.user))
    form = InviteClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = invitation_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                role=Role.CLIENT,
                supervisor=form.cleaned_data["supervisor"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            # Shown once, now: only a hash of the token is stored.
            return render(
                request,
                "web/invitation_sent.html",
                {
                    "invitation": issued.invitation,
                    "link": invitation_link(issued.token, request),
                },
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "web/workspace/client_invite.html", {"form": form}, status=status)
