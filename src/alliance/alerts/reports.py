"""De-identified practice reports, computed by SQL aggregation.

Reliable-change categories per episode and instrument compare the first and the latest
total, with each instrument's threshold (published, or Jacobson-Truax from its norms) and
clinical cut-off, exactly as ``alliance.instruments.reliable_change`` does; a test holds
the two to the same answers. No client is named: rows are per instrument and per
therapist, and counts under ``SMALL_CELL`` are shown as "fewer than 5".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from alliance import instruments as engine
from alliance.alerts.models import Alert, AlertKind
from alliance.instruments.alert_rules import AlertAccuracy, ClosedEpisode, alert_accuracy
from alliance.instruments.trajectories import reliable_change_threshold
from alliance.measures.instruments import all_instruments

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
    """Mean session-feedback total per therapist (and how many responses it rests on)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.preferred_name, AVG(r.total), COUNT(*)
            FROM measures_response r
            JOIN care_episode e ON e.id = r.episode_id
            JOIN accounts_user u ON u.id = e.therapist_id
            WHERE r.instrument_id = 'session-feedback' AND r.total IS NOT NULL
            GROUP BY u.id, u.preferred_name
            ORDER BY u.preferred_name
            """
        )
        return [
            {"therapist": name, "mean": float(mean), "responses": count}
            for name, mean, count in cursor.fetchall()
        ]


def checkin_completion(now: datetime | None = None) -> dict[str, Any]:
    """Share of check-ins that fell due and were completed, overall and per therapist."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT u.preferred_name,
                SUM(CASE WHEN a.completed_at IS NOT NULL THEN 1 ELSE 0 END), COUNT(*)
            FROM measures_administration a
            JOIN care_episode e ON e.id = a.episode_id
            JOIN accounts_user u ON u.id = e.therapist_id
            WHERE a.cancelled_at IS NULL AND (a.completed_at IS NOT NULL OR a.due_at < %s)
            GROUP BY u.id, u.preferred_name
            ORDER BY u.preferred_name
            """,
            [now],
        )
        rows = [
            {"therapist": name, "completed": done, "due": due, "rate": done / due if due else None}
            for name, done, due in cursor.fetchall()
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
    sessions: dict[int, list[int]] = {episode_id: [] for episode_id in categories}
    alerts: Iterable[tuple[int, dict[str, Any]]] = Alert.objects.filter(
        kind=AlertKind.NOT_ON_TRACK, episode_id__in=list(categories)
    ).values_list("episode_id", "details")
    for episode_id, details in alerts:
        if details.get("instrument_id", instrument_id) == instrument_id and details.get("session"):
            sessions[episode_id].append(int(details["session"]))
    return alert_accuracy(
        [
            ClosedEpisode(category=category, alert_sessions=tuple(sorted(sessions[episode_id])))
            for episode_id, category in categories.items()
        ]
    )
