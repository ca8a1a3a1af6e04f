"""A check-in from a phone, and a risk answer reaching the therapist — also when e-mail fails."""

from __future__ import annotations

from typing import Any

import pytest

from alliance.alerts.models import Alert
from alliance.measures.models import Response
from alliance.measures.services import administration_request
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE

ANSWERS = [
    "Several days",
    "Not at all",
    "Several days",
    "Not at all",
    "Not at all",
    "Several days",
    "Not at all",
    "Not at all",
]


def answer_phq9(visitor: Any, item9: str) -> None:
    page = visitor.page
    for number, label in enumerate([*ANSWERS, item9], start=1):
        page.locator(f"#q-{number}").get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_load_state("load")
    visitor.check()


@pytest.mark.parametrize("email_works", [True, False])
def test_risk_answer_brings_crisis_resources_and_an_urgent_alert(
    cast: Any, visit: Any, settings: Any, email_works: bool
) -> None:
    if not email_works:
        settings.EMAIL_BACKEND = "tests.web.failing_email.Backend"
    administration_request(actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9")
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.page.get_by_role("link", name="Start: Mood check-in").click()
    dana.check()
    dana.screenshot("checkin-phone")
    answer_phq9(dana, "Several days")
    heading = dana.page.get_by_role("heading", level=1).inner_text()
    assert heading == "You don't have to face this alone"
    assert dana.page.locator('a[href="tel:988"]').count() == 1
    assert dana.page.locator('a[href="tel:911"]').count() == 1
    dana.screenshot("checkin-risk-phone")
    assert Response.objects.get().critical[0]["link_id"] == "phq9-9"

    alice = visit()
    alice.login("alice@example.test", PASSWORD)
    banner = alice.page.get_by_role("alert").filter(has_text="needs your attention now")
    assert banner.count() == 1
    banner.get_by_role("link", name="See the urgent alerts").click()
    alice.check()
    alice.page.get_by_role("link", name="Dana (they/them)").click()
    alice.check()
    alice.page.get_by_role("button", name="Acknowledge the alert").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert Alert.objects.get().status == "open"  # a note is required
    alice.page.get_by_label("Note").fill("Called Dana the same hour; safe, plan reviewed.")
    alice.page.get_by_role("button", name="Acknowledge the alert").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    alert = Alert.objects.get()
    assert alert.status == "acknowledged"
    assert alert.notification == ("sent" if email_works else "failed")
    assert "needs your attention now" not in alice.page.content()


def test_calm_check_in_shows_a_plain_summary_and_saves_once(cast: Any, visit: Any) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto(f"/me/check-ins/{administration.pk}/")
    answer_phq9(dana, "Not at all")
    assert dana.page.get_by_role("heading", level=1).inner_text().startswith("Thank you")
    assert "tel:" not in dana.page.content()
    dana.page.go_back()
    dana.page.wait_for_load_state("load")
    assert "/done/" in dana.page.url or "Thank you" in dana.page.content()
    assert Response.objects.count() == 1
    assert not Alert.objects.exists()


def test_arrow_keys_on_a_phone_move_within_one_question_and_answer_no_other(
    cast: Any, visit: Any
) -> None:
    """Arrow keys in a radio group change that question's answer (the browser's own
    behaviour); they must never count as "answered, go on" and fill in the next one."""
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto(f"/me/check-ins/{administration.pk}/")
    page = dana.page
    page.locator("#q-1").get_by_label("Not at all", exact=True).focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.locator("#q-1 input:checked").count() == 1
    assert page.locator("#q-2 input:checked").count() == 0
    assert page.locator("#q-3 input:checked").count() == 0
    assert page.evaluate("document.activeElement.closest('fieldset').id") == "q-1"
    # A tap is a choice: the next question comes into view and takes the focus.
    page.locator("#q-1").get_by_label("Several days", exact=True).click()
    assert page.evaluate("document.activeElement.closest('fieldset').id") == "q-2"
    assert page.locator("#q-2 input:checked").count() == 0


def test_a_phone_check_in_counts_questions_and_points_to_the_first_unanswered_one(
    cast: Any, visit: Any
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto(f"/me/check-ins/{administration.pk}/")
    page = dana.page
    assert page.locator("#q-3").get_by_text("Question 3 of 10").is_visible()
    page.locator("#q-1").get_by_label("Not at all", exact=True).click()
    page.get_by_role("button", name="Send my answers").click()
    assert "/done/" not in page.url
    assert page.locator("fieldset.question--invalid").count() == 1
    assert page.locator("#q-2").get_attribute("class") == "question question--invalid"
    assert page.evaluate("document.activeElement.closest('fieldset').id") == "q-2"
    assert "Please choose an answer" in page.locator("#q-2").inner_text()
    assert page.get_by_role("button", name="Send my answers").is_enabled()
    dana.check()
    assert not Response.objects.exists()


def test_a_risk_answer_from_a_second_tab_is_not_dropped(cast: Any, visit: Any) -> None:
    """Two tabs on one check-in: the first sends calm answers, the second a risk answer.
    The calm answers are kept, and the second tab still brings the crisis help and the
    therapist's urgent alert."""
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto(f"/me/check-ins/{administration.pk}/")
    first_tab = dana.page
    second_tab = dana.context.new_page()
    second_tab.goto(first_tab.url)
    answer_phq9(dana, "Not at all")
    assert dana.page.get_by_role("heading", level=1).inner_text().startswith("Thank you")
    dana.page = second_tab
    answer_phq9(dana, "More than half the days")
    assert second_tab.get_by_role("heading", level=1).inner_text() == (
        "You don't have to face this alone"
    )
    assert second_tab.get_by_text("You had already sent this check-in").count() == 1
    assert second_tab.locator('a[href="tel:988"]').count() == 1
    dana.screenshot("checkin-second-tab-risk-phone")
    assert Response.objects.get().critical == []
    assert Alert.objects.get().details["items"][0]["link_id"] == "phq9-9"
