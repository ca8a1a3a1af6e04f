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
    """Dana's first session (a fuller record, tests/web/test_spanish_pages.py, has some),
    else one held yesterday. Its summary stays a draft, so that the form catalogue
    (tests/forms_catalogue.py) finds the draft's form."""
    from django.utils import timezone

    from alliance.care.services import session_schedule

    first = cast.dana_episode.sessions.order_by("number").first()
    if first is not None:
        return first
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(days=1)
    )


def danas_signed_summary(cast: Any) -> Any:
    """A signed summary of another of Dana's sessions (one after all the others if need be)."""
    from alliance.care.services import session_schedule
    from alliance.notes.models import SessionSummary
    from alliance.notes.services import summary_sign

    first = held_session(cast)
    session = cast.dana_episode.sessions.exclude(pk=first.pk).order_by("-number").first()
    if session is None:
        session = session_schedule(
            actor=cast.alice,
            episode=cast.dana_episode,
            starts_at=first.starts_at + timedelta(hours=1),
        )
    signed = SessionSummary.objects.filter(session=session, signed_at__isnull=False).first()
    return signed or summary_sign(
        actor=cast.alice, session=session, parts={"decided": "Walk each morning"}
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
    # Eve has no summary: Dana's is a 404 for her, as for everyone but Dana. Dana's POST
    # is her reply ("Is this how you remember it?"): empty, it is a 400.
    "my_summary": (
        lambda c, r: {"summary_id": danas_signed_summary(c).pk},
        {"GET": only({"client": 200}), "POST": only({"client": 400})},
    ),
}
