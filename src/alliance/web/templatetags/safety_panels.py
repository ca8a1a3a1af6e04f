"""Hooks through which the safety feature shows on shared pages.

Each tag is placed in a shared template (portal and workspace pages); it receives the
request context (``request.user`` is the viewer, already allowed on the page) and
renders nothing when there is nothing to show.
"""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def safety_nav(context: dict[str, Any]) -> str:
    return ""


@register.simple_tag(takes_context=True)
def safety_record_panel(context: dict[str, Any], episode: Any) -> str:
    return ""


@register.simple_tag(takes_context=True)
def safety_crisis_link(context: dict[str, Any]) -> str:
    return ""
