"""Messages from a phone: client and therapist write to each other, each sees the other's
message and their unread count; out of hours, the client gets the automatic reply and
crisis help. The notice e-mail carries nothing of the message."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.core import mail
from django.utils import timezone

from alliance.messaging.models import Message, MessageKind
from alliance.messaging.services import office_hours_set
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE


def send(visitor: Any, text: str) -> None:
    """By structure, not wording, so it works before the Spanish catalogue is merged."""
    page = visitor.page
    compose = page.locator("form:has(textarea[name=body])")
    compose.locator("textarea[name=body]").fill(text)
    compose.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    visitor.check()


def test_client_and_therapist_exchange_messages_on_a_phone(cast: Any, visit: Any) -> None:
    office_hours_set(actor=cast.alice, days=list(range(7)), starts_at=time(0), ends_at=time.max)
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.page.get_by_role("navigation").get_by_role("link", name="Messages").click()
    dana.check()
    assert dana.page.get_by_role("heading", level=1).inner_text() == "Messages with your therapist"
    dana.page.get_by_label("Your message").fill("Could we move Thursday's session to Friday?")
    dana.page.get_by_role("button", name="Send the message").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert dana.page.get_by_role("status").inner_text().strip() == "Your message is sent."
    assert dana.page.locator("#latest").inner_text().count("Could we move Thursday") == 1
    dana.screenshot("messages-client-phone")

    (notice,) = mail.outbox
    assert notice.to == ["alice@example.test"]
    assert "Thursday" not in notice.body and "Dana" not in notice.body

    alice = visit(PHONE)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    assert "1 unread message" in alice.page.content()
    alice.page.get_by_role("link", name="Open the thread").click()
    alice.check()
    assert "Could we move Thursday" in alice.page.locator("#latest").inner_text()
    send(alice, "Friday at 10:00 works. See you then!")
    # Opening the thread read Dana's message: the record no longer counts it as unread.
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    assert "No unread messages." in alice.page.content()
    alice.goto("/clinic/messages/")
    assert "unread" not in alice.page.locator("tbody").inner_text().lower()
    alice.screenshot("messages-therapist-phone")

    dana.goto("/me/")
    link = dana.page.get_by_role("link", name="Messages, 1 unread")
    assert link.count() == 1
    assert "You have 1 new message from your therapist." in dana.page.content()
    link.click()
    dana.check()
    assert "Friday at 10:00 works" in dana.page.locator("#latest").inner_text()
    assert dana.page.get_by_role("link", name="Messages, 1 unread").count() == 0
    assert [m.body for m in Message.objects.all()] == [
        "Could we move Thursday's session to Friday?",
        "Friday at 10:00 works. See you then!",
    ]


def test_out_of_hours_spanish_client_gets_the_automatic_reply_and_crisis_help(
    cast: Any, visit: Any
) -> None:
    today = timezone.localtime().weekday()
    days = [d for d in range(7) if d not in (today, (today - 1) % 7)]
    office_hours_set(actor=cast.alice, days=days, starts_at=time(9), ends_at=time(17))
    eve = visit(PHONE)
    eve.login("eve@example.test", PASSWORD)
    assert eve.page.locator("html").get_attribute("lang") == "es"
    # The interface itself speaks Spanish (the catalogue), not only the data.
    assert eve.page.locator("nav.site-nav").get_by_role("link", name="Mensajes").count() == 1
    eve.goto("/me/messages/")
    # Out of hours, crisis help is shown open, with the emergency number as a link.
    crisis = eve.page.locator("section#crisis-help")
    assert crisis.count() == 1
    assert crisis.locator('a[href="tel:911"]').count() == 1
    send(eve, "Hola, ¿podemos hablar del ejercicio de respiración?")
    (automatic,) = Message.objects.filter(kind=MessageKind.AUTO_REPLY)
    latest = eve.page.locator("#latest")
    assert latest.locator('a[href="#crisis-help"]').count() == 1
    assert automatic.body.splitlines()[0] in latest.inner_text()
    eve.screenshot("messages-out-of-hours-es-phone")
    send(eve, "Gracias.")
    assert Message.objects.filter(kind=MessageKind.AUTO_REPLY).count() == 1
