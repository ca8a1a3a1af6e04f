"""The messaging feature's panels: the portal home's card and the client record's line.

Unread counts come in as ``unread_by_episode`` (the portal's navigation already counts
them for the page, ``web/nav.py``), so a page counts once.
"""

from __future__ import annotations

from collections.abc import Mapping

from alliance.accounts.models import User
from alliance.care import access
from alliance.care.models import Episode
from alliance.messaging.selectors import thread_summary
from alliance.web.presenters.panels import Panel


def portal_card(*, episode: Episode | None, unread_by_episode: Mapping[int, int]) -> Panel | None:
    """The client's home: new messages from the therapist, or an invitation to write."""
    if episode is None:
        return None
    return Panel(
        "web/messaging/_portal_card.html", {"unread": unread_by_episode.get(episode.pk, 0)}
    )


def record_panel(
    *, viewer: User, episode: Episode, unread_by_episode: Mapping[int, int]
) -> Panel | None:
    """On the client's record: the treating therapist sees unread messages; a supervisor
    sees how many there are and reads them, read only."""
    if not access.may_act_on_episode(viewer, episode, access.Act.READ):
        return None
    participant = access.is_thread_participant(viewer, episode)
    return Panel(
        "web/messaging/_record_panel.html",
        {
            "episode": episode,
            "participant": participant,
            "unread": unread_by_episode.get(episode.pk, 0) if participant else 0,
            "summary": thread_summary(episode),
        },
    )
