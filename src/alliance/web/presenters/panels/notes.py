"""The notes feature's card on the client's home: their session summaries, and whether
something new is waiting. (The private note never has a panel on a client's page.)"""

from __future__ import annotations

from alliance.accounts.models import User
from alliance.care import access
from alliance.notes.selectors import summaries_count_for
from alliance.web.presenters.panels import Panel


def portal_card(*, viewer: User) -> Panel | None:
    """Shown once the client has a signed summary, in any episode (past ones stay theirs)."""
    if not access.may_use_client_portal(viewer):
        return None
    total, new = summaries_count_for(viewer)
    if not total:
        return None
    return Panel("web/notes/_portal_card.html", {"new": new})
