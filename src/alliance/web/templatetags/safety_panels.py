"""Hooks through which the safety feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from alliance.care import access
from alliance.safety.selectors import safety_current_version

register = template.Library()

NAV_PAGES = frozenset(
    {"my_safety_plan", "my_safety_plan_edit", "my_safety_plan_versions", "my_safety_plan_version"}
)


def _viewer(context: Any) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


@register.simple_tag(takes_context=True)
def safety_nav(context: dict[str, Any]) -> str:
    """The client's "My safety plan" item, on every portal page: one tap away."""
    viewer = _viewer(context)
    if viewer is None or not access.may_use_client_portal(viewer):
        return ""
    match = getattr(context["request"], "resolver_match", None)
    current = match is not None and match.url_name in NAV_PAGES
    return render_to_string("web/safety/_nav.html", {"current": current})


@register.simple_tag(takes_context=True)
def safety_nav_outside_portal(context: dict[str, Any]) -> str:
    """The same link on the pages that are not portal pages but a client still reaches:
    account pages (password, two-factor, sessions), printouts, error pages. Without it the
    "one tap away from every page" promise would stop at the portal's edge."""
    viewer = _viewer(context)
    if viewer is None or not access.may_use_client_portal(viewer):
        return ""
    return render_to_string("web/safety/_nav_outside_portal.html", {"current": False})


@register.simple_tag(takes_context=True)
def safety_record_panel(context: dict[str, Any], episode: Any) -> str:
    """On the therapist's record: is there a plan, when and by whom it last changed.

    The plan belongs to the client, not to an episode: it is shown once, in the
    newest episode this viewer can see.
    """
    viewer = _viewer(context)
    if episode is None or viewer is None or access.is_client(viewer):
        return ""
    # Reaching the client through an episode is what reading their plan takes
    # (access.may_read_safety_plan), so this one query answers both questions.
    newest = access.episodes_reachable_by(viewer).filter(client_id=episode.client_id).first()
    if newest is None or newest.pk != episode.pk:
        return ""
    client = episode.client
    return render_to_string(
        "web/safety/_record_panel.html",
        {
            "version": safety_current_version(client),
            "client_id": client.pk,
            "may_edit": access.may_edit_safety_plan(viewer, client),
        },
    )


@register.simple_tag(takes_context=True)
def safety_crisis_link(context: dict[str, Any]) -> str:
    """In the crisis box: straight to the plan (which shows the crisis lines if none yet)."""
    viewer = _viewer(context)
    if viewer is None or not access.may_use_client_portal(viewer):
        return ""
    return render_to_string(
        "web/safety/_crisis_link.html",
        {"has_plan": safety_current_version(viewer) is not None},
    )


@register.filter
def safety_author(version: Any, viewer: Any) -> str:
    """Who saved a version, as the viewer would say it ("you" for their own)."""
    if viewer is not None and access.same_person(version.author_id, getattr(viewer, "pk", None)):
        return _("you")
    return str(version.author.display_name)
