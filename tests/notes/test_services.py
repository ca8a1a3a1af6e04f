"""Notes after a session: drafts, signing locks, addenda in order, the policy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close, session_schedule
from alliance.notes.models import PrivateNote, PrivateNoteAddendum, SessionSummary
from alliance.notes.selectors import new_summaries_for, signed_summaries_of_client
from alliance.notes.services import (
    note_add_addendum,
    note_save_draft,
    note_sign,
    summary_add_addendum,
    summary_assign_exercise,
    summary_mark_read,
    summary_propose_goal,
    summary_save_draft,
    summary_sign,
)
from alliance.plans.services import goal_propose
from tests.conftest import Cast

PARTS = {
    "discussed": "How the week went",
    "decided": "Try a walk each morning",
    "client_will": "Walk three times",
    "therapist_will": "Send the sleep leaflet",
}


@pytest.fixture
def session(cast: Cast) -> Any:
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=1)
    )


def test_a_draft_note_can_be_rewritten_until_signed(cast: Cast, session: Any) -> None:
    note_save_draft(actor=cast.alice, session=session, text="first thoughts")
    note = note_save_draft(actor=cast.alice, session=session, text="  second thoughts ")
    assert note.text == "second thoughts"
    assert not note.is_signed
    assert PrivateNote.objects.count() == 1


def test_signing_locks_the_note_and_a_later_edit_changes_nothing(cast: Cast, session: Any) -> None:
    note_sign(actor=cast.alice, session=session, text="signed words")
    for attempt in (note_save_draft, note_sign):
        with pytest.raises(ValidationError, match="can no longer change"):
            attempt(actor=cast.alice, session=session, text="rewritten")
    note = PrivateNote.objects.get()
    assert note.text == "signed words"
    assert note.signed_at is not None


def test_an_empty_note_cannot_be_signed(cast: Cast, session: Any) -> None:
    with pytest.raises(ValidationError, match="before signing"):
        note_sign(actor=cast.alice, session=session, text="   ")
    assert not PrivateNote.objects.exists()


def test_addenda_are_numbered_in_order_and_never_rewritten(cast: Cast, session: Any) -> None:
    with pytest.raises(ValidationError, match="sign the note first"):
        note_add_addendum(actor=cast.alice, session=session, text="too early")
    note_sign(actor=cast.alice, session=session, text="signed words")
    first = note_add_addendum(actor=cast.alice, session=session, text="one more thing")
    second = note_add_addendum(actor=cast.alice, session=session, text="and another")
    assert [(a.number, a.text) for a in PrivateNoteAddendum.objects.all()] == [
        (1, "one more thing"),
        (2, "and another"),
    ]
    assert first.created_at <= second.created_at
    first.text = "changed"
    with pytest.raises(PermissionError):
        first.save()
    assert PrivateNote.objects.get().text == "signed words"


def test_only_the_treating_therapist_writes_notes(cast: Cast, session: Any) -> None:
    for someone in (cast.sam, cast.charlie, cast.dana, cast.ada):
        with pytest.raises(PermissionDenied):
            note_save_draft(actor=someone, session=session, text="x")
        with pytest.raises(PermissionDenied):
            summary_save_draft(actor=someone, session=session, parts=PARTS)
    assert not PrivateNote.objects.exists()
    assert not SessionSummary.objects.exists()


def test_nothing_is_written_once_the_episode_is_closed(cast: Cast, session: Any) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    session.episode.refresh_from_db()
    with pytest.raises(PermissionDenied):
        note_sign(actor=cast.alice, session=session, text="late")


def test_each_write_is_audited_without_its_words(cast: Cast, session: Any) -> None:
    note_sign(actor=cast.alice, session=session, text="audited words")
    summary_sign(actor=cast.alice, session=session, parts=PARTS)
    actions = list(
        AuditEvent.objects.filter(client_id=cast.dana.pk)
        .filter(action__in=[Action.NOTE_SIGNED, Action.SUMMARY_SIGNED])
        .values_list("action", flat=True)
    )
    assert actions == [Action.NOTE_SIGNED, Action.SUMMARY_SIGNED]


def test_a_signed_summary_is_locked_and_reaches_the_client(cast: Cast, session: Any) -> None:
    summary_save_draft(actor=cast.alice, session=session, parts=PARTS)
    assert not signed_summaries_of_client(cast.dana).exists()
    summary = summary_sign(actor=cast.alice, session=session, parts={**PARTS, "decided": "Rest"})
    assert list(signed_summaries_of_client(cast.dana)) == [summary]
    assert not signed_summaries_of_client(cast.eve).exists()
    with pytest.raises(ValidationError, match="can no longer change"):
        summary_save_draft(actor=cast.alice, session=session, parts={"decided": "Run"})
    assert SessionSummary.objects.get().decided == "Rest"


def test_an_empty_summary_cannot_be_signed(cast: Cast, session: Any) -> None:
    with pytest.raises(ValidationError, match="before signing"):
        summary_sign(actor=cast.alice, session=session, parts={})


def test_a_summary_links_only_this_episodes_goals(cast: Cast, session: Any) -> None:
    mine = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Sleep better")
    theirs = goal_propose(actor=cast.alice, episode=cast.eve_episode, text="Other")
    summary = summary_save_draft(actor=cast.alice, session=session, parts=PARTS, goal_ids=[mine.pk])
    assert list(summary.goals.all()) == [mine]
    with pytest.raises(ValidationError, match="of this episode"):
        summary_save_draft(actor=cast.alice, session=session, parts=PARTS, goal_ids=[theirs.pk])


def test_a_new_summary_or_addendum_waits_until_the_client_opens_it(
    cast: Cast, session: Any
) -> None:
    summary = summary_sign(actor=cast.alice, session=session, parts=PARTS)
    assert new_summaries_for(cast.dana) == 1
    summary_mark_read(actor=cast.dana, summary=summary)
    assert new_summaries_for(cast.dana) == 0
    summary_add_addendum(actor=cast.alice, session=session, text="The leaflet is attached")
    assert new_summaries_for(cast.dana) == 1
    assert [a.text for a in SessionSummary.objects.get().addenda.all()] == [
        "The leaflet is attached"
    ]


def test_the_clinician_opening_a_summary_does_not_mark_it_read(cast: Cast, session: Any) -> None:
    summary = summary_sign(actor=cast.alice, session=session, parts=PARTS)
    summary_mark_read(actor=cast.alice, summary=summary)
    assert new_summaries_for(cast.dana) == 1
    with pytest.raises(PermissionDenied):
        summary_mark_read(actor=cast.eve, summary=summary)


def test_an_empty_draft_is_not_saved(cast: Cast, session: Any) -> None:
    with pytest.raises(ValidationError, match="before saving"):
        note_save_draft(actor=cast.alice, session=session, text=" ")
    with pytest.raises(ValidationError, match="before saving"):
        summary_save_draft(actor=cast.alice, session=session, parts={})
    assert not PrivateNote.objects.exists()
    assert not SessionSummary.objects.exists()


def test_a_goal_proposed_from_the_draft_is_the_plans_own_and_linked(
    cast: Cast, session: Any
) -> None:
    from alliance.plans.models import GoalStatus

    goal = summary_propose_goal(actor=cast.alice, session=session, text="Sleep", parts={})
    summary = SessionSummary.objects.get()
    assert (goal.status, goal.waiting_for) == (GoalStatus.PROPOSED, "client")
    assert list(summary.goals.all()) == [goal]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {Action.GOAL_PROPOSED, Action.SUMMARY_SAVED} <= actions


def test_a_refused_goal_or_exercise_leaves_the_draft_as_it_was(cast: Cast, session: Any) -> None:
    from alliance.exercises.models import Assignment
    from alliance.plans.models import Goal

    summary_save_draft(actor=cast.alice, session=session, parts={"decided": "Before"})
    with pytest.raises(ValidationError):
        summary_propose_goal(actor=cast.alice, session=session, text=" ", parts=PARTS)
    with pytest.raises(ValidationError):
        summary_assign_exercise(
            actor=cast.alice, session=session, exercise_type="not-ours", parts=PARTS
        )
    assert SessionSummary.objects.get().decided == "Before"
    assert not Goal.objects.exists() and not Assignment.objects.exists()


def test_only_the_treating_therapist_of_an_open_episode_makes_them(
    cast: Cast, session: Any
) -> None:
    journal = "exercise-reflection-journal"
    for someone in (cast.sam, cast.charlie, cast.dana):
        with pytest.raises(PermissionDenied):
            summary_propose_goal(actor=someone, session=session, text="Sleep", parts=PARTS)
        with pytest.raises(PermissionDenied):
            summary_assign_exercise(
                actor=someone, session=session, exercise_type=journal, parts=PARTS
            )
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    # Closed while the page was open: the exercises' own rule says so in words.
    with pytest.raises(ValidationError, match="open episode"):
        summary_assign_exercise(actor=cast.alice, session=session, exercise_type=journal, parts={})
    with pytest.raises(ValidationError, match="closed"):
        summary_propose_goal(actor=cast.alice, session=session, text="Sleep", parts={})
    session.episode.refresh_from_db()
    with pytest.raises(PermissionDenied):
        summary_assign_exercise(actor=cast.alice, session=session, exercise_type=journal, parts={})
    assert not SessionSummary.objects.exists()
