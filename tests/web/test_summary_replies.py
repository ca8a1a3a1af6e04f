"""The client's reply to a signed summary, on their page; the therapist's answer on the
summary page; who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.notes.models import SummaryReply
from alliance.notes.services import summary_reply, summary_reply_answer, summary_sign
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(cast: Cast) -> Any:
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=2)
    )
    return summary_sign(actor=cast.alice, session=session, parts={"decided": "Walk daily"})


def _mine(summary: Any) -> str:
    return reverse("my_summary", kwargs={"summary_id": summary.pk})


def _clinic(summary: Any) -> str:
    return reverse("session_summary", kwargs={"session_id": summary.session_id})


def _text(response: Any) -> str:
    return str(response.content.decode())


def test_the_client_replies_on_their_page_and_changes_it_until_answered(
    cast: Cast, signed: Any
) -> None:
    dana = signed_in(cast.dana)
    page = _text(dana.get(_mine(signed)))
    assert "Is this how you remember it?" in page
    assert "You can change your reply until they have answered it." in page
    assert dana.post(_mine(signed), {}).status_code == 400
    response = dana.post(_mine(signed), {"recognised": "partly", "text": "Also sleep"})
    assert response.status_code == 302
    assert dana.post(_mine(signed), {"recognised": "no", "text": "Not quite"}).status_code == 302
    reply = SummaryReply.objects.get()
    assert (reply.recognised, reply.text) == ("no", "Not quite")
    assert "Change your reply" in _text(dana.get(_mine(signed)))

    alice = signed_in(cast.alice)
    clinic = _text(alice.get(_clinic(signed)))
    assert "Not quite" in clinic
    assert "Answer the client's reply" in clinic
    response = alice.post(_clinic(signed), {"intent": "answer", "answer": "Let us talk Monday"})
    assert response.status_code == 302
    assert "Answer the client's reply" not in _text(alice.get(_clinic(signed)))

    page = _text(dana.get(_mine(signed)))
    assert "Let us talk Monday" in page
    assert "Change your reply" not in page
    assert "can no longer change" in page
    assert dana.post(_mine(signed), {"recognised": "yes"}).status_code == 400
    assert SummaryReply.objects.get().recognised == "no"


def test_the_supervisor_reads_the_reply_and_the_answer_but_cannot_answer(
    cast: Cast, signed: Any
) -> None:
    summary_reply(actor=cast.dana, summary=signed, recognised="partly", text="Also sleep")
    sam = signed_in(cast.sam)
    page = _text(sam.get(_clinic(signed)))
    assert "Also sleep" in page
    assert "Answer the client's reply" not in page
    assert sam.post(_clinic(signed), {"intent": "answer", "answer": "Hi"}).status_code == 403
    summary_reply_answer(actor=cast.alice, summary=signed, text="Noted, thanks")
    assert "Noted, thanks" in _text(sam.get(_clinic(signed)))


@pytest.mark.parametrize("who", ["charlie", "eve", "ada"])
def test_nobody_else_sees_the_reply(cast: Cast, signed: Any, who: str) -> None:
    summary_reply(actor=cast.dana, summary=signed, recognised="partly", text="Also sleep")
    browser = signed_in(getattr(cast, who))
    assert browser.get(_mine(signed)).status_code == 404
    assert browser.get(_clinic(signed)).status_code == 404
    assert browser.post(_mine(signed), {"recognised": "yes"}).status_code == 404


def test_the_reply_page_in_spanish(cast: Cast) -> None:
    session = session_schedule(
        actor=cast.alice, episode=cast.eve_episode, starts_at=timezone.now() - timedelta(hours=2)
    )
    summary = summary_sign(actor=cast.alice, session=session, parts={"decided": "Caminar"})
    eve = signed_in(cast.eve)
    page = _text(eve.get(_mine(summary)))
    assert "¿Es así como lo recuerda?" in page
    assert "Puede cambiar su respuesta hasta que le haya respondido." in page
    eve.post(_mine(summary), {"recognised": "partly", "text": "Y el sueño"})
    summary_reply_answer(actor=cast.alice, summary=summary, text="Gracias")
    page = _text(eve.get(_mine(summary)))
    assert "En parte" in page
    assert "Su respuesta" in page
    assert "Gracias" in page
