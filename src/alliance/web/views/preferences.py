"""Treatment preferences, the session agenda and the cultural profile.

The client writes all three from the portal and chooses who reads their preferences and
each part of the profile; the therapist (and the supervisor) read them on the client's
record as the client chose (see ``presenters/panels/preferences.py``), and the
therapist marks agenda items talked about.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliance.audit.context import audit_context
from alliance.care import access
from alliance.care.access import Act, Sharing
from alliance.care.models import Episode
from alliance.preferences.models import AgendaItem, CulturalProfile
from alliance.preferences.selectors import (
    agenda_for_next_session,
    cultural_profile_for,
    episode_for_client_pages,
    latest_preferences,
    recently_closed_agenda,
)
from alliance.preferences.services import (
    agenda_item_add,
    agenda_item_mark_discussed,
    agenda_item_withdraw,
    cultural_profile_save,
    preferences_save,
)
from alliance.web.forms_preferences import AgendaItemForm, CulturalProfileForm, PreferencesForm
from alliance.web.http import AuthedRequest
from alliance.web.sharing import agenda_added_sentence, preferences_saved_sentence


def _client_episode(request: AuthedRequest, act: Act) -> Episode | None:
    """The client's episode for these pages; for a write, it must be open (else 403)."""
    access.require(access.may_use_client_portal(request.user))
    episode = episode_for_client_pages(request.user)
    if act is Act.READ:
        return episode
    if episode is None:
        raise Http404
    return access.access_episode(request.user, episode.pk, act)


def _preferences_page(
    request: AuthedRequest,
    episode: Episode | None,
    *,
    form: PreferencesForm | None = None,
    agenda_form: AgendaItemForm | None = None,
    agenda_error: str = "",
    status: int = 200,
) -> HttpResponse:
    latest = latest_preferences(episode) if episode else None
    if form is None and episode is not None:
        initial: dict[str, Any] = {}
        if latest is not None:
            initial = {
                **latest.answers,
                "hopes": latest.hopes,
                "working_together": latest.working_together,
            }
        form = PreferencesForm(
            initial=initial,
            episode=episode,
            sharing=latest.sharing if latest is not None else Sharing.THERAPIST,
        )
    now = timezone.now()
    upcoming, agenda = agenda_for_next_session(episode, now) if episode else (None, [])
    return render(
        request,
        "web/preferences/my_preferences.html",
        {
            "episode": episode,
            "latest": latest,
            "form": form,
            "agenda_form": agenda_form or AgendaItemForm(initial={"back": "preferences"}),
            "agenda_error": agenda_error,
            "agenda": agenda,
            "recently_closed": recently_closed_agenda(episode, now) if episode else [],
            "next_session": upcoming,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def my_preferences(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return _preferences_page(request, _client_episode(request, Act.READ))
    episode = _client_episode(request, Act.CONTRIBUTE)
    assert episode is not None
    form = PreferencesForm(request.POST, episode=episode)
    if form.is_valid():
        try:
            saved = preferences_save(
                actor=request.user,
                episode=episode,
                answers=form.answers(),
                hopes=form.cleaned_data["hopes"],
                working_together=form.cleaned_data["working_together"],
                sharing=form.sharing,
                context=audit_context(request),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, preferences_saved_sentence(episode, saved.sharing))
            return redirect("my_preferences")
    return _preferences_page(request, episode, form=form, status=400)


@require_POST
def agenda_add(request: AuthedRequest) -> HttpResponse:
    episode = _client_episode(request, Act.CONTRIBUTE)
    assert episode is not None
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        try:
            agenda_item_add(
                actor=request.user,
                episode=episode,
                text=form.cleaned_data["text"],
                context=audit_context(request),
            )
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(request, agenda_added_sentence(episode))
            if form.cleaned_data.get("back") == "home":
                return redirect("portal_home")
            return redirect("my_preferences")
    return _preferences_page(request, episode, agenda_form=form, status=400)


@require_POST
def agenda_withdraw(request: AuthedRequest, item_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    item = access.access_in_episode(
        request.user, AgendaItem.objects.select_related("episode"), item_id, Act.CONTRIBUTE
    )
    try:
        agenda_item_withdraw(actor=request.user, item=item, context=audit_context(request))
    except ValidationError as error:
        return _preferences_page(
            request, item.episode, agenda_error=" ".join(error.messages), status=400
        )
    messages.success(request, _("Taken off the list."))
    return redirect("my_preferences")


@require_POST
def agenda_discussed(request: AuthedRequest, item_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    item = access.access_in_episode(
        request.user, AgendaItem.objects.select_related("episode"), item_id, Act.TREAT
    )
    try:
        agenda_item_mark_discussed(actor=request.user, item=item, context=audit_context(request))
    except ValidationError as error:
        return render(
            request,
            "web/preferences/agenda_problem.html",
            {"message": " ".join(error.messages), "client_id": item.episode.client_id},
            status=400,
        )
    messages.success(request, _("Marked as talked about."))
    return redirect("client_record", client_id=item.episode.client_id)


@require_http_methods(["GET", "POST"])
def my_cultural_profile(request: AuthedRequest) -> HttpResponse:
    posted = request.method == "POST"
    episode = _client_episode(request, Act.CONTRIBUTE if posted else Act.READ)
    profile = CulturalProfile.objects.filter(episode=episode).first() if episode else None
    form = _cultural_profile_form(request, episode, profile)
    if posted and form is not None and form.is_valid():
        assert episode is not None
        if _save_cultural_profile(request, episode, form):
            messages.success(
                request, _("Saved. Each part is read only by the people you chose for it.")
            )
            return redirect("my_cultural_profile")
    return render(
        request,
        "web/preferences/cultural_profile.html",
        {
            "episode": episode,
            "profile": profile,
            "form": form,
            "lines": cultural_profile_for(request.user, episode) if episode else [],
        },
        status=400 if posted else 200,
    )


def _cultural_profile_form(
    request: AuthedRequest, episode: Episode | None, profile: CulturalProfile | None
) -> CulturalProfileForm | None:
    """No form without an episode: there is nowhere to keep what would be written."""
    if episode is None:
        return None
    data = request.POST if request.method == "POST" else None
    return CulturalProfileForm(data, episode=episode, profile=profile)


def _save_cultural_profile(
    request: AuthedRequest, episode: Episode, form: CulturalProfileForm
) -> bool:
    """Save the profile; ``False`` with the refusal on the form."""
    try:
        cultural_profile_save(
            actor=request.user,
            episode=episode,
            parts=form.texts(),
            shared=form.shared(),
            shared_with_supervisor=form.shared_with_supervisor(),
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True
