"""The client portal's navigation: which item is current, the unread count, whether a
safety plan exists, worked out once per request and only when a page shows them.

The context processor ``alliance.web.context_processors.portal`` puts ``portal_nav`` on
every page a client sees (``None`` for anyone else: the access module decides who uses
the portal); the templates read it, so no template tag runs a query or asks access. A
view that shows the same count elsewhere on the page (the home's messages card) reads
it from here too, so the page counts once.
"""

from __future__ import annotations

from functools import cached_property

from django.http import HttpRequest

from alliance.accounts.models import User
from alliance.care import access
from alliance.messaging.selectors import unread_counts_for
from alliance.safety.selectors import safety_current_version

# The URL names under each portal nav item: on these pages, the item is the current page.
SECTIONS = {
    "plans": frozenset({"my_plan", "my_plan_print", "my_plan_history", "my_goal_edit"}),
    "exercises": frozenset({"my_exercises", "exercise_do", "my_exercise_entry"}),
    "messages": frozenset({"my_messages", "my_thread"}),
    "preferences": frozenset({"my_preferences", "my_cultural_profile"}),
    "safety": frozenset(
        {
            "my_safety_plan",
            "my_safety_plan_edit",
            "my_safety_plan_versions",
            "my_safety_plan_version",
        }
    ),
}


class PortalNav:
    """What the portal's navigation shows to one client on one page."""

    def __init__(self, viewer: User, url_name: str | None) -> None:
        self._viewer = viewer
        self._url_name = url_name

    def _in(self, section: str) -> bool:
        return self._url_name in SECTIONS[section]

    @property
    def in_plans(self) -> bool:
        return self._in("plans")

    @property
    def in_exercises(self) -> bool:
        return self._in("exercises")

    @property
    def in_messages(self) -> bool:
        return self._in("messages")

    @property
    def in_preferences(self) -> bool:
        return self._in("preferences")

    @property
    def in_safety(self) -> bool:
        return self._in("safety")

    @cached_property
    def unread_by_episode(self) -> dict[int, int]:
        """Unread messages by episode id, in one query for the whole page."""
        return unread_counts_for(self._viewer)

    @property
    def unread(self) -> int:
        return sum(self.unread_by_episode.values())

    @cached_property
    def has_safety_plan(self) -> bool:
        return safety_current_version(self._viewer) is not None


def portal_nav(request: HttpRequest) -> PortalNav | None:
    """The request's portal navigation (one per request), or None when the viewer does not
    use the client portal."""
    user = getattr(request, "user", None)
    if user is None or not access.may_use_client_portal(user):
        return None
    nav: PortalNav | None = getattr(request, "_portal_nav", None)
    if nav is None:
        match = getattr(request, "resolver_match", None)
        nav = PortalNav(user, match.url_name if match is not None else None)
        request._portal_nav = nav  # type: ignore[attr-defined]
    return nav


def unread_by_episode(request: HttpRequest) -> dict[int, int]:
    """The request's unread messages by episode id, as the navigation counts them (one
    query per page); empty for anyone who does not use the portal."""
    nav = portal_nav(request)
    return nav.unread_by_episode if nav is not None else {}
