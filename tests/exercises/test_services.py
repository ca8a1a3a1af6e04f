"""Assigning, completing, sharing and withdrawing exercises: the rules and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alliance.audit.models import Action, AuditEvent
from alliance.care import access
from alliance.care.services import episode_close
from alliance.exercises.models import Assignment, Entry
from alliance.exercises.selectors import assignments_of, completion, shared_entries, to_do
from alliance.exercises.services import (
    assignment_withdraw,
    entry_set_shared,
    entry_submit,
)
from tests.conftest import Cast
from tests.exercises.helpers import THOUGHT_RECORD, active_goal, assign, write


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_assigning_records_the_version_the_note_and_an_audit_event(cast: Cast) -> None:
    assignment = assign(cast, note="Try it when the evening gets hard")
    assert assignment.instrument_version == "1.0.0"
    assert Assignment.objects.get().note == "Try it when the evening gets hard"
    (event,) = events(Action.EXERCISE_ASSIGNED)
    assert (event.client_id, event.target_id, event.actor_id) == (
        cast.dana.pk,
        assignment.pk,
        cast.alice.pk,
    )


def test_an_unknown_exercise_or_a_closed_episode_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        assign(cast, "phq-9")
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        assign(cast)
    assert not Assignment.objects.exists()
    assert not events(Action.EXERCISE_ASSIGNED)


def test_a_goal_must_be_an_agreed_goal_of_the_same_episode(cast: Cast) -> None:
    dana_goal = active_goal(cast.dana_episode, cast.alice, "Sleep through most nights")
    eve_goal = active_goal(cast.eve_episode, cast.alice, "Walk every day")
    assignment = assign(cast, goal=dana_goal)
    assert assignment.goal == dana_goal
    with pytest.raises(ValidationError):
        assign(cast, goal=eve_goal)
    dana_goal.status = "achieved"
    dana_goal.save()
    with pytest.raises(ValidationError):
        assign(cast, goal=dana_goal)


def test_the_client_completes_an_entry_stored_with_times_and_audited(cast: Cast) -> None:
    assignment = assign(cast)
    entry = write(cast, assignment, shared=True)
    stored = Entry.objects.get()
    assert stored.answers["tr-thought"] == THOUGHT_RECORD["tr-thought"]
    assert stored.answers["tr-intensity-before"] == 70
    assert stored.completed_at is not None and stored.shared
    assert stored.instrument_id == "exercise-thought-record"
    assert events(Action.EXERCISE_COMPLETED)[0].target_id == entry.pk


def test_a_log_takes_several_entries(cast: Cast) -> None:
    assignment = assign(cast, "exercise-mindfulness-log")
    for minutes in (3, 10):
        write(
            cast,
            assignment,
            shared=True,
            answers={"mi-practice": "body-scan", "mi-minutes": minutes},
        )
    (row,) = assignments_of([cast.dana_episode], viewer=cast.alice)
    assert row.entry_count == 2 and row.shared_count == 2


@pytest.mark.parametrize(
    "answers",
    [
        {"tr-situation": "only a situation"},  # required parts missing
        {**THOUGHT_RECORD, "tr-intensity-before": 101},
        {**THOUGHT_RECORD, "no-such-item": "x"},
        {**THOUGHT_RECORD, "tr-situation": "   "},
    ],
)
def test_bad_answers_store_nothing(cast: Cast, answers: dict[str, Any]) -> None:
    assignment = assign(cast)
    with pytest.raises(ValidationError):
        write(cast, assignment, shared=True, answers=answers)
    assert not Entry.objects.exists()
    assert not events(Action.EXERCISE_COMPLETED)


def test_only_the_client_writes_and_not_after_withdrawal_or_closing(cast: Cast) -> None:
    assignment = assign(cast)
    with pytest.raises(PermissionDenied):
        entry_submit(actor=cast.alice, assignment=assignment, answers=THOUGHT_RECORD, shared=True)
    assignment_withdraw(actor=cast.alice, assignment=assignment)
    with pytest.raises(ValidationError):
        write(cast, assignment, shared=True)
    other = assign(cast)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        write(cast, other, shared=True)
    assert not Entry.objects.exists()


def test_withdrawing_keeps_everything_and_is_audited_once(cast: Cast) -> None:
    assignment = assign(cast)
    write(cast, assignment, shared=False)
    assignment_withdraw(actor=cast.alice, assignment=assignment)
    with pytest.raises(ValidationError):
        assignment_withdraw(actor=cast.alice, assignment=assignment)
    stored = Assignment.objects.get()
    assert stored.withdrawn_by == cast.alice and stored.withdrawn_at is not None
    assert Entry.objects.count() == 1
    assert len(events(Action.EXERCISE_WITHDRAWN)) == 1
    assert to_do([cast.dana_episode], viewer=cast.dana) == []


def test_sharing_is_the_clients_to_change_also_after_closing(cast: Cast) -> None:
    entry = write(cast, assign(cast), shared=False)
    with pytest.raises(PermissionDenied):
        entry_set_shared(actor=cast.alice, entry=entry, shared=True)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    entry_set_shared(actor=cast.dana, entry=entry, shared=True)
    entry_set_shared(actor=cast.dana, entry=entry, shared=True)  # no change, no event
    assert Entry.objects.get().shared
    assert len(events(Action.EXERCISE_SHARING_CHANGED)) == 1


def test_private_entries_are_closed_to_clinicians_but_counted(cast: Cast) -> None:
    assignment = assign(cast)
    private = write(cast, assignment, shared=False)
    shared = write(cast, assignment, shared=True)
    also_supervisor = write(cast, assignment, shared=True)
    entry_set_shared(
        actor=cast.dana, entry=also_supervisor, shared=True, shared_with_supervisor=True
    )
    also_supervisor.refresh_from_db()
    assert list(shared_entries([cast.dana_episode], viewer=cast.alice)) == [also_supervisor, shared]
    assert list(shared_entries([cast.dana_episode], viewer=cast.sam)) == [also_supervisor]
    for clinician in (cast.alice, cast.sam):
        assert not access.may_read_exercise_entry(clinician, private)
        assert access.may_read_exercise_entry(clinician, also_supervisor)
    assert access.may_read_exercise_entry(cast.alice, shared)
    assert not access.may_read_exercise_entry(cast.sam, shared)
    assert access.may_read_exercise_entry(cast.dana, private)
    for outsider in (cast.eve, cast.charlie, cast.ada):
        assert not access.may_read_exercise_entry(outsider, also_supervisor)
        assert list(shared_entries([cast.dana_episode], viewer=outsider)) == []
    counts = {
        viewer: (row.entry_count, row.shared_count)
        for viewer in (cast.alice, cast.sam)
        for row in assignments_of([cast.dana_episode], viewer=viewer)
    }
    assert counts == {cast.alice: (3, 2), cast.sam: (3, 1)}


def test_the_supervisor_is_shared_with_only_beside_the_therapist(cast: Cast) -> None:
    entry = write(cast, assign(cast), shared=False)
    with pytest.raises(ValidationError):
        entry_set_shared(actor=cast.dana, entry=entry, shared=False, shared_with_supervisor=True)
    eve_entry = write(cast, assign(cast, episode=cast.eve_episode), shared=True)
    with pytest.raises(ValidationError):  # Eve's episode has no supervisor
        entry_set_shared(actor=cast.eve, entry=eve_entry, shared=True, shared_with_supervisor=True)
    assert not Entry.objects.filter(shared_with_supervisor=True).exists()


def test_completion_counts_live_assignments_done(cast: Cast) -> None:
    done = assign(cast)
    write(cast, done, shared=True)
    assign(cast, "exercise-reflection-journal", due_on=None)
    withdrawn = assign(cast)
    assignment_withdraw(actor=cast.alice, assignment=withdrawn)
    result = completion(assignments_of([cast.dana_episode], viewer=cast.alice))
    assert (result.done, result.total) == (1, 2)
    waiting = to_do([cast.dana_episode], viewer=cast.dana)
    assert [a.exercise_type for a in waiting] == ["exercise-reflection-journal"]
