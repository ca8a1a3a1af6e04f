"""Proposing a goal and assigning an exercise from the session summary (issue 17).

Both go through the plan's and the exercises' own services and are linked to the summary
at once; the draft's words are saved with them, so nothing typed is lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close, session_schedule
from alliance.exercises.models import Assignment
from alliance.exercises.services import NOTE_MAX
from alliance.notes.models import SessionSummary
from alliance.notes.services import summary_save_draft, summary_sign
from alliance.plans.models import Goal, GoalStatus
from alliance.plans.services import GOAL_MAX_LENGTH
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db

JOURNAL = "exercise-reflection-journal"


@pytest.fixture
def session(cast: Cast) -> Any:
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=2)
    )


def _url(session: Any) -> str:
    return reverse("session_summary", kwargs={"session_id": session.pk})


def _goal_post(text: str, **more: Any) -> dict[str, Any]:
    return {"intent": "goal", "new_goal-text": text, "decided": "We talked about sleep"} | more


def _exercise_post(exercise_type: str, **more: Any) -> dict[str, Any]:
    return {
        "intent": "exercise",
        "new_exercise-exercise_type": exercise_type,
        "new_exercise-note": "Two lines each evening",
        "decided": "We talked about sleep",
    } | more


def test_the_editor_offers_both_forms_to_the_treating_therapist(cast: Cast, session: Any) -> None:
    page = signed_in(cast.alice).get(_url(session)).content.decode()
    assert 'name="new_goal-text"' in page
    assert 'name="new_exercise-exercise_type"' in page
    assert 'value="goal"' in page and 'value="exercise"' in page


def test_a_goal_proposed_from_the_summary_waits_for_the_client_and_is_linked(
    cast: Cast, session: Any
) -> None:
    response = signed_in(cast.alice).post(_url(session), _goal_post("  Sleep before midnight "))
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.episode == cast.dana_episode
    assert (goal.status, goal.waiting_for) == (GoalStatus.PROPOSED, "client")
    assert goal.current_text == "Sleep before midnight"
    summary = SessionSummary.objects.get()
    assert list(summary.goals.all()) == [goal]
    assert summary.decided == "We talked about sleep"  # the draft's words are kept
    assert not summary.is_signed
    assert AuditEvent.objects.filter(action=Action.GOAL_PROPOSED, target_id=goal.pk).exists()
    # The client agrees it on their plan, as any goal the therapist proposes.
    plan = signed_in(cast.dana).get(reverse("my_plan")).content.decode()
    assert "Sleep before midnight" in plan
    # The editor shows it linked, so saving the draft again keeps it.
    page = signed_in(cast.alice).get(_url(session)).content.decode()
    assert f'name="goals" value="{goal.pk}" id="id_goals_0" checked' in page
    signed_in(cast.alice).post(
        _url(session), {"intent": "draft", "decided": "Again", "goals": [str(goal.pk)]}
    )
    assert list(SessionSummary.objects.get().goals.all()) == [goal]
    # Signed, the client reads it in the summary as waiting for their agreement.
    signed_in(cast.alice).post(
        _url(session), {"intent": "sign", "decided": "Again", "goals": [str(goal.pk)]}
    )
    mine = reverse("my_summary", kwargs={"summary_id": SessionSummary.objects.get().pk})
    assert (
        "Sleep before midnight (waiting for agreement)"
        in signed_in(cast.dana).get(mine).content.decode()
    )


def test_an_exercise_assigned_from_the_summary_is_on_the_list_and_linked(
    cast: Cast, session: Any
) -> None:
    summary_save_draft(actor=cast.alice, session=session, parts={"discussed": "Old words"})
    response = signed_in(cast.alice).post(
        _url(session), _exercise_post(JOURNAL, discussed="Typed just now")
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert (assignment.episode, assignment.exercise_type) == (cast.dana_episode, JOURNAL)
    assert assignment.note == "Two lines each evening"
    summary = SessionSummary.objects.get()
    assert list(summary.assignments.all()) == [assignment]
    assert summary.discussed == "Typed just now"
    assert (
        "Reflection journal" in signed_in(cast.dana).get(reverse("my_exercises")).content.decode()
    )
    # Signed, the client reads the exercise in the summary.
    signed_in(cast.alice).post(
        _url(session),
        {"intent": "sign", "discussed": "Typed just now", "assignments": [str(assignment.pk)]},
    )
    mine = reverse("my_summary", kwargs={"summary_id": summary.pk})
    assert "Reflection journal" in signed_in(cast.dana).get(mine).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        _goal_post(""),
        _goal_post("   "),
        _goal_post("x" * (GOAL_MAX_LENGTH + 1)),
        _exercise_post(""),
        _exercise_post("exercise-not-in-the-practice"),
        _exercise_post(JOURNAL, **{"new_exercise-due_on": "not a date"}),
        _exercise_post(JOURNAL, **{"new_exercise-note": "x" * (NOTE_MAX + 1)}),
        _goal_post("Fine goal", decided="x" * 5000),
    ],
)
def test_malformed_input_changes_nothing_and_keeps_the_typed_words(
    cast: Cast, session: Any, data: dict[str, Any]
) -> None:
    summary_save_draft(actor=cast.alice, session=session, parts={"decided": "Saved before"})
    response = signed_in(cast.alice).post(_url(session), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please check what is marked below." in page
    assert "We talked about sleep" in page or "x" * 100 in page  # still in the form
    assert not Goal.objects.exists()
    assert not Assignment.objects.exists()
    assert SessionSummary.objects.get().decided == "Saved before"


def test_the_messages_are_in_spanish(cast: Cast, session: Any) -> None:
    cast.alice.language = "es"
    cast.alice.save(update_fields=["language"])
    alice = signed_in(cast.alice)
    page = alice.get(_url(session)).content.decode()
    assert "Proponer un objetivo nuevo" in page
    assert "Asignar un ejercicio" in page
    refused = alice.post(_url(session), _goal_post("")).content.decode()
    assert "Escriba el objetivo en pocas palabras." in refused


def test_an_exercise_works_towards_an_agreed_goal_of_this_episode_only(
    cast: Cast, session: Any
) -> None:
    from alliance.plans.services import goal_agree, goal_propose

    agreed = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Sleep better")
    goal_agree(actor=cast.dana, goal=agreed)
    others = goal_propose(actor=cast.alice, episode=cast.eve_episode, text="Not Dana's")
    alice = signed_in(cast.alice)
    refused = alice.post(_url(session), _exercise_post(JOURNAL, **{"new_exercise-goal": others.pk}))
    assert refused.status_code == 400
    assert not Assignment.objects.exists() and not SessionSummary.objects.exists()
    done = alice.post(_url(session), _exercise_post(JOURNAL, **{"new_exercise-goal": agreed.pk}))
    assert done.status_code == 302
    assert Assignment.objects.get().goal == agreed


def test_nobody_else_creates_anything(cast: Cast, session: Any) -> None:
    for someone, status in (
        (cast.sam, 403),
        (cast.charlie, 404),
        (cast.dana, 404),
        (cast.eve, 404),
        (cast.ada, 404),
    ):
        client = signed_in(someone)
        assert client.post(_url(session), _goal_post("Sneaky goal")).status_code == status
        assert client.post(_url(session), _exercise_post(JOURNAL)).status_code == status
    assert not Goal.objects.exists()
    assert not Assignment.objects.exists()
    assert not SessionSummary.objects.exists()
    # The supervisor reads the page without the forms.
    page = signed_in(cast.sam).get(_url(session)).content.decode()
    assert "new_goal-text" not in page


def test_a_closed_episode_or_a_signed_summary_takes_nothing_new(cast: Cast, session: Any) -> None:
    summary_sign(actor=cast.alice, session=session, parts={"decided": "Signed words"})
    alice = signed_in(cast.alice)
    assert "new_goal-text" not in alice.get(_url(session)).content.decode()
    refused = alice.post(_url(session), _goal_post("Late goal"))
    assert refused.status_code == 400
    assert "can no longer change" in refused.content.decode()
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    assert alice.post(_url(session), _exercise_post(JOURNAL)).status_code == 403
    assert not Goal.objects.exists()
    assert not Assignment.objects.exists()
    assert SessionSummary.objects.get().decided == "Signed words"
