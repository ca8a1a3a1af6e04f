"""The score summaries the practice report reads: kept current by ``response_submit``,
rebuilt by the data migration's function, and giving exactly the report the old
whole-table SQL gave (kept here as the reference)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from alliance.accounts.models import User
from alliance.alerts.models import ScoreSummary
from alliance.alerts.reports import (
    CATEGORIES,
    InstrumentRule,
    alert_accuracy_audit,
    episode_categories,
    feedback_by_therapist,
    outcome_report,
    outcome_rules,
    summary_drift,
    summary_rebuild,
    summary_record,
)
from alliance.care.models import Episode
from alliance.care.services import episode_close, episode_open
from alliance.checkins.services import response_submit
from alliance.measures.instruments import all_instruments, get_instrument
from alliance.measures.models import Administration, Response
from alliance.measures.services import administration_request
from tests.concurrency import at_once
from tests.conftest import Cast, make_user

START = timezone.now() - timedelta(weeks=30)


# --- The reference: the report as it was computed before summaries (every response,
# --- ordered by window functions), unchanged apart from being moved here.


def reference_pairs_sql(rules: list[InstrumentRule], scope: str) -> tuple[str, list[Any]]:
    params: list[Any] = []
    values = []
    for rule in rules:
        values.append("(%s, %s, %s, %s)")
        params += [
            rule.instrument_id,
            rule.threshold,
            rule.cutoff,
            1 if rule.higher_is_worse else -1,
        ]
    scope_filter = "AND e.status = 'closed'" if scope == "closed" else ""
    sql = f"""
        WITH rules(instrument_id, threshold, cutoff, sign) AS (VALUES {", ".join(values)}),
        ordered AS (
            SELECT r.episode_id, r.instrument_id, e.therapist_id, r.total,
                ROW_NUMBER() OVER (
                    PARTITION BY r.episode_id, r.instrument_id ORDER BY r.submitted_at, r.id
                ) AS from_first,
                ROW_NUMBER() OVER (
                    PARTITION BY r.episode_id, r.instrument_id
                    ORDER BY r.submitted_at DESC, r.id DESC
                ) AS from_last
            FROM measures_response r
            JOIN care_episode e ON e.id = r.episode_id
            WHERE r.total IS NOT NULL {scope_filter}
              AND r.instrument_id IN (SELECT instrument_id FROM rules)
        ),
        pairs AS (
            SELECT episode_id, instrument_id, therapist_id,
                MAX(CASE WHEN from_first = 1 THEN total END) AS intake,
                MAX(CASE WHEN from_last = 1 THEN total END) AS latest,
                COUNT(*) AS scores
            FROM ordered
            GROUP BY episode_id, instrument_id, therapist_id
            HAVING COUNT(*) >= 2
        ),
        judged AS (
            SELECT p.episode_id, p.instrument_id, p.therapist_id,
                (p.intake - p.latest) * u.sign AS improvement,
                u.threshold, u.sign,
                CASE WHEN u.sign = 1 THEN p.intake >= u.cutoff ELSE p.intake <= u.cutoff END
                    AS started_clinical,
                CASE WHEN u.sign = 1 THEN p.latest < u.cutoff ELSE p.latest > u.cutoff END
                    AS ended_nonclinical
            FROM pairs p JOIN rules u ON u.instrument_id = p.instrument_id
        )
        SELECT episode_id, instrument_id, therapist_id,
            CASE
                WHEN improvement >= threshold AND started_clinical AND ended_nonclinical
                    THEN 'recovered'
                WHEN improvement >= threshold THEN 'reliably improved'
                WHEN -improvement >= threshold THEN 'reliably deteriorated'
                ELSE 'no reliable change'
            END AS category
        FROM judged
    """
    return sql, params


def reference_episode_categories(scope: str) -> list[tuple[Any, ...]]:
    sql, params = reference_pairs_sql(outcome_rules(), scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def reference_outcome_report(scope: str) -> list[dict[str, Any]]:
    sql, params = reference_pairs_sql(outcome_rules(), scope)
    counts = ", ".join(
        f"SUM(CASE WHEN category = '{name}' THEN 1 ELSE 0 END)" for name in CATEGORIES
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.instrument_id, c.therapist_id, u.preferred_name, {counts}, COUNT(*)
            FROM ({sql}) c JOIN accounts_user u ON u.id = c.therapist_id
            GROUP BY c.instrument_id, c.therapist_id, u.preferred_name
            ORDER BY c.instrument_id, u.preferred_name
            """,
            params,
        )
        rows = cursor.fetchall()
    return [
        {
            "instrument_id": row[0],
            "therapist_id": row[1],
            "therapist": row[2],
            "counts": dict(zip(CATEGORIES, row[3:7], strict=True)),
            "episodes": row[7],
        }
        for row in rows
    ]


