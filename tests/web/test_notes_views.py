"""The pages after a session: the private note, the shared summary, the client's summaries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import session_schedule
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from alliance.notes.models import PrivateNote, SessionSummary
from alliance.notes.services import (
    note_sign,
    summary_add_addendum,
    summary_save_draft,
    summary_sign,
)
from alliance.preferences.services import agenda_item_add
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db

PROMISE = {
    "en": "Only you and your supervisor can read this. It is not part of the client's record copy.",
    "es": "Solo usted y su supervisor/a pueden leer esto. No forma parte de la copia del "
    "expediente del cliente.",
}


@pytest.fixture
def session(cast: Cast) -> Any:
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=2)
    )


def _note_url(session: Any) -> str:
    return reverse("session_note", kwargs={"session_id": session.pk})


def _summary_url(session: Any) -> str:
    return reverse("session_summary", kwargs={"session_id": session.pk})


def _text(response: Any) -> str:
    return str(response.content.decode())


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_note_page_makes_its_promise_and_the_policy_keeps_it(
    cast: Cast, session: Any, language: str
) -> None:
    cast.alice.language = language
    cast.alice.save(update_fields=["language"])
    page = signed_in(cast.alice).get(_note_url(session))
    assert PROMISE[language] in _text(page)
    note_sign(actor=cast.alice, session=session, text="what I noticed")
    # "Only you and your supervisor": nobody else reaches the page.
    assert "what I noticed" in _text(signed_in(cast.sam).get(_note_url(session)))
    for someone in (cast.dana, cast.eve, cast.charlie, cast.ada):
        assert signed_in(someone).get(_note_url(session)).status_code == 404


def test_the_therapist_drafts_then_signs_and_a_later_edit_is_refused(
    cast: Cast, session: Any
) -> None:
    alice = signed_in(cast.alice)
    saved = alice.post(_note_url(session), {"text": "first words", "intent": "draft"})
    assert saved.status_code == 302
    alice.post(_note_url(session), {"text": "final words", "intent": "sign"})
    refused = alice.post(_note_url(session), {"text": "rewritten", "intent": "draft"})
    assert refused.status_code == 400
    assert "can no longer change" in _text(refused)
    assert PrivateNote.objects.get().text == "final words"
    page = _text(alice.get(_note_url(session)))
    assert "Add the addendum" in page
    assert 'value="sign"' not in page


def test_addenda_are_shown_in_order_under_the_signed_note(cast: Cast, session: Any) -> None:
    alice = signed_in(cast.alice)
    alice.post(_note_url(session), {"text": "signed", "intent": "sign"})
    alice.post(_note_url(session), {"addendum": "first addition", "intent": "addendum"})
    alice.post(_note_url(session), {"addendum": "second addition", "intent": "addendum"})
    page = _text(alice.get(_note_url(session)))
    assert page.index("first addition") < page.index("second addition")
    assert "Addendum 2" in page


def test_the_supervisor_reads_but_cannot_write(cast: Cast, session: Any) -> None:
    sam = signed_in(cast.sam)
    assert sam.post(_note_url(session), {"text": "x", "intent": "draft"}).status_code == 403
    assert sam.post(_summary_url(session), {"decided": "x", "intent": "draft"}).status_code == 403
    assert not PrivateNote.objects.exists()
    assert "No summary for this session yet." in _text(sam.get(_summary_url(session)))


def test_opening_the_note_is_audited(cast: Cast, session: Any) -> None:
    signed_in(cast.sam).get(_note_url(session))
    event = AuditEvent.objects.filter(action=Action.VIEWED, actor_id=cast.sam.pk).latest("seq")
    assert (event.client_id, event.target_type) == (cast.dana.pk, "private_note")


def test_a_new_summary_starts_with_the_check_ins_and_the_agenda(cast: Cast) -> None:
    earlier = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(days=8)
    )
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(
        actor=cast.dana,
        administration=administration,
        answers=[1, 1, 1, 1, 0, 0, 0, 0, 0],
        submitted_at=timezone.now() - timedelta(days=2),
    )
    agenda_item_add(actor=cast.dana, episode=cast.dana_episode, text="My sister's visit")
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(hours=1)
    )
    assert earlier.number == 1
    page = _text(signed_in(cast.alice).get(_summary_url(session)))
    assert "Your check-ins since our last session:" in page
    assert ": 4" in page
    assert "My sister&#x27;s visit (not talked about yet)" in page
    assert STARTS_WITH in page


STARTS_WITH = "since the last session and what they asked to talk about"


def test_with_nothing_since_the_last_session_the_page_does_not_say_it_starts_from_it(
    cast: Cast, session: Any
) -> None:
    page = _text(signed_in(cast.alice).get(_summary_url(session)))
    assert "Your check-ins since our last session:" not in page
    assert STARTS_WITH not in page
    assert "What we talked about" in page


def test_the_prefill_is_in_the_clients_language(cast: Cast) -> None:
    session = session_schedule(
        actor=cast.alice, episode=cast.eve_episode, starts_at=timezone.now() - timedelta(hours=1)
    )
    agenda_item_add(actor=cast.eve, episode=cast.eve_episode, text="El trabajo")
    page = _text(signed_in(cast.alice).get(_summary_url(session)))
    assert "Lo que quería hablar:" in page


def test_the_client_reads_signed_summaries_only(cast: Cast, session: Any) -> None:
    draft = summary_save_draft(actor=cast.alice, session=session, parts={"decided": "Draft plan"})
    dana = signed_in(cast.dana)
    assert "Draft plan" not in _text(dana.get(reverse("my_summaries")))
    assert dana.get(reverse("my_summary", kwargs={"summary_id": draft.pk})).status_code == 404
    assert "Session summaries" not in _text(dana.get(reverse("portal_home")))
    summary = summary_sign(actor=cast.alice, session=session, parts={"decided": "Walk daily"})
    summary_add_addendum(actor=cast.alice, session=session, text="Start on Monday")
    home = _text(dana.get(reverse("portal_home")))
    assert "Your therapist has written something new about a session." in home
    page = _text(dana.get(reverse("my_summary", kwargs={"summary_id": summary.pk})))
    assert "Walk daily" in page
    assert "Start on Monday" in page
    assert "What your therapist will do before next time" in page
    assert "something new" not in _text(dana.get(reverse("portal_home")))
    eve = signed_in(cast.eve)
    assert eve.get(reverse("my_summary", kwargs={"summary_id": summary.pk})).status_code == 404


def test_the_summary_form_links_goals_and_is_locked_once_signed(cast: Cast, session: Any) -> None:
    from alliance.plans.services import goal_agree, goal_propose

    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Sleep better")
    goal_agree(actor=cast.dana, goal=goal)
    alice = signed_in(cast.alice)
    signed = alice.post(
        _summary_url(session),
        {"decided": "Earlier nights", "goals": [str(goal.pk)], "intent": "sign"},
    )
    assert signed.status_code == 302
    summary = SessionSummary.objects.get()
    assert list(summary.goals.all()) == [goal]
    refused = alice.post(_summary_url(session), {"decided": "Changed", "intent": "sign"})
    assert refused.status_code == 400
    assert SessionSummary.objects.get().decided == "Earlier nights"
    assert "Sleep better" in _text(
        signed_in(cast.dana).get(reverse("my_summary", kwargs={"summary_id": summary.pk}))
    )


def test_the_client_record_and_preparation_page_link_to_the_notes(cast: Cast, session: Any) -> None:
    alice = signed_in(cast.alice)
    record = _text(alice.get(reverse("client_record", kwargs={"client_id": cast.dana.pk})))
    assert _summary_url(session) in record
    assert _note_url(session) in record
    upcoming = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=1)
    )
    prepare = _text(alice.get(reverse("session_prepare", kwargs={"session_id": upcoming.pk})))
    assert _summary_url(session) in prepare


def test_the_summary_form_offers_links_only_when_there_is_something_to_link(
    cast: Cast, session: Any
) -> None:
    page = _text(signed_in(cast.alice).get(_summary_url(session)))
    assert 'name="goals"' not in page
    assert 'name="assignments"' not in page
    from alliance.exercises.services import assignment_create

    assignment_create(
        actor=cast.alice, episode=cast.dana_episode, exercise_type="exercise-reflection-journal"
    )
    page = _text(signed_in(cast.alice).get(_summary_url(session)))
    assert 'name="assignments"' in page
