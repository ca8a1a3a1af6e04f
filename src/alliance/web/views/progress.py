"""Progress over time: the clinician's view of a client's scores, and the client's own.

The pages are built by ``web/presenters/progress.py``; these views decide who may see
them, fetch the scores in one query and record the opening.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from alliance.alerts.selectors import risk_answers_standing
from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.care.selectors import current_or_latest
from alliance.measures.selectors import scored_responses_of
from alliance.notes.selectors import summary_signals_of
from alliance.safety.crisis import resources_for_person
from alliance.web.http import AuthedRequest
from alliance.web.presenters import progress as presenter
from alliance.web.presenters.panels import pages as panels
from alliance.web.presenters.preparation import summary_signals


@require_GET
def client_progress(request: AuthedRequest, client_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    record = access.access_client_record(request.user, client_id)
    record_opened(actor=request.user, client_id=client_id, context=audit_context(request))
    episodes = presenter.clinician_episodes(
        record.episodes,
        scored_responses_of(record.episodes),
        risk_answers_standing(record.episodes),
        {e.pk: panels.progress(viewer=request.user, episode=e) for e in record.episodes},
        summary_signals(summary_signals_of([e.pk for e in record.episodes])),
    )
    return render(
        request,
        "web/workspace/client_progress.html",
        {"client": record.client, "episodes": episodes},
    )


@require_GET
def my_progress(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episodes = tuple(access.episodes_reachable_by(request.user))
    record_opened(actor=request.user, client_id=request.user.pk, context=audit_context(request))
    episode = current_or_latest(episodes)
    shown = episode is not None and episode.client_sees_progress
    risk = risk_answers_standing((episode,)) if episode is not None else {}
    sections = (
        presenter.client_sections(episode, scored_responses_of((episode,)), beside_risk=bool(risk))
        if episode is not None and shown
        else []
    )
    return render(
        request,
        "web/portal/progress.html",
        {
            "episode": episode,
            "shown": shown,
            "sections": sections,
            "risk_standing": bool(risk),
            "crisis": resources_for_person(request.user) if risk else None,
            "panels": panels.progress(viewer=request.user, episode=episode),
        },
    )
