"""Hooks through which the exercises feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show. No tag here shows the content of an entry
except through ``alliance.care.access`` (for a clinician, entries shared with them only).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.exercises import selectors
from alliance.exercises.catalogue import CLINICAL_NAMES, ExerciseType

register = template.Library()

NAV_URL_NAMES = ("my_exercises", "exercise_do", "my_exercise_entry")
LATEST_SHARED = 3


def _viewer(context: Any) -> Any:
    return context["request"].user


def _may_read(viewer: Any, episode: Any) -> bool:
    return isinstance(episode, Episode) and access.may_act_on_episode(viewer, episode, Act.READ)


@register.filter
def exercise_clinical_name(obj: Any) -> str:
    """The field's name of an assignment's (or entry's assignment's) exercise."""
    assignment = getattr(obj, "assignment", obj)
    return str(CLINICAL_NAMES[ExerciseType(assignment.exercise_type)])


@register.filter
def private_count(assignment: Any) -> int:
    """Entries the viewer may know exist but not read."""
    return int(assignment.entry_count) - int(assignment.shared_count)


@register.simple_tag(takes_context=True)
def exercises_nav(context: Any) -> str:
    match = getattr(context["request"], "resolver_match", None)
    current = match is not None and match.url_name in NAV_URL_NAMES
    return format_html(
        '<li><a href="{}"{}>{}</a></li>',
        reverse("my_exercises"),
        mark_safe(' aria-current="page"') if current else "",
        _("Exercises"),
    )


@register.inclusion_tag("web/exercises/_portal_card.html", takes_context=True)
def exercises_portal_card(context: Any, episode: Any) -> dict[str, Any]:
    viewer = _viewer(context)
    if (
        episode is None
        or not _may_read(viewer, episode)
        or not access.is_episode_client(viewer, episode)
    ):
        return {"to_do": [], "hidden": True}
    to_do = selectors.to_do([episode], viewer=viewer)
    return {"to_do": to_do, "hidden": not to_do}


@register.inclusion_tag("web/exercises/_record_panel.html", takes_context=True)
def exercises_record_panel(context: Any, episode: Any) -> dict[str, Any]:
    viewer = _viewer(context)
    if not _may_read(viewer, episode) or access.is_client(viewer):
        return {"hidden": True}
    return {
        "hidden": False,
        "episode": episode,
        "current": list(selectors.live_assignments([episode], viewer=viewer)),
        "latest": list(selectors.shared_entries([episode], viewer=viewer)[:LATEST_SHARED]),
        "may_assign": access.may_assign_exercise(viewer, episode),
    }


@register.inclusion_tag("web/exercises/_progress_panel.html", takes_context=True)
def exercises_progress_panel(context: Any, episode: Any) -> dict[str, Any]:
    viewer = _viewer(context)
    if not _may_read(viewer, episode):
        return {"hidden": True}
    assignments = list(selectors.live_assignments([episode], viewer=viewer))
    if not assignments:
        return {"hidden": True}
    clinical = not access.is_client(viewer)
    return {
        "hidden": False,
        "episode": episode,
        "assignments": assignments,
        "completion": selectors.completion(assignments),
        "clinical": clinical,
        # The client's progress page has the panel under its h1; the workspace, under an h2.
        "heading_level": 3 if clinical else 2,
    }
