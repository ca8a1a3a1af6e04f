"""The shared plan pages: each side's view, agreement, ratings, encouragement and refusals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close
from alliance.plans.encouragement import NOTES
from alliance.plans.models import Goal, GoalRating, GoalStatus
from alliance.plans.services import goal_agree, goal_propose, goals_rate, plan_review_set
from tests.conftest import signed_in
from tests.web.test_progress import phq9, submit

pytestmark = pytest.mark.django_db


def notes(reason: str) -> list[str]:
    return [str(text) for text in NOTES[reason]]  # type: ignore[index]


def active(cast: Any, text: str = "Walk to the park on Sundays") -> Goal:
    goal = goal_propose(actor=cast.dana, episode=cast.dana_episode, text=text)
    return goal_agree(actor=cast.alice, goal=goal)


def test_client_proposes_and_therapist_agrees_through_the_pages(cast: Any) -> None:
    dana = signed_in(cast.dana)
    response = dana.post(reverse("my_goal_propose"), {"text": "Cook dinner twice a week"})
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.status == GoalStatus.PROPOSED and goal.waiting_for == "therapist"
    page = dana.get(reverse("my_plan")).content.decode()
    assert "Cook dinner twice a week" in page
    assert "Waiting for your therapist to agree." in page
    assert reverse("my_goal_agree", args=[goal.pk]) not in page  # not Dana's turn

    alice = signed_in(cast.alice)
    page = alice.get(reverse("episode_plan", args=[cast.dana_episode.pk])).content.decode()
    assert "Cook dinner twice a week" in page
    assert reverse("goal_agree", args=[goal.pk]) in page
    version = goal.versions.get().pk
    assert (
        alice.post(reverse("goal_agree", args=[goal.pk]), {"version": version}).status_code == 302
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    assert AuditEvent.objects.filter(action=Action.GOAL_AGREED, client_id=cast.dana.pk).exists()
    page = dana.get(reverse("my_plan")).content.decode()
    assert "Goals we have agreed" in page and "Not rated yet." in page


def test_therapist_proposal_reaches_the_clients_home_and_client_agrees(cast: Any) -> None:
    goal = goal_propose(actor=cast.alice, episode=cast.dana_episode, text="Text one friend")
    dana = signed_in(cast.dana)
    home = dana.get(reverse("portal_home")).content.decode()
    assert "Your therapist has suggested a goal." in home and "Text one friend" in home
    page = dana.get(reverse("my_plan")).content.decode()
    assert "Waiting for you to agree." in page
    response = dana.post(
        reverse("my_goal_agree", args=[goal.pk]), {"version": goal.versions.get().pk}
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
    # Now the home page nudges a first rating instead.
    assert "Rate my goals" in dana.get(reverse("portal_home")).content.decode()


def test_bad_input_is_400_with_a_message_and_nothing_changes(cast: Any) -> None:
    dana = signed_in(cast.dana)
    response = dana.post(reverse("my_goal_propose"), {"text": "   "})
    assert response.status_code == 400
    assert "Please write the goal in a few words." in response.content.decode()
    goal = active(cast)
    response = dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "11"})
    assert response.status_code == 400
    response = dana.post(reverse("my_goals_rate"), {})
    assert response.status_code == 400
    assert "Choose a number for at least one goal." in response.content.decode()
    response = dana.post(reverse("my_goal_close", args=[goal.pk]), {"status": "deleted"})
    assert response.status_code == 400
    response = dana.post(reverse("my_goal_edit", args=[goal.pk]), {"text": goal.current_text})
    assert response.status_code == 400
    assert "The wording is the same as before." in response.content.decode()
    alice = signed_in(cast.alice)
    response = alice.post(reverse("goal_agree", args=[goal.pk]), {"version": "1"})
    assert response.status_code == 400
    assert "not waiting for agreement" in response.content.decode()
    assert GoalRating.objects.count() == 0
    assert Goal.objects.get().status == GoalStatus.ACTIVE
    assert goal.versions.count() == 1


def test_rewording_needs_agreement_again_and_history_shows_every_version(cast: Any) -> None:
    goal = active(cast)
    alice = signed_in(cast.alice)
    response = alice.post(reverse("goal_edit", args=[goal.pk]), {"text": "Walk to the park twice"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == GoalStatus.PROPOSED and goal.waiting_for == "client"
    history = signed_in(cast.dana).get(reverse("my_plan_history")).content.decode()
    assert "Walk to the park on Sundays" in history and "Walk to the park twice" in history
    assert "your therapist (Alice" in history
    history = alice.get(reverse("episode_plan_history", args=[cast.dana_episode.pk]))
    assert "Walk to the park on Sundays" in history.content.decode()


def test_client_rates_from_the_plan_and_sees_encouragement_when_a_rating_rises(
    cast: Any,
) -> None:
    goal = active(cast)
    dana = signed_in(cast.dana)
    response = dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "3"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "your ratings are saved" in page
    assert not any(note in page for note in notes("goal_rose"))  # a first rating
    response = dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "5"}, follow=True)
    page = response.content.decode()
    assert any(note in page for note in notes("goal_rose"))
    assert list(GoalRating.objects.values_list("score", flat=True)) == [3, 5]
    assert AuditEvent.objects.filter(action=Action.GOAL_RATED).count() == 2
    response = dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "4"}, follow=True)
    assert not any(note in response.content.decode() for note in notes("goal_rose"))


def test_checkin_done_offers_goal_ratings_and_encourages_reliable_improvement(
    cast: Any,
) -> None:
    goal = active(cast)
    start = timezone.now() - timedelta(weeks=6)
    submit(cast.dana_episode, "phq-9", 18, start)
    later = submit(cast.dana_episode, "phq-9", 6, start + timedelta(weeks=5))
    dana = signed_in(cast.dana)
    done = reverse("checkin_done", args=[later.administration_id])
    page = dana.get(done).content.decode()
    assert any(note in page for note in notes("reliable_change"))
    assert f'name="goal-{goal.pk}"' in page and f'value="{later.pk}"' in page
    response = dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "6", "response": later.pk})
    assert response.status_code == 302 and response["Location"] == done
    assert GoalRating.objects.get().response == later
    page = dana.get(done).content.decode()
    assert "Your goal ratings are saved with this check-in." in page
    assert f'name="goal-{goal.pk}"' not in page


def test_checkin_done_encourages_a_goal_rating_that_rose_since_the_last_one(
    cast: Any,
) -> None:
    first, second = active(cast), active(cast, "Phone my sister on Fridays")
    start = timezone.now() - timedelta(weeks=6)
    goals_rate(
        actor=cast.dana, episode=cast.dana_episode, scores={first.pk: 3, second.pk: 6}, at=start
    )
    submit(cast.dana_episode, "phq-9", 18, start)
    later = submit(cast.dana_episode, "phq-9", 16, start + timedelta(weeks=5))  # no reliable change
    done = reverse("checkin_done", args=[later.administration_id])
    dana = signed_in(cast.dana)
    assert not any(note in dana.get(done).content.decode() for note in notes("reliable_change"))
    goals_rate(
        actor=cast.dana,
        episode=cast.dana_episode,
        scores={first.pk: 2, second.pk: 4},
        response=later,
    )
    assert not any(note in dana.get(done).content.decode() for note in notes("goal_rose"))
    # A later rating given with the same check-in, higher than that goal's one before it.
    goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={first.pk: 5}, response=later)
    page = dana.get(done).content.decode()
    assert any(note in page for note in notes("goal_rose"))
    assert not any(note in page for note in notes("reliable_change"))


def test_shared_pages_make_as_many_queries_for_one_goal_as_for_many(cast: Any) -> None:
    """The plan panels sit on the record, progress, home and check-in pages: their queries
    must not grow with the number of goals or ratings."""
    start = timezone.now() - timedelta(weeks=6)
    submit(cast.dana_episode, "phq-9", 18, start)
    checkin = submit(cast.dana_episode, "phq-9", 16, start + timedelta(weeks=5))
    dana, alice = signed_in(cast.dana), signed_in(cast.alice)
    pages = [
        (alice, reverse("client_record", args=[cast.dana.pk])),
        (alice, reverse("client_progress", args=[cast.dana.pk])),
        (alice, reverse("episode_plan", args=[cast.dana_episode.pk])),
        (alice, reverse("episode_plan_history", args=[cast.dana_episode.pk])),
        (dana, reverse("portal_home")),
        (dana, reverse("my_progress")),
        (dana, reverse("my_plan") + "?rated=1"),
        (dana, reverse("checkin_done", args=[checkin.administration_id])),
    ]

    def add_rated_goals(count: int) -> None:
        goals = [active(cast, f"Goal number {len(Goal.objects.all()) + 1}") for _ in range(count)]
        for week, score in ((1, 2), (2, 4)):
            goals_rate(
                actor=cast.dana,
                episode=cast.dana_episode,
                scores={g.pk: score for g in goals},
                at=start + timedelta(weeks=week),
            )
        scores = {g.pk: 6 for g in goals}
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores=scores, response=checkin)

    def queries() -> dict[str, int]:
        counts = {}
        for visitor, url in pages:
            assert visitor.get(url).status_code == 200  # sessions and caches warmed
            with CaptureQueriesContext(connection) as captured:
                assert visitor.get(url).status_code == 200
            counts[url] = len(captured.captured_queries)
        return counts

    add_rated_goals(1)
    with_one = queries()
    add_rated_goals(3)
    assert queries() == with_one


def test_no_encouragement_and_no_rating_form_beside_a_risk_answer(cast: Any) -> None:
    goal = active(cast)
    goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 2})
    start = timezone.now() - timedelta(weeks=6)
    submit(cast.dana_episode, "phq-9", 18, start)
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    risky = response_submit(
        actor=cast.dana, administration=administration, answers=[*phq9(5)[:8], 1]
    )
    assert risky.critical_tripped
    page = signed_in(cast.dana).get(reverse("checkin_done", args=[administration.pk]))
    html = page.content.decode()
    assert "You don&#x27;t have to face this alone" in html or "face this alone" in html
    for reason in ("reliable_change", "goal_rose"):
        assert not any(note in html for note in notes(reason))
    assert f'name="goal-{goal.pk}"' not in html
    # And a rising rating right after a risk answer brings no cheerful note either.
    response = signed_in(cast.dana).post(
        reverse("my_goals_rate"), {f"goal-{goal.pk}": "7"}, follow=True
    )
    assert not any(note in response.content.decode() for note in notes("goal_rose"))


def test_progress_panels_show_goal_ratings_with_a_chart_and_a_table(cast: Any) -> None:
    goal = active(cast)
    for score in (2, 4, 7):
        goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: score})
    alice_page = signed_in(cast.alice).get(reverse("client_progress", args=[cast.dana.pk]))
    html = alice_page.content.decode()
    assert "Goal-based outcomes" in html and f'id="goal-chart-{goal.pk}-title"' in html
    assert "<td>7</td>" in html
    dana_page = signed_in(cast.dana).get(reverse("my_progress")).content.decode()
    assert f'id="goal-chart-{goal.pk}-title"' in dana_page and "<td>4</td>" in dana_page
    cast.dana_episode.client_sees_progress = False
    cast.dana_episode.save()
    dana_page = signed_in(cast.dana).get(reverse("my_progress")).content.decode()
    assert "Walk to the park on Sundays" in dana_page
    assert "goal-chart-" not in dana_page and "<td>4</td>" not in dana_page


def test_record_panel_shows_goals_waiting_agreements_and_an_overdue_review(cast: Any) -> None:
    goal = active(cast)
    goals_rate(actor=cast.dana, episode=cast.dana_episode, scores={goal.pk: 6})
    goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Swim once a week")
    plan_review_set(
        actor=cast.alice,
        episode=cast.dana_episode,
        review_on=timezone.localdate() - timedelta(days=3),
    )
    html = signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk])).content
    page = html.decode()
    assert "Walk to the park on Sundays" in page and "Swim once a week" in page
    assert "waiting for the therapist" in page and "review overdue" in page
    assert reverse("episode_plan", args=[cast.dana_episode.pk]) in page
    client_page = signed_in(cast.dana).get(reverse("my_plan")).content.decode()
    assert "review overdue" not in client_page  # visible to the therapist only


def test_supervisor_reads_but_sees_no_forms_and_cannot_write(cast: Any) -> None:
    goal = goal_propose(actor=cast.dana, episode=cast.dana_episode, text="Garden again")
    sam = signed_in(cast.sam)
    page = sam.get(reverse("episode_plan", args=[cast.dana_episode.pk])).content.decode()
    assert "Garden again" in page and "<form" not in page.split('id="main"')[1].split("</main>")[
        0
    ].replace('action="/language/"', "")
    assert sam.post(reverse("goal_agree", args=[goal.pk]), {"version": 1}).status_code == 403
    assert Goal.objects.get().status == GoalStatus.PROPOSED


def test_closed_episode_plan_is_read_only(cast: Any) -> None:
    goal = active(cast)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    dana = signed_in(cast.dana)
    page = dana.get(reverse("my_plan")).content.decode()
    assert "can be read but not changed" in page and "Walk to the park" in page
    assert dana.post(reverse("my_goals_rate"), {f"goal-{goal.pk}": "5"}).status_code == 403
    alice = signed_in(cast.alice)
    url = reverse("goal_close", args=[goal.pk])
    assert alice.post(url, {"status": "achieved"}).status_code == 403


def test_client_cannot_reach_another_clients_goal(cast: Any) -> None:
    goal = goal_propose(actor=cast.alice, episode=cast.eve_episode, text="Objetivo de Eve")
    dana = signed_in(cast.dana)
    assert dana.get(reverse("my_goal_edit", args=[goal.pk])).status_code == 404
    assert dana.post(reverse("my_goal_agree", args=[goal.pk]), {"version": 1}).status_code == 404
    assert "Objetivo de Eve" not in dana.get(reverse("my_plan")).content.decode()


def test_print_pages_have_the_plan_without_the_navigation(cast: Any) -> None:
    active(cast)
    page = signed_in(cast.dana).get(reverse("my_plan_print")).content.decode()
    assert "Walk to the park on Sundays" in page and "site-nav" not in page
    page = signed_in(cast.alice).get(reverse("episode_plan_print", args=[cast.dana_episode.pk]))
    assert "Walk to the park on Sundays" in page.content.decode()


def test_nav_item_is_current_on_the_plan_page(cast: Any) -> None:
    page = signed_in(cast.dana).get(reverse("my_plan")).content.decode()
    assert f'<a href="{reverse("my_plan")}" aria-current="page">My plan</a>' in page
