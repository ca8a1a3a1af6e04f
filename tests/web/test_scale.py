"""The scale practice (issue 16): made through bulk inserts, yet every derived figure a
page shows is what the stored responses say; and the measured pages query as much at one
size as at another."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance import instruments as engine
from alliance.accounts.models import User
from alliance.accounts.names import name_key
from alliance.alerts.models import Alert, AlertKind, AlertStatus
from alliance.alerts.reports import (
    checkin_completion,
    feedback_by_therapist,
    outcome_report,
    outcome_rules,
    summary_drift,
)
from alliance.alerts.rules import disengagement_check_open_episodes
from alliance.care.models import Episode
from alliance.measures.models import Administration, Response
from alliance.measures.services import checkins_expire, tally_drift
from alliance.web.scale import build_scale_practice, email_of, scale_pages

CLIENTS = 60


@pytest.fixture(scope="module")
def _scale_loaded(django_db_setup: Any, django_db_blocker: Any) -> Any:
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        result = build_scale_practice(CLIENTS)
        yield result
        transaction.set_rollback(True)


@pytest.fixture
def scale(_scale_loaded: Any, db: Any) -> Any:
    return _scale_loaded


def test_the_practice_has_its_people_and_history(scale: Any) -> None:
    assert scale.clients_added == CLIENTS
    assert Episode.objects.count() == CLIENTS
    assert User.objects.filter(role="therapist").count() == 2
    assert User.objects.filter(role="supervisor").count() == 1
    assert Episode.objects.filter(therapist__email=email_of("therapist", 1)).count() == 50
    assert Response.objects.count() == scale.responses_added > CLIENTS * 3 * 20
    assert Episode.objects.filter(status="closed").count() == CLIENTS // 7
    assert User.objects.get(email=email_of("client", 1)).check_password("demo-password")


def test_every_name_is_kept_with_its_key(scale: Any) -> None:
    """The build writes past ``User.save`` (COPY on PostgreSQL): the keys the caseload
    finds namesakes by are made with the names."""
    people = User.objects.values_list("preferred_name", "name_key")
    assert people and all(key == name_key(name) for name, key in people)


def test_every_open_episode_is_due_and_the_round_finds_nothing_to_add(scale: Any) -> None:
    """Made in bulk, the episodes carry no next check (due, as after the upgrade that added
    it): the round visits each once and finds their check-ins and alerts as it would have
    made them."""
    assert_the_round_finds_all_in_place()


def assert_the_round_finds_all_in_place() -> None:
    """Every open episode is due: the first round visits each once, adds no check-in and
    raises no alert; the next finds nothing due. (Also for the demo practice.)"""
    open_episodes = Episode.objects.filter(status="open")
    assert not open_episodes.filter(next_check_at__isnull=False).exists()
    result = disengagement_check_open_episodes()
    assert (result["episodes"], result["checkins_changed"], result["raised"]) == (
        open_episodes.count(),
        0,
        0,
    )
    assert disengagement_check_open_episodes()["episodes"] == 0


def test_summaries_equal_the_responses(scale: Any) -> None:
    assert summary_drift() == []


def test_checkin_tallies_equal_the_administrations(scale: Any) -> None:
    assert tally_drift() == []
    now = timezone.now()
    live = Administration.objects.filter(cancelled_at__isnull=True)
    report = checkin_completion(now)
    assert report["completed"] == live.filter(completed_at__isnull=False).count() > 0
    assert report["due"] == live.filter(Q(completed_at__isnull=False) | Q(due_at__lt=now)).count()
    # The disengaged clients' unanswered check-ins were counted as the worker's round would.
    assert report["due"] > report["completed"]
    assert checkins_expire(now=now) == 0


def _first_and_latest() -> dict[tuple[int, str], list[float]]:
    totals: dict[tuple[int, str], list[float]] = defaultdict(list)
    for episode_id, instrument_id, total in (
        Response.objects.filter(total__isnull=False)
        .order_by("submitted_at", "id")
        .values_list("episode_id", "instrument_id", "total")
    ):
        totals[(episode_id, instrument_id)].append(total)
    return totals


def test_practice_report_figures_are_the_responses(scale: Any) -> None:
    therapist_of = dict(Episode.objects.values_list("id", "therapist_id"))
    rules = {rule.instrument_id for rule in outcome_rules()}
    expected: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for (episode_id, instrument_id), totals in _first_and_latest().items():
        if instrument_id in rules and len(totals) >= 2:
            change = engine.reliable_change(instrument_id, totals[0], totals[-1])
            expected[(instrument_id, therapist_of[episode_id])][change.category] += 1
    report = {
        (row["instrument_id"], row["therapist_id"]): Counter(
            {k: v for k, v in row["counts"].items() if v}
        )
        for row in outcome_report()
    }
    assert report == expected
    assert sum(sum(c.values()) for c in report.values()) > CLIENTS  # phq-9 and gad-7
    feedback = list(
        Response.objects.filter(instrument_id="session-feedback").values_list("total", flat=True)
    )
    rows = feedback_by_therapist()
    assert sum(row["responses"] for row in rows) == len(feedback)
    mean = sum(row["mean"] * row["responses"] for row in rows) / len(feedback)
    assert mean == pytest.approx(sum(feedback) / len(feedback))


def test_alerts_follow_the_responses(scale: Any) -> None:
    critical = {r.pk for r in Response.objects.all() if r.critical}
    risk = set(Alert.objects.filter(kind=AlertKind.RISK).values_list("response_id", flat=True))
    assert risk == critical and critical
    # One open alert of a kind per episode at most, and an open risk alert on the caseload.
    open_kinds = Counter(
        Alert.objects.filter(status=AlertStatus.OPEN)
        .exclude(kind=AlertKind.RISK)
        .values_list("episode_id", "kind")
    )
    assert max(open_kinds.values()) == 1
    assert Alert.objects.filter(kind=AlertKind.RISK, status="open").exists()
    assert Alert.objects.filter(kind=AlertKind.NOT_ON_TRACK).exists()
    assert not Alert.objects.filter(episode__status="closed", status="open").exists()
    # Nothing left for the worker to e-mail: the history's alerts were sent long ago.
    assert not Alert.objects.filter(notification="pending").exists()


def test_free_text_is_encrypted_at_rest(scale: Any) -> None:
    commented = Response.objects.exclude(text_answers={}).filter(instrument_id="session-feedback")
    response = next(r for r in commented.iterator() if r.text_answers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text_answers FROM measures_response WHERE id = %s", [response.pk])
        raw = cursor.fetchone()[0]
    assert response.text_answers["sf-comment"] not in raw


def test_the_pages_render(scale: Any) -> None:
    client_one = User.objects.get(email=email_of("client", 1))
    for name, (user, url) in scale_pages().items():
        browser = Client()
        browser.force_login(user)
        page = browser.get(url)
        assert page.status_code == 200, name
    browser = Client()
    browser.force_login(User.objects.get(email=email_of("therapist", 1)))
    record = browser.get(reverse("client_record", args=[client_one.pk]))
    assert client_one.preferred_name in record.content.decode()


def _queries(pages: dict[str, tuple[Any, str]]) -> dict[str, int]:
    counts = {}
    for name, (user, url) in pages.items():
        browser = Client()
        browser.force_login(user)
        browser.get(url)  # the first visit may add what falls due
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200, name
        counts[name] = len(queries.captured_queries)
    return counts


def test_pages_query_the_same_at_two_sizes(db: Any) -> None:
    build_scale_practice(20)
    small = _queries(scale_pages())
    build_scale_practice(70)
    assert Episode.objects.count() == 70
    large = _queries(scale_pages())
    assert all(small.values()), small
    assert large == small, (small, large)


def test_a_row_maker_that_stops_early_is_an_error_not_a_hang() -> None:
    import multiprocessing

    from alliance.web.scale import _next

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    ended = context.Process(target=int)  # ends at once, having sent nothing
    ended.start()
    ended.join()
    with pytest.raises(RuntimeError, match="stopped early"):
        _next(queue, ended, poll=0.05)
