"""Access-matrix rows for the exercises URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, only, signed_in


def _assignment(cast: Any) -> Any:
    from alliance.exercises.services import assignment_create

    return assignment_create(
        actor=cast.alice, episode=cast.dana_episode, exercise_type="exercise-reflection-journal"
    )


def _entry(cast: Any) -> Any:
    from alliance.exercises.services import entry_submit

    return entry_submit(
        actor=cast.dana,
        assignment=_assignment(cast),
        answers={"rj-entry": "A shared line"},
        shared=True,
    )


ROWS: Rows = {
    "my_exercises": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "exercise_do": (
        lambda c, r: {"assignment_id": _assignment(c).pk},
        {"GET": only({"client": 200}), "POST": only({"client": 400})},
    ),
    "my_exercise_entry": (
        lambda c, r: {"entry_id": _entry(c).pk},
        {"GET": only({"client": 200}), "POST": signed_in(405)},
    ),
    "exercise_entry_sharing": (
        lambda c, r: {"entry_id": _entry(c).pk},
        {"GET": signed_in(405), "POST": only({"client": 400})},
    ),
    "episode_exercises": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "exercise_assign": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 403}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "exercise_withdraw": (
        lambda c, r: {"assignment_id": _assignment(c).pk},
        {"GET": signed_in(405), "POST": only({"therapist": 302, "supervisor": 403})},
    ),
    # Shared with the therapist only: the supervisor does not read it (access.py).
    "exercise_entry_detail": (
        lambda c, r: {"entry_id": _entry(c).pk},
        {"GET": only({"therapist": 200}), "POST": signed_in(405)},
    ),
}
