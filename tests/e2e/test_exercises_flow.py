"""An exercise from a phone: the therapist assigns it, the client writes and shares an entry,
the therapist reads it beside the progress chart; a private entry stays private; Spanish."""

from __future__ import annotations

from typing import Any

from alliance.exercises.models import Assignment, Entry
from alliance.exercises.services import assignment_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE

SHARED_THOUGHT = "They must think I am useless"
PRIVATE_WORDS = "Words that are only mine, 7f3a"


def test_assign_complete_share_and_keep_private_on_a_phone(cast: Any, visit: Any) -> None:
    alice = visit(PHONE)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    alice.page.get_by_role("link", name="Assign an exercise").first.click()
    alice.check()
    alice.page.get_by_label("CBT thought record").check()
    alice.page.get_by_label("Note for the client").fill("Try it the next time your mood dips.")
    alice.page.get_by_role("button", name="Assign").click()
    # Wait for the redirect, not only "load" (which the form page already is): the ORM read
    # below must not overlap the POST on the live server's shared SQLite connection.
    alice.page.wait_for_url("**/exercises/")
    alice.check()
    assert Assignment.objects.get().exercise_type == "exercise-thought-record"
    # A second one, to be kept private.
    assignment_create(
        actor=cast.alice, episode=cast.dana_episode, exercise_type="exercise-reflection-journal"
    )

    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    card = dana.page.get_by_role("region", name="Exercises to try")
    card.get_by_role("link", name="Thought record").click()
    dana.check()
    assert "Try it the next time your mood dips." in dana.page.content()
    page = dana.page
    page.get_by_label("Situation: where were you and what was happening?").fill("A meeting at work")
    page.get_by_label("Automatic thought: what went through your mind?").fill(SHARED_THOUGHT)
    page.get_by_label("Emotion: what did you feel (for example sad, anxious, angry)?").fill("shame")
    page.get_by_label(
        "How strong was that feeling, from 0 (not at all) to 100 (the strongest it could be)?"
    ).fill("80")
    page.get_by_label("A more balanced thought: how else could you see it?").fill(
        "One meeting does not decide what they think of me"
    )
    assert page.get_by_label("Me and my therapist, Alice (she/her)").is_checked()
    dana.screenshot("exercise-thought-record-phone")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/me/exercises/entries/*/")
    dana.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Thought record"
    assert SHARED_THOUGHT in page.content()

    dana.goto("/me/exercises/")
    dana.page.get_by_role("link", name="Reflection journal").click()
    dana.check()
    assert dana.page.get_by_label("Only me").is_checked()
    help_text = "Your therapist will see that you did it, not what you wrote, unless"
    assert help_text in dana.page.content()
    dana.page.get_by_label("Your entry").fill(PRIVATE_WORDS)
    dana.page.get_by_role("button", name="Save").click()
    dana.page.wait_for_url("**/me/exercises/entries/*/")
    dana.check()
    assert PRIVATE_WORDS in dana.page.content()
    assert [e.shared for e in Entry.objects.order_by("pk")] == [True, False]

    alice.goto(f"/clinic/episodes/{cast.dana_episode.pk}/exercises/")
    assert PRIVATE_WORDS not in alice.page.content()
    alice.page.get_by_role("link", name="CBT thought record").first.click()
    alice.check()
    assert SHARED_THOUGHT in alice.page.content()
    alice.goto(f"/clinic/clients/{cast.dana.pk}/progress/")
    alice.screenshot("exercises-progress-therapist-phone")
    table = alice.page.get_by_role("table", name="Exercises and their completion")
    assert "1 (1 / 0)" in table.inner_text() and "1 (0 / 1)" in table.inner_text()
    assert PRIVATE_WORDS not in alice.page.content()
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    alice.screenshot("exercises-record-therapist-phone")
    assert PRIVATE_WORDS not in alice.page.content()
    private = Entry.objects.get(shared=False)
    # Through the context's request API (Alice's cookies), not by opening the page: after an
    # error page Chromium asks for /favicon.ico, and that request could overlap Dana's next one
    # on the live server's single shared in-memory SQLite connection ("cannot start a
    # transaction within a transaction", a 500 for Dana).
    response = alice.context.request.get(f"{alice.base_url}/clinic/exercise-entries/{private.pk}/")
    assert response.status == 404

    # The client shares it after all; then the therapist can read it.
    dana.goto(f"/me/exercises/entries/{private.pk}/")
    dana.screenshot("exercise-entry-private-phone")
    dana.page.get_by_label("Me and my therapist, Alice (she/her)").check()
    dana.page.get_by_role("button", name="Save who sees it").click()
    # The same address again after the redirect: wait for the page that says it is shared,
    # and with whom (Dana's episode has a supervisor, who still does not read it).
    dana.page.get_by_text(
        "Your therapist can now read this entry; their supervisor cannot."
    ).wait_for()
    dana.check()
    alice.goto(f"/clinic/exercise-entries/{private.pk}/")
    assert PRIVATE_WORDS in alice.page.content()


def test_a_spanish_speaking_client_does_a_mindfulness_log(cast: Any, visit: Any) -> None:
    assignment = assignment_create(
        actor=cast.alice, episode=cast.eve_episode, exercise_type="exercise-mindfulness-log"
    )
    eve = visit(PHONE)
    eve.login("eve@example.test", PASSWORD)
    eve.goto(f"/me/exercises/{assignment.pk}/new/")
    page = eve.page
    assert page.locator("html").get_attribute("lang") == "es"
    # The interface itself speaks Spanish (the catalogue), not only the data.
    assert (
        page.locator("nav.site-nav").get_by_role("link", name="Ejercicios", exact=True).count() == 1
    )
    assert "Espacio de respiración de tres minutos" in page.content()  # instructions shown
    page.get_by_label("Recorrido por el cuerpo").check()
    page.get_by_label("¿Durante cuántos minutos?").fill("12")
    page.get_by_label("¿Qué notó?").fill("Mucha tensión en los hombros")
    eve.screenshot("exercise-mindfulness-es-phone")
    page.locator("form.form--wide button[type=submit]").click()
    page.wait_for_url("**/me/exercises/entries/*/")
    eve.check()
    entry = Entry.objects.get()
    assert entry.answers == {
        "mi-practice": "body-scan",
        "mi-minutes": 12,
        "mi-noticed": "Mucha tensión en los hombros",
    }
    assert "¿Qué práctica hizo?" in page.content()
    assert "Recorrido por el cuerpo" in page.content()
