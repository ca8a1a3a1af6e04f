"""The exercises feature's panels: the portal home's to-do card, the record's panel and
the progress pages' completion table. No panel shows the content of an entry except
through ``alliance.care.access`` (for a clinician, entries shared with them only)."""

from __future__ import annotations

from alliance.accounts.models import User
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.exercises import selectors
from alliance.web.presenters.panels import Panel

LATEST_SHARED = 3


def portal_card(*, viewer: User, episode: Episode | None) -> Panel | None:
    """The client's home: the exercises they have not done yet."""
    if episode is None or not access.may_act_on_episode(viewer, episode, Act.READ):
        return None
    if not access.is_episode_client(viewer, episode):
        return None
    to_do = selectors.to_do([episode], viewer=viewer)
    return Panel("web/exercises/_portal_card.html", {"to_do": to_do}) if to_do else None


def record_panel(*, viewer: User, episode: Episode) -> Panel | None:
    """The clinician's record: current assignments and the latest entries shared."""
    if not access.may_act_on_episode(viewer, episode, Act.READ) or access.is_client(viewer):
        return None
    return Panel(
        "web/exercises/_record_panel.html",
        {
            "episode": episode,
            "current": list(selectors.live_assignments([episode], viewer=viewer)),
            "latest": list(selectors.shared_entries([episode], viewer=viewer)[:LATEST_SHARED]),
            "may_assign": access.may_assign_exercise(viewer, episode),
        },
    )


def progress_panel(*, viewer: User, episode: Episode) -> Panel | None:
    """Both progress pages: how many exercises were done, with the table."""
    if not access.may_act_on_episode(viewer, episode, Act.READ):
        return None
    assignments = list(selectors.live_assignments([episode], viewer=viewer))
    if not assignments:
        return None
    clinical = not access.is_client(viewer)
    return Panel(
        "web/exercises/_progress_panel.html",
        {
            "episode": episode,
            "assignments": assignments,
            "completion": selectors.completion(assignments),
            "clinical": clinical,
            # The client's progress page has the panel under its h1; the workspace, under an h2.
            "heading_level": 3 if clinical else 2,
        },
    )
