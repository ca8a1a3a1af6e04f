"""How the plan's pages name a person: "you", "your therapist", or their name.

The wording is chosen in ``web/presenters/people.py``; this tag only lets a template ask.
"""

from __future__ import annotations

from typing import Any

from django import template

from alliance.care.models import Episode
from alliance.web.presenters.people import as_known_to

register = template.Library()


@register.simple_tag(takes_context=True)
def plan_who(context: Any, person: Any, episode: Episode) -> str:
    """A person as the viewer knows them: "you", "your therapist", or their name."""
    return as_known_to(context["request"].user, person, episode)
