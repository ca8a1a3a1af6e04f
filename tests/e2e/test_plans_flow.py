"""On a phone: a client suggests a goal, the therapist agrees it, the client rates it and
each sees it in their own view — and the same in Spanish, the therapist proposing."""

from __future__ import annotations

from typing import Any

from alliance.plans.models import Goal, GoalRating, GoalStatus
from alliance.plans.services import goal_propose
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE


def submit(visitor: Any, button: Any) -> None:
    button.click()
    visitor.page.wait_for_load_state("load")
    visitor.check()


def test_client_and_therapist_agree_a_goal_and_the_client_rates_it(cast: Any, visit: Any) -> None:
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.page.get_by_role("link", name="My plan").click()
    dana.check()
    dana.page.get_by_label("The goal, in your own words").fill("Go back to the choir on Tuesdays")
    submit(dana, dana.page.get_by_role("button", name="Suggest this goal"))
    assert "Waiting for your therapist to agree." in dana.page.content()
    goal = Goal.objects.get()
    assert goal.waiting_for == "therapist"
    dana.screenshot("plan-proposed-phone")

    alice = visit(PHONE)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    alice.page.get_by_role("link", name="Open the treatment plan").first.click()
    alice.check()
    goal_item = alice.page.locator(f"#goal-{goal.pk}")
    assert "Go back to the choir on Tuesdays" in goal_item.inner_text()
    submit(alice, goal_item.get_by_role("button", name="Agree"))
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    alice.screenshot("plan-therapist-phone")

    dana.goto("/me/plan/")
    rating = dana.page.locator("fieldset", has_text="Go back to the choir on Tuesdays")
    rating.get_by_label("6", exact=True).check()
    submit(dana, dana.page.get_by_role("button", name="Save my ratings"))
    assert "your ratings are saved" in dana.page.content()
    assert "Latest rating: 6 out of 10" in dana.page.locator(f"#goal-{goal.pk}").inner_text()
    assert list(GoalRating.objects.values_list("score", flat=True)) == [6]
    dana.screenshot("plan-rated-phone")
    dana.goto("/me/progress/")
    assert dana.page.locator(f"#goal-chart-{goal.pk}-title").count() == 1

    alice.goto(f"/clinic/clients/{cast.dana.pk}/")
    row = alice.page.get_by_role("row", name="Go back to the choir on Tuesdays")
    assert row.get_by_role("cell").first.inner_text().startswith("6")
    alice.goto(f"/clinic/clients/{cast.dana.pk}/progress/")
    assert alice.page.locator(f"#goal-chart-{goal.pk}-title").count() == 1


def test_in_spanish_the_therapist_proposes_and_the_client_agrees(cast: Any, visit: Any) -> None:
    goal = goal_propose(
        actor=cast.alice, episode=cast.eve_episode, text="Salir a caminar tres veces por semana"
    )
    eve = visit(PHONE)
    eve.login("eve@example.test", PASSWORD)
    assert eve.page.locator("html").get_attribute("lang") == "es"
    # The interface itself speaks Spanish (the catalogue), not only the data.
    assert (
        eve.page.locator("nav.site-nav").get_by_role("link", name="Mi plan", exact=True).count()
        == 1
    )
    # Her home page shows the goal waiting for her agreement, with a link to her plan.
    card = eve.page.locator("#plan-card-heading").locator("xpath=..")
    assert "Salir a caminar tres veces por semana" in card.inner_text()
    card.locator('a[href="/me/plan/"]').click()
    eve.check()
    agree = eve.page.locator(f'form[action="/me/plan/goals/{goal.pk}/agree/"] button')
    submit(eve, agree)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    rating = eve.page.locator("fieldset", has_text="Salir a caminar tres veces por semana")
    rating.get_by_label("3", exact=True).check()
    submit(eve, eve.page.locator('form[action="/me/plan/ratings/"] button[type="submit"]'))
    assert GoalRating.objects.get().score == 3
    eve.screenshot("plan-es-phone")

    alice = visit(PHONE)
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/episodes/{cast.eve_episode.pk}/plan/")
    item = alice.page.locator(f"#goal-{goal.pk}")
    assert "Salir a caminar tres veces por semana" in item.inner_text()
    assert "Latest rating: 3 out of 10" in item.inner_text()
