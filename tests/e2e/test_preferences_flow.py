"""On a phone: the client sets preferences, adds to the agenda and shares part of a
cultural profile; the therapist sees exactly that and marks the item talked about."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE

PRIVATE = "Private note about my upbringing"
SHARED = "Sunday prayers matter to me"


def test_client_voice_reaches_the_therapist_only_as_shared(cast: Any, visit: Any) -> None:
    session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=2)
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    # The quick form on the home page.
    dana.page.get_by_label("Add something for your next session").fill("Trouble sleeping")
    dana.page.get_by_role("button", name="Add", exact=True).click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert "Trouble sleeping" in dana.page.content()

    dana.page.get_by_role("link", name="How I'd like to work").first.click()
    dana.check()
    dana.page.locator("fieldset", has_text="How would you like our sessions to run?").get_by_label(
        "With a clear plan for each session"
    ).check()
    dana.page.locator("fieldset", has_text="How would you like your therapist").get_by_label(
        "Gentle and supportive"
    ).check()
    dana.page.get_by_label("What do you hope to get from therapy?").fill("Rest and calm")
    dana.page.get_by_role("button", name="Save my preferences").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert "Last updated on" in dana.page.content()
    dana.screenshot("preferences-phone")

    dana.page.get_by_role("link", name="About me and my background").click()
    dana.check()
    dana.page.get_by_role("textbox", name="How I describe my background or identity").fill(PRIVATE)
    beliefs = dana.page.locator("fieldset", has_text="Beliefs, faith or values")
    beliefs.get_by_role("textbox").fill(SHARED)
    beliefs.get_by_label("Me and my therapist, Alice (she/her)").check()
    dana.page.get_by_role("button", name="Save", exact=True).click()
    dana.page.wait_for_load_state("load")
    dana.check()
    summary = dana.page.locator("#sharing-summary").inner_text()
    assert "You and your therapist" in summary and "Only you" in summary
    dana.screenshot("cultural-profile-phone")
    assert TreatmentPreferences.objects.get().answers == {"structure": "left", "style": "left"}
    assert CulturalProfile.objects.get().beliefs_shared

    alice = visit(PHONE)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    page = alice.page.content()
    assert SHARED in page and "Rest and calm" in page and "Gentle and supportive" in page
    assert PRIVATE not in page
    alice.screenshot("record-panel-phone")
    alice.page.get_by_role("button", name="Mark as talked about: Trouble sleeping").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert AgendaItem.objects.get().status == "discussed"
    assert (
        "Trouble sleeping"
        not in alice.page.locator("#client-voice-heading").locator("xpath=..").inner_text()
    )


def test_spanish_client_adds_an_agenda_item(cast: Any, visit: Any) -> None:
    eve = visit(PHONE)
    eve.login("eve@example.test", PASSWORD)
    eve.goto("/me/preferences/")
    assert eve.page.locator("html").get_attribute("lang") == "es"
    # The interface itself speaks Spanish (the catalogue), not only the data.
    assert (
        eve.page.locator("nav.site-nav")
        .get_by_role("link", name="Cómo me gustaría trabajar", exact=True)
        .count()
        == 1
    )
    eve.page.locator("#id_text").fill("Mi familia")
    eve.page.locator("#id_text").press("Tab")
    eve.page.locator("form[action='/me/agenda/add/'] button[type=submit]").click()
    eve.page.wait_for_load_state("load")
    eve.check()
    assert eve.page.locator("#agenda-items").inner_text().startswith("Mi familia")
    assert AgendaItem.objects.get().episode == cast.eve_episode
