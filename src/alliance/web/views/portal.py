"""The client portal: plain words, the client's own record only."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.selectors import sessions_of
from alliance.web.http import AuthedRequest


@require_GET
def portal_home(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episodes = tuple(access.episodes_reachable_by(request.user))
    audit_record(
        actor=request.user, action=Action.VIEWED, client_id=request.user.pk, request=request
    )
    now = timezone.now()
    sessions = list(sessions_of(episodes))
    current = next((e for e in episodes if e.is_open), None)
    return render(
        request,
        "web/portal/home.html",
        {
            "current_episode": current,
            "upcoming": [s for s in sessions if s.starts_at > now and s.episode.is_open],
            "past_count": sum(1 for s in sessions if s.starts_at <= now),
        },
    )
