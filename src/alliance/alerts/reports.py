"""De-identified practice reports, computed by SQL aggregation.

Reliable-change categories per episode and instrument compare the first and the latest
total, with each instrument's threshold (published, or Jacobson-Truax from its norms) and
clinical cut-off, exactly as ``alliance.instruments.reliable_change`` does; a test holds
the two to the same answers. No client is named: rows are per instrument and per
therapist, and counts under ``SMALL_CELL`` are shown as "fewer than 5".

The first and latest totals come from ``ScoreSummary`` rows that ``response_submit``
keeps current, so the report reads about one row per episode and instrument rather than
ordering every response (1M responses: ~12,000 rows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, F, Field, IntegerField, Min, Q, TextField, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from alliance import instruments as engine
from alliance.alerts.models import Alert, AlertKind, ScoreSummary
from alliance.instruments.alert_rules import AlertAccuracy, ClosedEpisode, alert_accuracy
from alliance.instruments.trajectories.rules import reliable_change_threshold
from alliance.measures.instruments import all_instruments

if TYPE_CHECKING:
    from alliance.measures.models import Response

CATEGORIES = ("recovered", "reliably improved", "no reliable change", "reliably deteriorated")
SMALL_CELL = 5


@dataclass(frozen=True)
class InstrumentRule:
    instrument_id: str
    threshold: float
    cutoff: float
    higher_is_worse: bool


def outcome_rules() -> list[InstrumentRule]:
    """Instruments whose change can be categorised: a threshold and a clinical cut-off."""
    rules = []
    for inst in all_instruments():
        if inst.clinical_cutoff is None or inst.reliable_change is None:
            continue
        try:
            threshold, _source = reliable_change_threshold(inst)
        except engine.ReliableChangeUnavailable:
            continue
        rules.append(
            InstrumentRule(
                inst.id,
                float(threshold),
                float(inst.clinical_cutoff.value),
                inst.direction == "higher_is_worse",
            )
        )
    return rules


def _pairs_sql(rules: list[InstrumentRule], scope: str) -> tuple[str, list[Any]]:
    """SQL giving, per episode and instrument, its therapist, intake, latest and category."""
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
    # Built only from constants and placeholders: every value travels as a parameter.
    # One summary row per episode and instrument holds its first and latest total
    # (``summary_record``), so nothing here orders the responses themselves.
    sql = f"""
        WITH rules(instrument_id, threshold, cutoff, sign) AS (VALUES {", ".join(values)}),
        judged AS (
            SELECT s.episode_id, s.instrument_id, e.therapist_id,
                (s.first_total - s.latest_total) * u.sign AS improvement,
                u.threshold, u.sign,
                CASE WHEN u.sign = 1 THEN s.first_total >= u.cutoff
                    ELSE s.first_total <= u.cutoff END AS started_clinical,
                CASE WHEN u.sign = 1 THEN s.latest_total < u.cutoff
                    ELSE s.latest_total > u.cutoff END AS ended_nonclinical
            FROM alerts_scoresummary s
            JOIN care_episode e ON e.id = s.episode_id
            JOIN rules u ON u.instrument_id = s.instrument_id
            WHERE s.scores >= 2 {scope_filter}
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
    """  # noqa: S608
    return sql, params


def episode_categories(scope: str = "all") -> list[tuple[int, str, int, str]]:
    """(episode id, instrument id, therapist id, category) for each episode with 2+ scores."""
    rules = outcome_rules()
    if not rules:
        return []
    sql, params = _pairs_sql(rules, scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def outcome_report(scope: str = "all") -> list[dict[str, Any]]:
    """Counts of each change category per instrument and therapist, aggregated in SQL."""
    rules = outcome_rules()
    if not rules:
        return []
    sql, params = _pairs_sql(rules, scope)
    counts = ", ".join(
        f"SUM(CASE WHEN category = '{name}' THEN 1 ELSE 0 END)" for name in CATEGORIES
    )
    report_sql = f"""
        SELECT c.instrument_id, c.therapist_id, u.preferred_name, {counts}, COUNT(*)
        FROM ({sql}) c JOIN accounts_user u ON u.id = c.therapist_id
        GROUP BY c.instrument_id, c.therapist_id, u.preferred_name
        ORDER BY c.instrument_id, u.preferred_name
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(report_sql, params)
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


def feedback_by_therapist() -> list[dict[str, Any]]:
    """Mean session-feedback total per therapist (and how many responses it rests on), from
    the summaries' running sums and counts."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.id, u.preferred_name, SUM(s.total_sum) / SUM(s.scores), SUM(s.scores)
            FROM alerts_scoresummary s
            JOIN care_episode e ON e.id = s.episode_id
            JOIN accounts_user u ON u.id = e.therapist_id
            WHERE s.instrument_id = 'session-feedback'
            GROUP BY u.id, u.preferred_name
            ORDER BY u.preferred_name
            """
        )
        return [
            {"therapist_id": pk, "therapist": name, "mean": float(mean), "responses": int(count)}
            for pk, name, mean, count in cursor.fetchall()
        ]


