"""How the plan's pages name a person: "you", "your therapist", or their name.

What was here besides (the plan's nav item, its cards and panels) moved out of template
tags: the nav to ``web/nav.py``, the panels to ``web/presenters/panels/plans.py``.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from alliance.care import access
from alliance.care.models import Episode

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_who(context: Any, person: Any, episode: Episode) -> str:
    """A person as the viewer knows them: "you", "your therapist", or their name."""
    if person is None:
        return ""
    viewer = context["request"].user
    if access.same_person(person.pk, viewer.pk):
        return _("you")
    if access.is_episode_client(viewer, episode) and access.is_treating_therapist(person, episode):
        return _("your therapist (%(name)s)") % {"name": person.display_name}
    return str(person.display_name)