def reference_feedback() -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.id, u.preferred_name, AVG(r.total), COUNT(*)
            FROM measures_response r
            JOIN care_episode e ON e.id = r.episode_id
            JOIN accounts_user u ON u.id = e.therapist_id
            WHERE r.instrument_id = 'session-feedback' AND r.total IS NOT NULL
            GROUP BY u.id, u.preferred_name
            ORDER BY u.preferred_name
            """
        )
        return [
            {"therapist_id": pk, "therapist": name, "mean": float(mean), "responses": count}
            for pk, name, mean, count in cursor.fetchall()
        ]


# --- Random practice data through the services.


def random_answers(instrument_id: str, rng: random.Random) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in get_instrument(instrument_id).items:
        if item.kind == "text":
            if item.required:
                answers[item.link_id] = "a few words"
            continue
        allowed: tuple[Any, ...] = item.allowed_values()
        if not allowed and item.kind == "choice":
            allowed = tuple(option.code for option in item.options)
        if not allowed and item.min_value is not None and item.max_value is not None:
            allowed = (item.min_value, (item.min_value + item.max_value) / 2, item.max_value)
        if not allowed:
            continue
        if item.link_id == "phq9-9":
            allowed = (0,)  # no risk alerts: not what this test is about
        answers[item.link_id] = rng.choice(allowed)
    return answers


def submit(
    episode: Episode, client: User, therapist: User, instrument: str, at: Any, rng: random.Random
) -> None:
    administration = administration_request(
        actor=therapist, episode=episode, instrument_id=instrument
    )
    response_submit(
        actor=client,
        administration=administration,
        answers=random_answers(instrument, rng),
        submitted_at=at,
    )


def unscored(episode: Episode, client: User, instrument: str, at: Any) -> None:
    """A response without a total (as an instrument without one would store)."""
    administration = Administration.objects.create(
        episode=episode, instrument_id=instrument, instrument_version="x", completed_at=at
    )
    response = Response.objects.create(
        administration=administration,
        episode=episode,
        client=client,
        instrument_id=instrument,
        instrument_version="x",
        total=None,
        submitted_at=at,
        submitted_by=client,
    )
    summary_record(response)


def random_practice(cast: Cast, seed: int, episodes: int = 24) -> None:
    rng = random.Random(seed)
    instruments = [inst.id for inst in all_instruments()]
    therapists = [cast.alice, cast.charlie]
    for n in range(episodes):
        client = make_user(f"s{seed}-{n}@example.test", f"S{n:02d}", "client")
        therapist = rng.choice(therapists)
        episode = episode_open(actor=therapist, client=client, therapist=therapist)
        chosen = rng.sample(instruments, rng.randint(1, 4))
        if n % 3 == 0:
            chosen = [*chosen, "session-feedback"]
        for instrument in chosen:
            for _ in range(rng.randint(1, 6)):
                # Few distinct weeks and hours: many ties in time, and times out of order.
                at = START + timedelta(weeks=rng.randint(0, 3), hours=rng.choice((0, 0, 5)))
                if rng.random() < 0.15:
                    unscored(episode, client, instrument, at)
                else:
                    submit(episode, client, therapist, instrument, at, rng)
        if rng.random() < 0.4:
            episode_close(actor=therapist, episode=episode)


def assert_same_as_reference() -> None:
    for scope in ("all", "closed"):
        assert outcome_report(scope=scope) == reference_outcome_report(scope)
        assert sorted(episode_categories(scope)) == sorted(reference_episode_categories(scope))
    assert feedback_by_therapist() == reference_feedback()


def test_report_from_summaries_equals_the_whole_table_sql(cast: Cast) -> None:
    random_practice(cast, seed=11)
    random_practice(cast, seed=12)
    assert summary_drift() == []
    rows = reference_outcome_report("all")
    assert rows and {r["therapist"] for r in rows} == {"Alice", "Charlie"}
    assert len({r["instrument_id"] for r in rows}) >= 3
    assert reference_outcome_report("closed")
    assert reference_feedback()
    assert_same_as_reference()
    # Rebuilt from the responses (what the data migration does), nothing changes.
    fields = ("episode_id", "instrument_id", "first_response_id", "latest_response_id", "scores")
    before = sorted(ScoreSummary.objects.values_list(*fields))
    ScoreSummary.objects.all().delete()
    assert summary_drift()
    summary_rebuild()
    assert summary_drift() == []
    assert sorted(ScoreSummary.objects.values_list(*fields)) == before
    assert_same_as_reference()


def test_summary_follows_each_response(cast: Cast) -> None:
    """First and latest by time then id: an earlier-dated response becomes the first, a
    tie in time goes to the later id."""
    at = START + timedelta(weeks=4)
    for total_at in (at, at - timedelta(weeks=2), at, at + timedelta(days=1)):
        submit(cast.dana_episode, cast.dana, cast.alice, "phq-9", total_at, random.Random(1))
    responses = list(Response.objects.filter(episode=cast.dana_episode).order_by("id"))
    summary = ScoreSummary.objects.get(episode=cast.dana_episode, instrument_id="phq-9")
    assert summary.first_response_id == responses[1].pk
    assert summary.latest_response_id == responses[3].pk
    assert summary.scores == 4
    assert summary.total_sum == sum(r.total for r in responses if r.total is not None)
    assert summary_drift() == []


def test_alert_accuracy_unchanged_on_closed_episodes(cast: Cast) -> None:
    random_practice(cast, seed=21, episodes=12)
    audit = alert_accuracy_audit("phq-9")
    categories = {e: c for e, i, _t, c in reference_episode_categories("closed") if i == "phq-9"}
    assert audit.n_episodes == len(categories)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_concurrent_responses_make_one_consistent_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Responses of one episode and instrument submitted at the same moment, first with no
    summary row yet, then with one: a single row counting every response. (Today the
    episode lock taken by ``response_submit`` serialises them; the summary's own lock and
    create-race handling keep this true without it. The slowed save widens the window.)"""
    therapist = make_user("t-race@example.test", "Tess", "therapist")
    client = make_user("c-race@example.test", "Cy", "client")
    episode = episode_open(actor=therapist, client=client, therapist=therapist)
    save = ScoreSummary.save

    def slow_save(self: ScoreSummary, *args: Any, **kwargs: Any) -> None:
        time.sleep(0.05)  # widens the window between reading the row and writing it
        save(self, *args, **kwargs)

    monkeypatch.setattr(ScoreSummary, "save", slow_save)

    def submit_one(administration: Administration, seed: int) -> Callable[[], object]:
        return lambda: response_submit(
            actor=client,
            administration=administration,
            answers=random_answers("phq-9", random.Random(seed)),
            submitted_at=START + timedelta(days=seed % 3),
        )

    # First six at once (no row yet: the create race), then six more (the row lock).
    for _ in range(2):
        administrations = [
            administration_request(actor=therapist, episode=episode, instrument_id="phq-9")
            for _ in range(6)
        ]
        at_once(*[submit_one(a, n) for n, a in enumerate(administrations)])
    summary = ScoreSummary.objects.get(episode=episode, instrument_id="phq-9")
    assert summary.scores == 12
    assert summary_drift() == []
