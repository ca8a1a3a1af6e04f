"""Hooks through which the preferences feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show. The cultural profile and the preferences
go through the access policy (``may_read_cultural_part``, ``may_read_preferences``): what
the client did not share with a clinician never reaches that clinician's page.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.http import Http404

from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.preferences.selectors import (
    agenda_for_next_session,
    cultural_profile_for,
    preference_lines,
    preferences_for,
)
from alliance.web.forms_preferences import AgendaItemForm

register = template.Library()

NAV_PAGES = ("my_preferences", "my_cultural_profile")


@register.inclusion_tag("web/preferences/_nav.html", takes_context=True)
def preferences_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    return {
        "show": access.may_use_client_portal(request.user),
        "current": bool(match and match.url_name in NAV_PAGES),
    }


@register.inclusion_tag("web/preferences/_portal_card.html", takes_context=True)
def preferences_portal_card(context: dict[str, Any], episode: Episode | None) -> dict[str, Any]:
    viewer = context["request"].user
    if episode is None or not access.is_episode_client(viewer, episode):
        return {"show": False}
    if not access.may_act_on_episode(viewer, episode, Act.READ):
        return {"show": False}
    upcoming, agenda = agenda_for_next_session(episode)
    return {
        "show": True,
        "episode": episode,
        "may_add": access.may_act_on_episode(viewer, episode, Act.CONTRIBUTE),
        "agenda": agenda,
        "next_session": upcoming,
        "has_preferences": episode.preference_versions.exists(),
        "form": AgendaItemForm(initial={"back": "home"}, auto_id="id_home_%s"),
    }


@register.inclusion_tag("web/preferences/_record_panel.html", takes_context=True)
def preferences_record_panel(context: dict[str, Any], client: Any) -> dict[str, Any]:
    viewer = context["request"].user
    try:
        record = access.access_client_record(viewer, client.pk)
    except Http404:
        return {"show": False}
    episode = record.open_episodes[0] if record.open_episodes else record.episodes[0]
    latest = preferences_for(viewer, episode)
    upcoming, agenda = (
        agenda_for_next_session(episode) if access.may_read_agenda(viewer, episode) else (None, [])
    )
    return {
        "show": True,
        "episode": episode,
        "latest": latest,
        "lines": preference_lines(latest),
        "cultural": cultural_profile_for(viewer, episode),
        "agenda": agenda,
        "next_session": upcoming,
        "may_mark": access.may_mark_agenda_discussed(viewer, episode),
    }
