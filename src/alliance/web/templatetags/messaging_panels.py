"""Hooks through which the messaging feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show.
"""

from __future__ import annotations

from typing import Any

from django import template

from alliance.care import access
from alliance.messaging.selectors import thread_summary, unread_counts_for

register = template.Library()

MY_PAGES = ("my_messages", "my_thread")


def _unread_counts(context: dict[str, Any]) -> dict[int, int]:
    """The viewer's unread counts by episode, worked out once per request: the nav item
    (every portal page), the home card and each episode's record panel all read them."""
    request = context["request"]
    counts: dict[int, int] | None = getattr(request, "_unread_message_counts", None)
    if counts is None:
        counts = unread_counts_for(request.user)
        request._unread_message_counts = counts
    return counts


@register.inclusion_tag("web/messaging/_nav.html", takes_context=True)
def messaging_nav(context: dict[str, Any]) -> dict[str, Any]:
    """The client's "Messages" item, with the unread count said in words for screen
    readers and shown as a badge."""
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    return {
        "unread": sum(_unread_counts(context).values()),
        "current": match is not None and match.url_name in MY_PAGES,
    }


@register.inclusion_tag("web/messaging/_portal_card.html", takes_context=True)
def messaging_portal_card(context: dict[str, Any], episode: Any) -> dict[str, Any]:
    if episode is None:
        return {"show": False}
    return {"show": True, "unread": _unread_counts(context).get(episode.pk, 0)}


@register.inclusion_tag("web/messaging/_record_panel.html", takes_context=True)
def messaging_record_panel(context: dict[str, Any], episode: Any) -> dict[str, Any]:
    """On the client's record: the treating therapist sees unread messages; a supervisor
    sees how many there are and reads them, read only."""
    user = context["request"].user
    if episode is None or not access.may_act_on_episode(user, episode, access.Act.READ):
        return {"show": False}
    participant = access.is_thread_participant(user, episode)
    return {
        "show": True,
        "episode": episode,
        "participant": participant,
        "unread": _unread_counts(context).get(episode.pk, 0) if participant else 0,
        "summary": thread_summary(episode),
    }
