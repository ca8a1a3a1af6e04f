"""The safety feature's panel on the clinician's record: is there a plan, when and by
whom it last changed. (The portal's link to the plan, on every client page, is the
navigation's: ``web/nav.py``.)"""

from __future__ import annotations

from collections.abc import Sequence

from alliance.accounts.models import User
from alliance.care import access
from alliance.care.models import Episode
from alliance.safety.selectors import safety_current_version
from alliance.web.presenters.panels import Panel


def record_panel(*, viewer: User, episodes: Sequence[Episode]) -> Panel | None:
    """The plan belongs to the client, not to an episode: it is shown once, in the newest
    episode this viewer can see — the first of ``episodes``, the record's episodes as the
    access module let the viewer reach them (reaching the client through an episode is
    what reading their plan takes, ``access.may_read_safety_plan``)."""
    if not episodes or access.is_client(viewer):
        return None
    client = episodes[0].client
    return Panel(
        "web/safety/_record_panel.html",
        {
            "version": safety_current_version(client),
            "client_id": client.pk,
            "may_edit": access.may_edit_safety_plan(viewer, client),
        },
    )
