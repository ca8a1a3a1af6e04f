"""Access-matrix rows for the plans URLs (see tests/web/test_access_matrix.py).

A kwargs maker is ``lambda cast, records: {...}``; it may create the objects it needs
(each case runs in its own transaction).
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, only, signed_in


def dana_goal(cast: Any, records: Any) -> dict[str, int]:
    """A goal Alice proposed in Dana's episode, waiting for Dana's agreement."""
    from alliance.plans.services import goal_propose

    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Walk to the park")
    return {"goal_id": goal.pk}


def dana_episode(cast: Any, records: Any) -> dict[str, int]:
    return {"episode_id": cast.dana_episode.pk}


CLIENT_PAGE = {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)}
CLINIC_PAGE = {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)}
CLINIC_WRITE = {
    "GET": signed_in(405),
    "POST": only({"therapist": 400, "supervisor": 403}),
}

ROWS: Rows = {
    "my_plan": (None, CLIENT_PAGE),
    "my_plan_print": (None, CLIENT_PAGE),
    "my_plan_history": (None, CLIENT_PAGE),
    "my_goal_propose": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 400, "other_client": 400})},
    ),
    "my_goals_rate": (
        None,
        {"GET": signed_in(405), "POST": only({"client": 400, "other_client": 400})},
    ),
    "my_goal_edit": (dana_goal, {"GET": only({"client": 200}), "POST": only({"client": 400})}),
    "my_goal_agree": (dana_goal, {"GET": signed_in(405), "POST": only({"client": 400})}),
    "my_goal_close": (dana_goal, {"GET": signed_in(405), "POST": only({"client": 400})}),
    "episode_plan": (dana_episode, CLINIC_PAGE),
    "episode_plan_print": (dana_episode, CLINIC_PAGE),
    "episode_plan_history": (dana_episode, CLINIC_PAGE),
    "episode_goal_propose": (dana_episode, CLINIC_WRITE),
    "plan_summary_edit": (dana_episode, CLINIC_WRITE),
    "plan_review_set": (dana_episode, CLINIC_WRITE),
    "goal_edit": (
        dana_goal,
        {
            "GET": only({"therapist": 200, "supervisor": 403}),
            "POST": only({"therapist": 400, "supervisor": 403}),
        },
    ),
    "goal_agree": (dana_goal, CLINIC_WRITE),
    "goal_close": (dana_goal, CLINIC_WRITE),
}
