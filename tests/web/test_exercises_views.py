"""Exercise pages: the therapist assigns, the client writes and decides who reads it.

The one rule that matters most here: a private entry's words never reach a clinician's
page, while the fact that it was done does.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.audit.models import Action, AuditEvent
from alliance.exercises.models import Assignment, Entry
from tests.conftest import Cast, signed_in
from tests.exercises.helpers import THOUGHT_RECORD, active_goal, assign, write
from tests.web.started_at_values import MALFORMED_STARTED_AT

PRIVATE_WORDS = "PRIVATE-only-for-me-4411"
SHARED_WORDS = "SHARED-with-alice-9923"


def post_exercise(client: Any, assignment: Any, **answers: Any) -> Any:
    return client.post(reverse("exercise_do", args=[assignment.pk]), answers)


def therapist_pages(cast: Cast) -> list[str]:
    episode = cast.dana_episode
    return [
        reverse("client_record", args=[cast.dana.pk]),
        reverse("client_progress", args=[cast.dana.pk]),
        reverse("episode_exercises", args=[episode.pk]),
    ]


# --- assigning -----------------------------------------------------------------------------


def test_therapist_assigns_with_a_due_date_note_and_goal(cast: Cast) -> None:
    goal = active_goal(cast.dana_episode, cast.alice, "Get out of the house twice a week")
    alice = signed_in(cast.alice)
    url = reverse("exercise_assign", args=[cast.dana_episode.pk])
    page = alice.get(url)
    assert page.status_code == 200
    assert "Get out of the house twice a week" in page.content.decode()
    response = alice.post(
        url,
        {
            "exercise_type": "exercise-behavioural-activation",
            "due_on": "2030-01-15",
            "note": "One small thing you enjoy",
            "goal": goal.pk,
        },
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.goal == goal and str(assignment.due_on) == "2030-01-15"
    assert assignment.note == "One small thing you enjoy"
    assert AuditEvent.objects.filter(action=Action.EXERCISE_ASSIGNED).count() == 1


def test_assign_page_reads_goals_in_the_same_queries_however_many(cast: Cast) -> None:
    alice = signed_in(cast.alice)
    url = reverse("exercise_assign", args=[cast.dana_episode.pk])
    alice.get(url)  # the session's first request does more (sign-in bookkeeping)

    def queries_with(goals: int) -> int:
        for n in range(goals):
            active_goal(cast.dana_episode, cast.alice, f"Goal number {n}")
        with CaptureQueriesContext(connection) as queries:
            page = alice.get(url)
        assert page.status_code == 200
        return len(queries)

    assert queries_with(1) == queries_with(3)


def test_assigning_bad_input_is_a_400_with_a_message_and_nothing_saved(cast: Cast) -> None:
    alice = signed_in(cast.alice)
    url = reverse("exercise_assign", args=[cast.dana_episode.pk])
    for data in (
        {"exercise_type": "phq-9"},
        {"exercise_type": "exercise-thought-record", "due_on": "not a date"},
        {},
    ):
        response = alice.post(url, data)
        assert response.status_code == 400
        assert "Please check what is marked below." in response.content.decode()
    assert not Assignment.objects.exists()


def test_exercises_are_not_offered_as_questionnaires(cast: Cast) -> None:
    alice = signed_in(cast.alice)
    for name in ("questionnaire_request", "schedule_edit"):
        page = alice.get(reverse(name, args=[cast.dana_episode.pk])).content.decode()
        assert "PHQ-9" in page
        assert "exercise-" not in page
        assert "Thought record" not in page


def test_withdrawing_keeps_the_entries_and_takes_it_off_the_clients_list(cast: Cast) -> None:
    assignment = assign(cast)
    write(cast, assignment, shared=True)
    response = signed_in(cast.alice).post(reverse("exercise_withdraw", args=[assignment.pk]))
    assert response.status_code == 302
    assert Assignment.objects.get().is_withdrawn
    assert Entry.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.EXERCISE_WITHDRAWN).count() == 1
    assert signed_in(cast.dana).get(reverse("exercise_do", args=[assignment.pk])).status_code == 404


# --- the client ----------------------------------------------------------------------------


def test_client_sees_the_exercise_to_do_on_home_and_in_the_list(cast: Cast) -> None:
    assign(cast, due_on=__import__("datetime").date(2030, 1, 15), note="Any evening is fine")
    dana = signed_in(cast.dana)
    home = dana.get(reverse("portal_home")).content.decode()
    assert "Exercises to try" in home and "Thought record" in home
    assert "15 January" in home
    listing = dana.get(reverse("my_exercises")).content.decode()
    assert "Any evening is fine" in listing
    assert 'aria-current="page"' in listing


def test_client_completes_and_shares_an_entry(cast: Cast) -> None:
    assignment = assign(cast)
    dana = signed_in(cast.dana)
    form = dana.get(reverse("exercise_do", args=[assignment.pk])).content.decode()
    assert "Your therapist will see that you did it, not what you wrote" in form
    assert "checked" in form.split('value="therapist"')[1][:40]  # shared by default
    response = post_exercise(
        dana, assignment, **{**THOUGHT_RECORD, "tr-thought": SHARED_WORDS}, share="therapist"
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.shared and entry.answers["tr-thought"] == SHARED_WORDS
    assert response["Location"] == reverse("my_exercise_entry", args=[entry.pk])
    assert SHARED_WORDS in dana.get(response["Location"]).content.decode()
    alice = signed_in(cast.alice)
    for url in [*therapist_pages(cast), reverse("exercise_entry_detail", args=[entry.pk])]:
        if "progress" in url:
            continue
        assert alice.get(url).status_code == 200
    detail = alice.get(reverse("exercise_entry_detail", args=[entry.pk])).content.decode()
    assert SHARED_WORDS in detail


def test_expressive_writing_starts_private(cast: Cast) -> None:
    assignment = assign(cast, "exercise-expressive-writing")
    form = signed_in(cast.dana).get(reverse("exercise_do", args=[assignment.pk])).content.decode()
    assert "15 to 20 minutes" in form
    no_radio = form.split('value="private"')[1][:40]
    assert "checked" in no_radio


def test_missing_answers_are_a_400_with_a_message_and_nothing_saved(cast: Cast) -> None:
    assignment = assign(cast)
    response = post_exercise(
        signed_in(cast.dana), assignment, **{"tr-situation": "x"}, share="therapist"
    )
    assert response.status_code == 400
    assert "Please fill this in." in response.content.decode()
    response = post_exercise(signed_in(cast.dana), assignment, **THOUGHT_RECORD)
    assert response.status_code == 400
    assert "Please choose who may read this." in response.content.decode()
    response = post_exercise(
        signed_in(cast.dana),
        assignment,
        **{**THOUGHT_RECORD, "tr-intensity-before": "150"},
        share="therapist",
    )
    assert response.status_code == 400
    assert not Entry.objects.exists()


def test_a_private_entry_never_reaches_the_therapist(cast: Cast) -> None:
    assignment = assign(cast, "exercise-reflection-journal")
    response = post_exercise(
        signed_in(cast.dana), assignment, **{"rj-entry": PRIVATE_WORDS}, share="private"
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert not entry.shared
    for clinician in (cast.alice, cast.sam):
        browser = signed_in(clinician)
        for url in therapist_pages(cast):
            page = browser.get(url)
            assert page.status_code == 200
            assert PRIVATE_WORDS not in page.content.decode()
        # That it was done is not hidden: 1 entry, 0 shared / 1 private.
        page = browser.get(reverse("episode_exercises", args=[cast.dana_episode.pk]))
        assert "1 (0 / 1)" in page.content.decode()
        detail = browser.get(reverse("exercise_entry_detail", args=[entry.pk]))
        assert detail.status_code == 404
        assert PRIVATE_WORDS not in detail.content.decode()
    assert (
        PRIVATE_WORDS
        in signed_in(cast.dana).get(reverse("my_exercise_entry", args=[entry.pk])).content.decode()
    )


def test_the_client_can_share_later_and_make_private_again(cast: Cast) -> None:
    entry = write(
        cast,
        assign(cast, "exercise-reflection-journal"),
        shared=False,
        answers={"rj-entry": PRIVATE_WORDS},
    )
    dana = signed_in(cast.dana)
    url = reverse("exercise_entry_sharing", args=[entry.pk])
    assert dana.post(url, {"share": "therapist"}).status_code == 302
    detail = reverse("exercise_entry_detail", args=[entry.pk])
    assert PRIVATE_WORDS in signed_in(cast.alice).get(detail).content.decode()
    assert dana.post(url, {"share": "private"}).status_code == 302
    assert signed_in(cast.alice).get(detail).status_code == 404
    assert AuditEvent.objects.filter(action=Action.EXERCISE_SHARING_CHANGED).count() == 2
    bad = dana.post(url, {"share": "everyone"})
    assert bad.status_code == 400
    assert not Entry.objects.get().shared


def test_the_supervisor_reads_an_entry_only_when_the_client_shares_it_with_them_too(
    cast: Cast,
) -> None:
    entry = write(
        cast, assign(cast), shared=True, answers={**THOUGHT_RECORD, "tr-thought": SHARED_WORDS}
    )
    detail = reverse("exercise_entry_detail", args=[entry.pk])
    exercises = reverse("episode_exercises", args=[cast.dana_episode.pk])
    sam = signed_in(cast.sam)
    assert sam.get(detail).status_code == 404
    page = sam.get(exercises).content.decode()
    assert SHARED_WORDS not in page and "1 (0 / 1)" in page
    assert "1 (1 / 0)" in signed_in(cast.alice).get(exercises).content.decode()
    dana = signed_in(cast.dana)
    url = reverse("exercise_entry_sharing", args=[entry.pk])
    assert dana.post(url, {"share": "supervisor"}).status_code == 302
    assert SHARED_WORDS in sam.get(detail).content.decode()
    assert "1 (1 / 0)" in sam.get(exercises).content.decode()
    # Eve's episode has no supervisor: the choice is not offered, and not accepted.
    eve_entry = write(cast, assign(cast, episode=cast.eve_episode), shared=True)
    eve = signed_in(cast.eve)
    page = eve.get(reverse("my_exercise_entry", args=[eve_entry.pk])).content.decode()
    assert 'value="supervisor"' not in page
    refused = eve.post(
        reverse("exercise_entry_sharing", args=[eve_entry.pk]), {"share": "supervisor"}
    )
    assert refused.status_code == 400
    assert not Entry.objects.get(pk=eve_entry.pk).shared_with_supervisor


def test_another_client_cannot_read_or_share_an_entry(cast: Cast) -> None:
    entry = write(cast, assign(cast), shared=True)
    eve = signed_in(cast.eve)
    assert eve.get(reverse("my_exercise_entry", args=[entry.pk])).status_code == 404
    assert (
        eve.post(
            reverse("exercise_entry_sharing", args=[entry.pk]), {"share": "private"}
        ).status_code
        == 404
    )
    assert Entry.objects.get().shared


# --- beside progress -----------------------------------------------------------------------


def test_completion_shows_beside_progress_for_both(cast: Cast) -> None:
    goal = active_goal(cast.dana_episode, cast.alice, "Sleep through most nights")
    done = assign(cast, goal=goal)
    write(cast, done, shared=False)
    assign(cast, "exercise-mindfulness-log")
    mine = signed_in(cast.dana).get(reverse("my_progress")).content.decode()
    theirs = (
        signed_in(cast.alice).get(reverse("client_progress", args=[cast.dana.pk])).content.decode()
    )
    for page in (mine, theirs):
        assert "1 of 2 exercises done." in page
        assert "not completed yet" in page
        assert "Sleep through most nights" in page
    assert "CBT thought record" in theirs and "Thought record" in mine


def test_record_panel_offers_assigning_to_the_treating_therapist_only(cast: Cast) -> None:
    write(cast, assign(cast), shared=True, answers={**THOUGHT_RECORD, "tr-thought": SHARED_WORDS})
    record = reverse("client_record", args=[cast.dana.pk])
    assign_url = reverse("exercise_assign", args=[cast.dana_episode.pk])
    alice_page = signed_in(cast.alice).get(record).content.decode()
    assert assign_url in alice_page
    assert "Latest entries shared with you" in alice_page
    assert "CBT thought record</strong>:" in alice_page
    assert "done (1 shared with you, 0 not)" in alice_page
    assert assign_url not in signed_in(cast.sam).get(record).content.decode()


# --- Spanish -------------------------------------------------------------------------------


def test_eve_gets_the_exercise_in_spanish(cast: Cast) -> None:
    assignment = assign(cast, episode=cast.eve_episode)
    eve = signed_in(cast.eve)
    page = eve.get(reverse("exercise_do", args=[assignment.pk])).content.decode()
    assert "Situación: ¿dónde estaba y qué estaba pasando?" in page
    response = post_exercise(eve, assignment, **{**THOUGHT_RECORD}, share="therapist")
    assert response.status_code == 302
    entry_page = eve.get(response["Location"]).content.decode()
    assert "Pensamiento automático" in entry_page


# --- started_at: the time the form was opened, a hint only --------------------------------


@pytest.mark.parametrize("started_at", MALFORMED_STARTED_AT)
def test_a_malformed_started_at_still_saves_the_entry_without_it(
    cast: Cast, started_at: str
) -> None:
    assignment = assign(cast)
    response = post_exercise(
        signed_in(cast.dana), assignment, **THOUGHT_RECORD, share="private", started_at=started_at
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.answers["tr-situation"] == THOUGHT_RECORD["tr-situation"]
    assert entry.started_at is None


def test_the_started_at_from_the_exercise_form_is_kept(cast: Cast) -> None:
    assignment = assign(cast)
    dana = signed_in(cast.dana)
    page = dana.get(reverse("exercise_do", args=[assignment.pk])).content.decode()
    started = re.search(r'name="started_at" value="([^"]+)"', page)
    assert started is not None
    response = post_exercise(
        dana, assignment, **THOUGHT_RECORD, share="private", started_at=started[1]
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.started_at == datetime.fromisoformat(started[1])
    assert assignment.assigned_at <= entry.started_at <= entry.completed_at
