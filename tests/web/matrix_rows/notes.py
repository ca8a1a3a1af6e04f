"""Access-matrix rows for the notes after a session (see tests/web/test_access_matrix.py).

The private note: its author (the treating therapist) and the supervisor, reading; the
client, another therapist and the admin get a 404 like for a missing record. The shared
summary's clinician page: the same people. The client reads their signed summaries on
their own pages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.web.matrix import Rows, only, signed_in


def held_session(cast: Any) -> Any:
    """A session of Dana's that was held yesterday."""
    from django.utils import timezone

    from alliance.care.services import session_schedule

    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(days=1)
    )


def danas_signed_summary(cast: Any) -> Any:
    from alliance.notes.services import summary_sign

    return summary_sign(
        actor=cast.alice,
        session=held_session(cast),
        parts={"decided": "Walk each morning"},
    )


ROWS: Rows = {
    "session_note": (
        lambda c, r: {"session_id": held_session(c).pk},
        {
            "GET": only({"therapist": 200, "supervisor": 200}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "session_summary": (
        lambda c, r: {"session_id": held_session(c).pk},
        {
            "GET": only({"therapist": 200, "supervisor": 200}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "my_summaries": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    # Eve has no summary: Dana's is a 404 for her, as for everyone but Dana.
    "my_summary": (
        lambda c, r: {"summary_id": danas_signed_summary(c).pk},
        {"GET": only({"client": 200}), "POST": signed_in(405)},
    ),
}
