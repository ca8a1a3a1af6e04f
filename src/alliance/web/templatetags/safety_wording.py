"""How the safety plan's pages name who saved a version ("you" for the viewer's own).

The wording is chosen in ``web/presenters/people.py``; this filter only lets a template ask.
"""

from __future__ import annotations

from typing import Any

from django import template

from alliance.web.presenters.people import author_as_known_to

register = template.Library()


@register.filter
def safety_author(version: Any, viewer: Any) -> str:
    """Who saved a version, as the viewer would say it ("you" for their own)."""
    return author_as_known_to(viewer, version)
