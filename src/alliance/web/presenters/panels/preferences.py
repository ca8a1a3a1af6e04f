"""The preferences feature's panels: the portal home's agenda card and the record's
preferences. The cultural profile and the preferences go through the access policy
(``may_read_cultural_part``, ``may_read_preferences``, in the selectors): what the client
did not share with a clinician never reaches that clinician's page."""

from __future__ import annotations

from collections.abc import Sequence

from alliance.accounts.models import User
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
from alliance.web.presenters.panels import Panel


def portal_card(*, viewer: User, episode: Episode | None) -> Panel | None:
    """The client's home: what they would like to bring to the next session."""
    if episode is None or not access.is_episode_client(viewer, episode):
        return None
    if not access.may_act_on_episode(viewer, episode, Act.READ):
        return None
    upcoming, agenda = agenda_for_next_session(episode)
    return Panel(
        "web/preferences/_portal_card.html",
        {
            "episode": episode,
            "may_add": access.may_act_on_episode(viewer, episode, Act.CONTRIBUTE),
            "agenda": agenda,
            "next_session": upcoming,
            "has_preferences": episode.preference_versions.exists(),
            "form": AgendaItemForm(initial={"back": "home"}, auto_id="id_home_%s"),
        },
    )


def record_panel(*, viewer: User, episodes: Sequence[Episode]) -> Panel | None:
    """The clinician's record, once above the episodes: the preferences and cultural
    profile of the open episode (else the newest), as far as shared with this viewer.
    ``episodes`` are the record's, as the access module let the viewer reach them."""
    if not episodes:
        return None
    episode = next((e for e in episodes if e.is_open), episodes[0])
    latest = preferences_for(viewer, episode)
    upcoming, agenda = (
        agenda_for_next_session(episode) if access.may_read_agenda(viewer, episode) else (None, [])
    )
    return Panel(
        "web/preferences/_record_panel.html",
        {
            "episode": episode,
            "latest": latest,
            "lines": preference_lines(latest),
            "cultural": cultural_profile_for(viewer, episode),
            "agenda": agenda,
            "next_session": upcoming,
            "may_mark": access.may_mark_agenda_discussed(viewer, episode),
        },
    )
