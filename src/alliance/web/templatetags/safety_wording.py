"""How the safety plan's pages name who saved a version ("you" for the viewer's own).

What was here besides (the nav items, the crisis link, the record panel) moved out of
template tags: the nav and the link to ``web/nav.py``, the panel to
``web/presenters/panels/safety.py``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from alliance.care import access

register = template.Library()


@register.filter
def safety_author(version: Any, viewer: Any) -> str:
    """Who saved a version, as the viewer would say it ("you" for their own)."""
    if viewer is not None and access.same_person(version.author_id, getattr(viewer, "pk", None)):
        return _("you")
    return str(version.author.display_name)
