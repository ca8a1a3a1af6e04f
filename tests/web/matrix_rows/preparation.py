"""Access-matrix rows for session preparation (see tests/web/test_access_matrix.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.web.matrix import Rows, only, signed_in


def _upcoming_session(cast: Any) -> Any:
    from django.utils import timezone

    from alliance.care.services import session_schedule

    # Tomorrow (within a reminder's day, as a real next session is), or after any session
    # a fuller record (tests/web/test_spanish_pages.py) already has.
    latest = cast.dana_episode.sessions.order_by("-number").first()
    after = max(timezone.now(), latest.starts_at) if latest is not None else timezone.now()
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=after + timedelta(hours=20)
    )


ROWS: Rows = {
    # The clinician's page before a session: the treating therapist, and the supervisor
    # reading it. The client gets a 404 like everyone else: these are the clinician's notes.
    "session_prepare": (
        lambda c, r: {"session_id": _upcoming_session(c).pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
}
