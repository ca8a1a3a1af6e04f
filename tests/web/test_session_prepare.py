"""The session preparation page (issue 17, part 1): what happened since the last session,
for the treating therapist, read only for the supervisor, a 404 for anyone else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.care.models import Session
from alliance.care.services import session_schedule
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in
from tests.web.test_progress import submit

EMPTY_STATES = (
    "No check-ins since the last session.",
    "No open alerts.",
    "The client has not added anything to talk about.",
    "No exercises shared with you since the last session.",
    "No goal ratings since the last session.",
    "No session feedback since the last session.",
    "No unread messages.",
)


def _sessions(cast: Cast) -> tuple[Session, Session]:
    """Session 1 was ten days ago; session 2 is in two days."""
    now = timezone.now()
    held = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=now - timedelta(days=10)
    )
    upcoming = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=now + timedelta(days=2)
    )
    return held, upcoming


def _url(session: Session) -> str:
    return reverse("session_prepare", kwargs={"session_id": session.pk})


def _page(user: Any, session: Session) -> str:
    response = signed_in(user).get(_url(session))
    assert response.status_code == 200
    return str(response.content.decode())


def _risk_answer(cast: Cast, days_ago: int) -> Any:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    return response_submit(
        actor=cast.dana,
        administration=administration,
        answers=[0, 0, 0, 0, 0, 0, 0, 0, 1],
        submitted_at=timezone.now() - timedelta(days=days_ago),
    )


def _shared_and_private_entries(cast: Cast) -> tuple[Any, Any]:
    from alliance.exercises.services import assignment_create, entry_submit

    assignment = assignment_create(
        actor=cast.alice, episode=cast.dana_episode, exercise_type="exercise-reflection-journal"
    )
    shared = entry_submit(
        actor=cast.dana, assignment=assignment, answers={"rj-entry": "Shared line"}, shared=True
    )
    private = entry_submit(
        actor=cast.dana, assignment=assignment, answers={"rj-entry": "Mine"}, shared=False
    )
    return shared, private


def _rated_goal(cast: Cast) -> Any:
    from alliance.plans.services import goal_agree, goal_propose, goals_rate

    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Sleep through the night")
    goal_agree(actor=cast.dana, goal=goal)
    goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 3})
    goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 6})
    return goal


def test_every_section_says_plainly_when_there_is_nothing(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    page = _page(cast.alice, upcoming)
    for sentence in EMPTY_STATES:
        assert sentence in page, sentence
    assert "Preparing session 2: Dana" in page


def test_the_first_session_looks_back_to_the_opening_of_the_episode(cast: Cast) -> None:
    first = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=1)
    )
    page = _page(cast.alice, first)
    assert "the episode of care opened" in page


def test_check_ins_since_the_last_session_with_band_and_change(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    now = timezone.now()
    intake = submit(cast.dana_episode, "phq-9", 15, now - timedelta(days=20))
    latest = submit(cast.dana_episode, "phq-9", 8, now - timedelta(days=3))
    page = _page(cast.alice, upcoming)
    # Only the one since session 1, with its band and its change from intake.
    assert reverse("response_detail", kwargs={"response_id": latest.pk}) in page
    assert reverse("response_detail", kwargs={"response_id": intake.pk}) not in page
    assert "PHQ-9" in page and "Mild" in page
    assert "\N{MINUS SIGN}7" in page
    assert "Reliable change since intake: recovered (15 to 8" in page
    assert "No check-ins since the last session." not in page


def test_session_feedback_is_read_against_the_clients_own_baseline(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    now = timezone.now()
    for days, total in ((30, 40), (25, 44), (20, 42)):
        submit(cast.dana_episode, "session-feedback", total, now - timedelta(days=days))
    submit(cast.dana_episode, "session-feedback", 30, now - timedelta(days=2))
    page = _page(cast.alice, upcoming)
    assert "lower than is usual for this client" in page
    assert "mean of the first 3 ratings ± 1 SD): 42 ± 2" in page
    assert "No session feedback since the last session." not in page


def test_open_alerts_link_to_each_alert(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    alert = _risk_answer(cast, days_ago=1).alerts.get()
    page = _page(cast.alice, upcoming)
    assert reverse("alert_detail", kwargs={"alert_id": alert.pk}) in page
    assert "No open alerts." not in page


def test_agenda_goal_ratings_and_unread_messages(cast: Cast) -> None:
    from alliance.messaging.services import message_send
    from alliance.preferences.services import agenda_item_add

    _held, upcoming = _sessions(cast)
    agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="My sister's visit")
    _rated_goal(cast)
    message_send(actor=cast.dana, episode=cast.dana_episode, body="See you Thursday", notify=False)
    page = _page(cast.alice, upcoming)
    assert "My sister&#x27;s visit" in page and "Waiting for the session" in page
    assert "Sleep through the night" in page and "6 out of 10 (before: 3)" in page
    assert "1 unread message" in page
    assert reverse("episode_messages", kwargs={"episode_id": cast.dana_episode.pk}) in page


def test_a_private_exercise_entry_is_not_shown(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    shared, private = _shared_and_private_entries(cast)
    page = _page(cast.alice, upcoming)
    assert reverse("exercise_entry_detail", kwargs={"entry_id": shared.pk}) in page
    assert reverse("exercise_entry_detail", kwargs={"entry_id": private.pk}) not in page
    # Shared with the therapist only: the supervisor does not see it either.
    supervisor_page = _page(cast.sam, upcoming)
    assert reverse("exercise_entry_detail", kwargs={"entry_id": shared.pk}) not in supervisor_page


def test_the_supervisor_reads_it_without_taking_part_in_the_thread(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    page = _page(cast.sam, upcoming)
    assert "Read the thread (read only)" in page
    assert "Open the thread" not in page
    assert "0 messages since the last session." in page
    assert "<form" not in page.split('id="main"', 1)[-1]


@pytest.mark.parametrize("who", ["charlie", "dana", "eve", "ada"])
def test_anyone_else_gets_a_404(cast: Cast, who: str) -> None:
    _held, upcoming = _sessions(cast)
    response = signed_in(getattr(cast, who)).get(_url(upcoming))
    assert response.status_code == 404
    assert b"Dana" not in response.content


def test_opening_the_page_writes_an_audit_event(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    before = AuditEvent.objects.count()
    _page(cast.sam, upcoming)
    assert (
        AuditEvent.objects.filter(
            actor_id=cast.sam.pk, client_id=cast.dana.pk, action="viewed"
        ).count()
        >= 1
    )
    assert AuditEvent.objects.count() > before


def test_the_caseload_links_the_next_session_to_its_preparation(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    for user in (cast.alice, cast.sam):
        page = signed_in(user).get(reverse("caseload")).content.decode()
        assert _url(upcoming) in page


def test_the_record_offers_to_prepare_each_upcoming_session(cast: Cast) -> None:
    held, upcoming = _sessions(cast)
    page = (
        signed_in(cast.alice)
        .get(reverse("client_record", kwargs={"client_id": cast.dana.pk}))
        .content.decode()
    )
    assert _url(upcoming) in page
    assert _url(held) not in page


def _queries(cast: Cast, session: Session) -> int:
    client = signed_in(cast.alice)
    client.get(_url(session))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(session)).status_code == 200
    return len(queries.captured_queries)


def test_the_page_queries_the_same_for_2_and_8_of_everything(cast: Cast) -> None:
    from alliance.messaging.services import message_send
    from alliance.preferences.services import agenda_item_add

    _held, upcoming = _sessions(cast)
    now = timezone.now()

    def add(count: int) -> None:
        for n in range(count):
            submit(cast.dana_episode, "phq-9", 5 + n, now - timedelta(days=9, hours=-n))
            submit(cast.dana_episode, "session-feedback", 40, now - timedelta(days=8, hours=-n))
            _risk_answer(cast, days_ago=7)
            agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text=f"Item {n}")
            _shared_and_private_entries(cast)
            message_send(actor=cast.dana, episode=cast.dana_episode, body="Hi", notify=False)

    add(2)
    _rated_goal(cast)
    small = _queries(cast, upcoming)
    add(6)
    _rated_goal(cast)
    large = _queries(cast, upcoming)
    assert small == large
    # Today 20: the signed-in session, the access question, the audit event and one
    # query per section (the goals' wordings prefetched).
    assert large <= 22


def test_a_spanish_speaking_therapist_reads_it_in_spanish(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    now = timezone.now()
    for days, total in ((30, 40), (25, 44), (20, 42), (2, 30)):
        submit(cast.dana_episode, "session-feedback", total, now - timedelta(days=days))
    cast.alice.language = "es"
    cast.alice.save(update_fields=["language"])
    page = _page(cast.alice, upcoming)
    assert "Preparar la sesión 2: Dana" in page
    assert "No hay cuestionarios desde la última sesión." in page
    assert "más baja de lo habitual en este/a cliente" in page
    assert "lower than is usual" not in page


def test_a_session_booked_in_between_but_not_held_does_not_start_the_window(cast: Cast) -> None:
    _held, upcoming = _sessions(cast)
    later = session_schedule(
        actor=cast.alice,
        episode=cast.dana_episode,
        starts_at=upcoming.starts_at + timedelta(days=7),
    )
    latest = submit(cast.dana_episode, "phq-9", 8, timezone.now() - timedelta(days=3))
    page = _page(cast.alice, later)
    assert "session 1," in page
    assert reverse("response_detail", kwargs={"response_id": latest.pk}) in page


def test_the_reply_to_the_last_summary_comes_first_with_its_signal(cast: Cast) -> None:
    from alliance.notes.services import summary_reply, summary_reply_answer, summary_sign

    held, upcoming = _sessions(cast)
    page = _page(cast.alice, upcoming)
    assert "reply to the summary of session" not in page
    summary = summary_sign(actor=cast.alice, session=held, parts={"decided": "Walk daily"})
    assert "The client has not replied to this summary." in _page(cast.alice, upcoming)
    summary_reply(actor=cast.dana, summary=summary, recognised="partly", text="And my sleep")
    page = _page(cast.alice, upcoming)
    assert page.index("reply to the summary of session 1") < page.index("Check-ins")
    assert "And my sleep" in page
    assert "The client said the summary of session 1 was only partly how they remember it." in page
    summary_reply_answer(actor=cast.alice, summary=summary, text="We will talk about it")
    page = _page(cast.sam, upcoming)
    assert "And my sleep" in page
    assert "We will talk about it" in page
    # The held session's own page looks back before it: no summary of its own there.
    assert "And my sleep" not in _page(cast.alice, held)


def test_a_yes_is_shown_but_is_not_a_signal(cast: Cast) -> None:
    from alliance.notes.services import summary_reply, summary_sign

    held, upcoming = _sessions(cast)
    summary = summary_sign(actor=cast.alice, session=held, parts={"decided": "Walk daily"})
    summary_reply(actor=cast.dana, summary=summary, recognised="yes")
    page = _page(cast.alice, upcoming)
    assert "reply to the summary of session 1" in page
    assert "The client said the summary" not in page
