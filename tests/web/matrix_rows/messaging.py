"""Access-matrix rows for the messaging URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from tests.web.matrix import Rows, only, signed_in

# The matrix sends an empty POST: an empty message is refused (400) where sending is
# allowed; a supervisor may read the thread (200) but never send (403).
ROWS: Rows = {
    "my_messages": (
        None,
        {
            "GET": only({"client": 200, "other_client": 200}),
            "POST": only({"client": 400, "other_client": 400}),
        },
    ),
    "my_thread": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {"GET": only({"client": 200}), "POST": only({"client": 400})},
    ),
    "episode_messages": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 200}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "message_threads": (
        None,
        {
            "GET": only({"therapist": 200, "other_therapist": 200, "supervisor": 200}),
            "POST": signed_in(405),
        },
    ),
    "office_hours": (
        None,
        {
            "GET": only({"therapist": 200, "other_therapist": 200}),
            "POST": only({"therapist": 400, "other_therapist": 400}),
        },
    ),
}
