"""Which panels each page shows, in which order: the one list a view asks for.

The pages that gather panels — the client record, the portal home, the two progress
pages and the page after a check-in — each have a function here that calls the features'
panel functions and keeps those with something to show.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from alliance.accounts.models import User
from alliance.care.models import Episode
from alliance.measures.models import Response
from alliance.messaging.selectors import unread_counts_for
from alliance.web.presenters.panels import (
    Panel,
    exercises,
    messaging,
    notes,
    plans,
    preferences,
    safety,
)
from alliance.web.presenters.panels import shown as _shown


@dataclass(frozen=True)
class RecordPanels:
    """The client record's panels: those above the episodes, and those in each episode."""

    top: list[Panel]
    by_episode: Mapping[int, list[Panel]]


def client_record(*, viewer: User, episodes: Sequence[Episode]) -> RecordPanels:
    """``episodes`` are the record's, as the access module let the viewer reach them,
    newest first."""
    unread = unread_counts_for(viewer)
    safety_panel = safety.record_panel(viewer=viewer, episodes=episodes)
    return RecordPanels(
        top=_shown(preferences.record_panel(viewer=viewer, episodes=episodes)),
        by_episode={
            episode.pk: _shown(
                plans.record_panel(viewer=viewer, episode=episode),
                exercises.record_panel(viewer=viewer, episode=episode),
                messaging.record_panel(viewer=viewer, episode=episode, unread_by_episode=unread),
                safety_panel if index == 0 else None,
            )
            for index, episode in enumerate(episodes)
        },
    )


def portal_home(
    *, viewer: User, episode: Episode | None, unread: Mapping[int, int], now: datetime
) -> list[Panel]:
    """The client's home: the cards of the current episode; ``unread`` are the unread
    messages by episode id, as the navigation counted them for the page."""
    return _shown(
        messaging.portal_card(episode=episode, unread_by_episode=unread),
        notes.portal_card(viewer=viewer),
        exercises.portal_card(viewer=viewer, episode=episode),
        plans.portal_card(viewer=viewer, episode=episode, now=now),
        preferences.portal_card(viewer=viewer, episode=episode),
    )


def progress(*, viewer: User, episode: Episode | None) -> list[Panel]:
    """Under the scores, on the client's and the clinician's progress pages: goal ratings
    and exercises."""
    if episode is None:
        return []
    return _shown(
        plans.progress_panel(viewer=viewer, episode=episode),
        exercises.progress_panel(viewer=viewer, episode=episode),
    )


def checkin_done(*, viewer: User, response: Response) -> list[Panel]:
    """After a check-in: the goal ratings and a note of encouragement."""
    return _shown(plans.checkin_done_panel(viewer=viewer, response=response))
