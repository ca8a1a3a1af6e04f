"""The session, end to end (issue 17): the therapist prepares from one page, writes a
private note and a shared summary (proposing a goal from it) and signs both; the client
reads the summary and its goal on a phone and answers "partly" with a comment; the
therapist finds the reply on the next session's preparation page. In English (Dana) and
in Spanish (Eve), the therapist on a desktop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.notes.models import PrivateNote, Recognised, SessionSummary, SummaryReply
from tests.conftest import PASSWORD
from tests.e2e.conftest import DESKTOP, PHONE

WORDS = {
    "en": {
        "cards": "Read your session summaries",
        "partly": "Partly",
        "comment": "Anything you would like to add or correct?",
        "send": "Send my reply",
    },
    "es": {
        "cards": "Leer sus resúmenes de sesión",
        "partly": "En parte",
        "comment": "¿Quiere añadir o corregir algo?",
        "send": "Enviar mi respuesta",
    },
}


def submit(visitor: Any, button: Any) -> None:
    button.click()
    visitor.page.wait_for_load_state("load")
    visitor.check()


@pytest.mark.parametrize(
    ("language", "client_email", "episode_name"),
    [("en", "dana@example.test", "dana_episode"), ("es", "eve@example.test", "eve_episode")],
)
def test_prepare_write_sign_then_the_client_replies_partly(
    cast: Any, visit: Any, language: str, client_email: str, episode_name: str
) -> None:
    episode = getattr(cast, episode_name)
    held = session_schedule(
        actor=cast.alice, episode=episode, starts_at=timezone.now() - timedelta(hours=1)
    )
    upcoming = session_schedule(
        actor=cast.alice, episode=episode, starts_at=timezone.now() + timedelta(days=6)
    )
    words = WORDS[language]

    alice = visit(DESKTOP)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/sessions/{held.pk}/prepare/")
    assert f"Preparing session {held.number}" in alice.page.content()
    alice.page.get_by_role("link", name="This session's private note").click()
    alice.check()
    assert "Only you and your supervisor can read this." in alice.page.content()
    alice.page.get_by_label("Your private note").fill("Seemed guarded about the new job.")
    submit(alice, alice.page.get_by_role("button", name="Sign the note"))
    assert PrivateNote.objects.get(session=held).signed_at is not None

    alice.goto(f"/clinic/sessions/{held.pk}/summary/")
    alice.page.get_by_label("What we talked about").fill("The new job and sleep.")
    alice.page.get_by_label("What we decided together").fill("Keep a sleep diary.")
    # A goal proposed from the summary: the typed draft is kept, the goal linked to it.
    alice.page.get_by_text("Propose a new goal").click()
    alice.page.get_by_label("The goal, in the client's words").fill("Sleep before midnight")
    submit(alice, alice.page.get_by_role("button", name="Save the draft and propose the goal"))
    decided = alice.page.get_by_label("What we decided together")
    assert decided.input_value() == "Keep a sleep diary."
    submit(alice, alice.page.get_by_role("button", name="Sign and share with the client"))
    summary = SessionSummary.objects.get(session=held)
    assert summary.signed_at is not None
    alice.screenshot(f"summary-signed-{language}")

    client = visit(PHONE)
    client.login(client_email, PASSWORD)
    assert client.page.locator("html").get_attribute("lang") == language
    client.page.get_by_role("link", name=words["cards"]).click()
    client.check()
    client.page.locator("main ul a").first.click()
    client.check()
    assert "The new job and sleep." in client.page.content()
    assert "Sleep before midnight" in client.page.content()
    assert "Seemed guarded" not in client.page.content()
    client.page.get_by_label(words["partly"], exact=True).check()
    client.page.get_by_label(words["comment"]).fill("We also talked about my brother.")
    submit(client, client.page.get_by_role("button", name=words["send"]))
    reply = SummaryReply.objects.get(summary=summary)
    assert reply.recognised == Recognised.PARTLY
    client.screenshot(f"summary-reply-phone-{language}")

    alice.goto(f"/clinic/sessions/{upcoming.pk}/prepare/")
    section = alice.page.locator("section", has=alice.page.locator("#prepare-summary-reply"))
    text = section.inner_text()
    assert f"summary of session {held.number}" in text
    assert "Partly" in text
    assert "We also talked about my brother." in text
    alice.screenshot(f"prepare-with-reply-{language}")
