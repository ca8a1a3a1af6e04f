"""Hooks through which the exercises feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def exercises_nav(context: dict[str, Any]) -> str:
    return ""


@register.simple_tag(takes_context=True)
def exercises_portal_card(context: dict[str, Any], episode: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def exercises_record_panel(context: dict[str, Any], episode: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def exercises_progress_panel(context: dict[str, Any], episode: Any) -> str:
    return ""
