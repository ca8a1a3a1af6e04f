"""How a page names a person to the one reading it: "you", "your therapist (…)", or a name.

Template tags (``plan_wording``, ``safety_wording``) only call these, so the question of
who the reader is to the person is asked of ``care/access.py`` here, not in a tag.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from alliance.care import access
from alliance.care.models import Episode


def as_known_to(viewer: Any, person: Any, episode: Episode) -> str:
    """A person as the viewer knows them in an episode: "you", "your therapist", a name."""
    if person is None:
        return ""
    if access.same_person(person.pk, viewer.pk):
        return _("you")
    if access.is_episode_client(viewer, episode) and access.is_treating_therapist(person, episode):
        return _("your therapist (%(name)s)") % {"name": person.display_name}
    return str(person.display_name)


def author_as_known_to(viewer: Any, version: Any) -> str:
    """Who saved a version, as the viewer would say it ("you" for their own)."""
    if viewer is not None and access.same_person(version.author_id, getattr(viewer, "pk", None)):
        return _("you")
    return str(version.author.display_name)
