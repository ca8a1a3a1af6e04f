"""Every free-text field of the plan is encrypted at rest and reads back decrypted."""

from __future__ import annotations

from typing import Any

from tests.sentinel import run_on_database_file

LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")

# The sentinel is assembled at run time so that the script's own text never holds it.
SCRIPT = """
from alliance.care.services import episode_open
from alliance.plans.models import Goal, GoalVersion, PlanSummaryVersion
from alliance.plans.services import goal_agree, goal_propose, goal_reword, plan_summary_update
from tests.conftest import make_user
mark = "SENTINEL-plan-" + "5c1f"
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
goal = goal_propose(actor=client, episode=episode, text=mark + " goal")
goal_reword(actor=therapist, goal=goal, text=mark + " goal reworded")
goal_agree(actor=client, goal=goal)
plan_summary_update(actor=therapist, episode=episode, text=mark + " summary")
goal = Goal.objects.get()
assert goal.current_text == mark + " goal reworded", goal.current_text
assert [v.text for v in GoalVersion.objects.order_by("pk")] == [
    mark + " goal", mark + " goal reworded"
]
assert PlanSummaryVersion.objects.get().text == mark + " summary"
print("stored")
"""


def test_sqlite_file_holds_no_plaintext_of_plan_text(tmp_path: Any) -> None:
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert raw, "the database file was not written"
    assert b"SENTINEL-plan-" not in raw
    assert b"5c1f goal" not in raw