def checkin_completion(now: datetime | None = None) -> dict[str, Any]:
    """Share of check-ins that fell due and were completed, overall and per therapist.

    A check-in counts when it was completed, or when its due time passed unanswered (and
    it was not withdrawn). The episodes' ``CheckinTally`` rows hold both counts, kept by
    the services; to them are added the check-ins past due that the worker's round has
    not counted yet (``checkins_expire``), found through a partial index that holds only
    uncounted ones. So the report reads about one row per episode, not every
    administration of the practice.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.id, u.preferred_name, SUM(c.done), SUM(c.due)
            FROM (
                SELECT t.episode_id, t.completed AS done, t.completed + t.expired AS due
                FROM measures_checkintally t
                UNION ALL
                SELECT a.episode_id, 0, 1
                FROM measures_administration a
                WHERE a.completed_at IS NULL AND a.cancelled_at IS NULL
                    AND a.expired_at IS NULL AND a.due_at IS NOT NULL AND a.due_at < %s
            ) c
            JOIN care_episode e ON e.id = c.episode_id
            JOIN accounts_user u ON u.id = e.therapist_id
            GROUP BY u.id, u.preferred_name
            HAVING SUM(c.due) > 0
            ORDER BY u.preferred_name
            """,
            [now],
        )
        rows = [
            {
                "therapist_id": pk,
                "therapist": name,
                "completed": int(done),
                "due": int(due),
                "rate": int(done) / int(due) if due else None,
            }
            for pk, name, done, due in cursor.fetchall()
        ]
    done = sum(row["completed"] for row in rows)
    due = sum(row["due"] for row in rows)
    return {"rows": rows, "completed": done, "due": due, "rate": done / due if due else None}


def show_count(value: int) -> str:
    """Small counts could point at a person: they are shown as a range."""
    if 0 < value < SMALL_CELL:
        return f"<{SMALL_CELL}"
    return str(value)


def alert_accuracy_audit(instrument_id: str = "phq-9") -> AlertAccuracy:
    """How well this practice's not-on-track alerts foresaw how closed episodes ended."""
    categories = {
        episode_id: category
        for episode_id, inst, _therapist, category in episode_categories(scope="closed")
        if inst == instrument_id
    }
    # Each closed episode's first not-on-track alert session for this instrument (the
    # audit reads only when an episode was first alerted, and whether it was), worked out
    # by the database from two keys of each alert's details: one row per alerted episode,
    # not one per alert (at 10,000 clients 1,428 rows instead of 11,605; issue 16).
    first_alert = dict(
        Alert.objects.filter(kind=AlertKind.NOT_ON_TRACK, episode__status="closed")
        .alias(
            # An alert that names no instrument is taken as this one's, as before.
            instrument=Coalesce(
                NullIf(KT("details__instrument_id"), Value("", output_field=TextField())),
                Value(instrument_id, output_field=TextField()),
            ),
            session=Cast(KT("details__session"), IntegerField()),
        )
        .filter(instrument=instrument_id, session__gt=0)
        .values("episode_id")
        .annotate(first=Min("session"))
        .values_list("episode_id", "first")
    )
    return alert_accuracy(
        [
            ClosedEpisode(
                category=category,
                alert_sessions=(first_alert[episode_id],) if episode_id in first_alert else (),
            )
            for episode_id, category in categories.items()
        ]
    )


# --- Score summaries: kept as responses arrive, rebuilt or checked from the responses ---

# Per episode and instrument, from every response with a total: the first and the latest
# (ordered by submitted_at, then id), how many and their sum. Used to rebuild and to check.
SUMMARY_FROM_RESPONSES_SQL = """
    SELECT episode_id, instrument_id,
        MAX(CASE WHEN from_first = 1 THEN id END),
        MAX(CASE WHEN from_first = 1 THEN submitted_at END),
        MAX(CASE WHEN from_first = 1 THEN total END),
        MAX(CASE WHEN from_last = 1 THEN id END),
        MAX(CASE WHEN from_last = 1 THEN submitted_at END),
        MAX(CASE WHEN from_last = 1 THEN total END),
        COUNT(*), SUM(total)
    FROM (
        SELECT id, episode_id, instrument_id, total, submitted_at,
            ROW_NUMBER() OVER (
                PARTITION BY episode_id, instrument_id ORDER BY submitted_at, id
            ) AS from_first,
            ROW_NUMBER() OVER (
                PARTITION BY episode_id, instrument_id ORDER BY submitted_at DESC, id DESC
            ) AS from_last
        FROM measures_response
        WHERE total IS NOT NULL
    ) ordered
    GROUP BY episode_id, instrument_id
"""
SUMMARY_COLUMNS = (
    "episode_id, instrument_id, first_response_id, first_at, first_total, "
    "latest_response_id, latest_at, latest_total, scores, total_sum"
)


