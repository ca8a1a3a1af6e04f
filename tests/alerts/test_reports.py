"""The practice report's SQL agrees with the engine, and shows no one."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance import instruments as engine
from alliance.alerts.models import Alert
from alliance.alerts.reports import (
    alert_accuracy_audit,
    checkin_completion,
    episode_categories,
    feedback_by_therapist,
    outcome_report,
    show_count,
)
from alliance.care.services import episode_close, episode_open
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from tests.conftest import Cast, make_user

START = timezone.now() - timedelta(weeks=20)


def answers_for(instrument: str, total: int) -> list[int]:
    items = 9 if instrument == "phq-9" else 7
    values = [0] * items
    for n in range(total):
        values[n % (items - 1 if instrument == "phq-9" else items)] += 1
    return values


def history(episode: Any, client: Any, therapist: Any, instrument: str, totals: list[int]) -> None:
    for week, total in enumerate(totals):
        administration = administration_request(
            actor=therapist, episode=episode, instrument_id=instrument
        )
        response_submit(
            actor=client,
            administration=administration,
            answers=answers_for(instrument, total),
            submitted_at=START + timedelta(weeks=week),
        )


def test_sql_categories_equal_the_engines(cast: Cast) -> None:
    rng = random.Random(7)
    expected = {}
    for n in range(40):
        client = make_user(f"r{n}@example.test", f"R{n}", "client")
        episode = episode_open(actor=cast.alice, client=client, therapist=cast.alice)
        for instrument, top in (("phq-9", 24), ("gad-7", 21)):
            totals = [rng.randint(0, top) for _ in range(rng.randint(2, 5))]
            history(episode, client, cast.alice, instrument, totals)
            change = engine.reliable_change(instrument, totals[0], totals[-1])
            expected[(episode.pk, instrument)] = change.category
    got = {(e, i): c for e, i, _t, c in episode_categories()}
    assert got == expected
    assert len(set(expected.values())) >= 3  # the sample covers several categories


def test_report_counts_by_instrument_and_therapist(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])  # recovered
    history(cast.eve_episode, cast.eve, cast.alice, "phq-9", [8, 16])  # deteriorated
    frank = make_user("f@example.test", "Frank", "client")
    episode = episode_open(actor=cast.charlie, client=frank, therapist=cast.charlie)
    history(episode, frank, cast.charlie, "phq-9", [12, 11])  # no reliable change
    rows = {(r["instrument_id"], r["therapist"]): r for r in outcome_report()}
    assert rows[("phq-9", "Alice")]["counts"] == {
        "recovered": 1,
        "reliably improved": 0,
        "no reliable change": 0,
        "reliably deteriorated": 1,
    }
    assert rows[("phq-9", "Charlie")]["counts"]["no reliable change"] == 1
    assert outcome_report(scope="closed") == []
    episode_close(actor=cast.charlie, episode=episode)
    assert [r["therapist"] for r in outcome_report(scope="closed")] == ["Charlie"]


def test_small_counts_are_not_shown_exactly() -> None:
    assert [show_count(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]


def test_feedback_and_completion(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="session-feedback"
    )
    answers = dict.fromkeys(("sf-bond", "sf-goals", "sf-approach", "sf-respect", "sf-overall"), 8)
    response_submit(actor=cast.dana, administration=administration, answers=answers)
    administration_request(
        actor=cast.alice,
        episode=cast.eve_episode,
        instrument_id="phq-9",
        due_at=timezone.now() - timedelta(days=1),
    )
    assert feedback_by_therapist() == [
        {"therapist_id": cast.alice.pk, "therapist": "Alice", "mean": 40.0, "responses": 1}
    ]
    completion = checkin_completion()
    assert (completion["completed"], completion["due"], completion["rate"]) == (1, 2, 0.5)


def test_alert_accuracy_over_closed_episodes(cast: Cast) -> None:
    # Dana deteriorates and was alerted at session 2; Eve improves and never was.
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [8, 16, 17])
    history(cast.eve_episode, cast.eve, cast.alice, "phq-9", [20, 12, 6])
    assert Alert.objects.filter(kind="not_on_track", episode=cast.dana_episode).exists()
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    episode_close(actor=cast.alice, episode=cast.eve_episode)
    audit = alert_accuracy_audit("phq-9")
    assert (audit.n_episodes, audit.n_deteriorated, audit.n_deteriorated_alerted) == (2, 1, 1)
    assert audit.sensitivity == 1.0
    assert audit.n_alerted_improved == 0


def test_report_pages_name_no_client(cast: Cast) -> None:
    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])
    client = Client()
    client.force_login(cast.sam)
    for name in ("practice_report", "alert_accuracy"):
        page = client.get(reverse(name)).content.decode()
        assert "Dana" not in page and "dana@" not in page
    page = client.get(reverse("practice_report")).content.decode()
    assert "Alice" in page and "&lt;5" in page