def summary_record(response: Response) -> None:
    """Fold one new response into its episode's summary for that instrument.

    Called by ``response_submit`` inside its transaction. Usually one UPDATE: the database
    compares the response with the stored first and latest and adds to the count and sum
    in the same statement, on the row it has locked, so concurrent responses cannot lose
    an update. (``response_submit`` also holds the episode's row lock, its
    ``select_for_update`` joining the episode.) The first response of a pair inserts the
    row; if another transaction inserted it meanwhile, the unique constraint says so and
    the UPDATE runs on that row. A response dated earlier than the current first (history
    brought in) becomes the first; a tie in time goes by response id, as the report's
    ordering always has.
    """
    if response.total is None:
        return
    total = float(response.total)
    at, pk = response.submitted_at, response.pk
    key = {"episode_id": response.episode_id, "instrument_id": response.instrument_id}
    if _summary_update(key, at, pk, total):
        return
    try:
        with transaction.atomic():
            ScoreSummary.objects.create(
                **key,
                first_response=response,
                first_at=at,
                first_total=total,
                latest_response=response,
                latest_at=at,
                latest_total=total,
                scores=1,
                total_sum=total,
            )
    except IntegrityError:
        _summary_update(key, at, pk, total)


def _summary_update(key: dict[str, Any], at: datetime, pk: int, total: float) -> bool:
    """One atomic UPDATE of an existing summary row; False when there is none yet."""
    earlier = Q(first_at__gt=at) | Q(first_at=at, first_response_id__gt=pk)
    later = Q(latest_at__lt=at) | Q(latest_at=at, latest_response_id__lt=pk)

    def pick(condition: Q, new: Any, field: str) -> Case:
        output = ScoreSummary._meta.get_field(field.removesuffix("_id"))
        assert isinstance(output, Field)
        return Case(When(condition, then=Value(new)), default=F(field), output_field=output)

    updated = ScoreSummary.objects.filter(**key).update(
        first_response_id=pick(earlier, pk, "first_response_id"),
        first_at=pick(earlier, at, "first_at"),
        first_total=pick(earlier, total, "first_total"),
        latest_response_id=pick(later, pk, "latest_response_id"),
        latest_at=pick(later, at, "latest_at"),
        latest_total=pick(later, total, "latest_total"),
        scores=F("scores") + 1,
        total_sum=F("total_sum") + total,
    )
    return updated > 0


def summary_rebuild(using: BaseDatabaseWrapper | None = None) -> int:
    """Recompute every summary from the stored responses; returns how many rows.

    The data migration runs it once for responses stored before summaries existed; it can
    be run again at any time (inside a transaction, it replaces the table's content).
    """
    db = using or connection
    with db.cursor() as cursor:
        cursor.execute("DELETE FROM alerts_scoresummary")
        cursor.execute(
            f"INSERT INTO alerts_scoresummary ({SUMMARY_COLUMNS}) {SUMMARY_FROM_RESPONSES_SQL}"
        )
        cursor.execute("SELECT COUNT(*) FROM alerts_scoresummary")
        return int(cursor.fetchone()[0])


def summary_drift() -> list[tuple[int, str]]:
    """(episode, instrument) pairs whose stored summary differs from the responses: empty
    when the summaries are consistent. Sums are compared to a relative 1e-9 (float sums
    depend on the order of addition); everything else exactly."""
    with connection.cursor() as cursor:
        cursor.execute(SUMMARY_FROM_RESPONSES_SQL)
        expected = {(row[0], row[1]): row for row in cursor.fetchall()}
        cursor.execute(f"SELECT {SUMMARY_COLUMNS} FROM alerts_scoresummary")  # noqa: S608
        stored = {(row[0], row[1]): row for row in cursor.fetchall()}

    def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
        fixed = (0, 1, 2, 4, 5, 7, 8)
        if any(a[i] != b[i] for i in fixed) or _as_time(a[3]) != _as_time(b[3]):
            return False
        return _as_time(a[6]) == _as_time(b[6]) and math.isclose(a[9], b[9], rel_tol=1e-9)

    keys = expected.keys() | stored.keys()
    return sorted(
        key
        for key in keys
        if key not in expected or key not in stored or not same(expected[key], stored[key])
    )


def _as_time(value: Any) -> Any:
    """SQLite hands timestamps back as text and PostgreSQL as datetimes: one form."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=None)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
