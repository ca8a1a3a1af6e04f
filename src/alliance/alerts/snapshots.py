"""The practice-wide reports' figures, kept as snapshots at most five minutes old.

The practice outcome report and the alert-accuracy audit aggregate the whole practice:
at 10,000 clients their SQL takes 100 ms and more, and grows with every episode
(benchmarks/README.md, ``bench_scale.py``). Their pages read a snapshot instead: the
practice's totals from one row and, for the outcome report, the 25 therapists of the page
shown from their own rows, whatever the practice's size.

The worker's round works each snapshot out again once it is ``WORKER_REFRESH_AGE`` old, so
in a practice with a worker a page never waits for the aggregation; a page that finds its
snapshot missing or ``SNAPSHOT_MAX_AGE`` old (no worker running, as under ``make demo``)
works it out itself before showing it. Either way the figures shown are never more than
``SNAPSHOT_MAX_AGE`` old, and the page says when they were worked out. A supervisor can
also have them worked out now.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from alliance.alerts.models import ReportSnapshot, ReportSnapshotRow
from alliance.alerts.reports import (
    CATEGORIES,
    alert_accuracy_audit,
    checkin_completion,
    feedback_by_therapist,
    outcome_report,
)
from alliance.instruments.alert_rules import AlertAccuracy

# What the pages promise: figures worked out at most this long ago.
SNAPSHOT_MAX_AGE = timedelta(minutes=5)
# The worker's round (every minute by default) refreshes a snapshot this old, a minute
# before a page would have to.
WORKER_REFRESH_AGE = timedelta(minutes=4)

PRACTICE_ALL = "practice:all"
PRACTICE_CLOSED = "practice:closed"
ALERT_ACCURACY = "alert-accuracy:phq-9"

# What a report's work gives: the practice's figures, and one row per therapist in order.
Figures = tuple[dict[str, Any], list[dict[str, Any]]]


def practice_figures(scope: str) -> Figures:
    """Everything the practice outcome report shows, for one scope ("all" or "closed"):
    per instrument its therapists' category counts and the practice's totals, each
    therapist's session-feedback mean, and check-in completion, overall and by therapist.
    The therapists' rows are in order of name."""
    therapists: dict[int, dict[str, Any]] = {}

    def row_of(source: dict[str, Any]) -> dict[str, Any]:
        return therapists.setdefault(
            source["therapist_id"],
            {
                "therapist_id": source["therapist_id"],
                "therapist": source["therapist"],
                "outcomes": {},
                "feedback": None,
                "completion": None,
            },
        )

    instruments: list[str] = []
    totals: dict[str, Counter[str]] = {}
    for found in outcome_report(scope=scope):
        instrument_id = found["instrument_id"]
        if instrument_id not in totals:
            instruments.append(instrument_id)
            totals[instrument_id] = Counter()
        totals[instrument_id].update(found["counts"])
        row_of(found)["outcomes"][instrument_id] = {
            "counts": found["counts"],
            "episodes": found["episodes"],
        }
    for found in feedback_by_therapist():
        row_of(found)["feedback"] = {"mean": found["mean"], "responses": found["responses"]}
    completion = checkin_completion()
    for found in completion["rows"]:
        row_of(found)["completion"] = {key: found[key] for key in ("completed", "due", "rate")}
    practice = {
        "instruments": instruments,
        "totals": {i: {name: totals[i][name] for name in CATEGORIES} for i in instruments},
        "completion": {key: completion[key] for key in ("completed", "due", "rate")},
        "therapists": len(therapists),
    }
    ordered = sorted(
        therapists.values(), key=lambda r: (r["therapist"].casefold(), r["therapist_id"])
    )
    return practice, ordered


def _audit_figures() -> Figures:
    figures = dataclasses.asdict(alert_accuracy_audit("phq-9"))
    figures.pop("definitions")  # constant text: the dataclass's default gives it back
    return figures, []


def audit_from_figures(figures: dict[str, Any]) -> AlertAccuracy:
    """The audit as the page uses it, from a snapshot's JSON (lists back to tuples)."""
    fields: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value for key, value in figures.items()
    }
    return AlertAccuracy(**fields)


# Each snapshot's name and the function that works its figures out.
REPORTS: dict[str, Callable[[], Figures]] = {
    PRACTICE_ALL: lambda: practice_figures("all"),
    PRACTICE_CLOSED: lambda: practice_figures("closed"),
    ALERT_ACCURACY: _audit_figures,
}


@dataclass(frozen=True)
class Snapshot:
    """A kept report: the practice's figures, when they were worked out, and where its
    therapists' rows are (``snapshot_rows``)."""

    name: str
    data: dict[str, Any]
    computed_at: datetime
    pk: int
    generation: int


@transaction.atomic
def snapshot_refresh(name: str, now: datetime | None = None) -> Snapshot:
    """Work the report's figures out now and keep them, replacing the rows kept before in
    the same transaction. Two refreshes of one report at once take turns on its row."""
    data, rows = REPORTS[name]()
    computed_at = now or timezone.now()
    kept, _created = ReportSnapshot.objects.select_for_update().get_or_create(
        name=name, defaults={"computed_at": computed_at, "data": data}
    )
    kept.generation += 1
    kept.computed_at, kept.data = computed_at, data
    kept.save(update_fields=["generation", "computed_at", "data"])
    kept.rows.all().delete()
    ReportSnapshotRow.objects.bulk_create(
        ReportSnapshotRow(snapshot=kept, generation=kept.generation, position=n, data=row)
        for n, row in enumerate(rows)
    )
    return _as_snapshot(kept)


def _as_snapshot(kept: ReportSnapshot) -> Snapshot:
    return Snapshot(kept.name, kept.data, kept.computed_at, kept.pk, kept.generation)


def report_snapshot(name: str, now: datetime | None = None) -> Snapshot:
    """The report's figures for a page: the kept ones, unless missing or older than
    ``SNAPSHOT_MAX_AGE``, then worked out first."""
    if name not in REPORTS:
        raise KeyError(name)
    now = now or timezone.now()
    kept = ReportSnapshot.objects.filter(name=name).first()
    if kept is None or kept.computed_at <= now - SNAPSHOT_MAX_AGE:
        return snapshot_refresh(name, now)
    return _as_snapshot(kept)


def _rows(snapshot: Snapshot) -> QuerySet[ReportSnapshotRow, dict[str, Any]]:
    return (
        ReportSnapshotRow.objects.filter(snapshot_id=snapshot.pk, generation=snapshot.generation)
        .order_by("position")
        .values_list("data", flat=True)
    )


class _Counted(Paginator):
    """Pages of rows whose number the snapshot already says: no COUNT query."""

    def __init__(self, rows: QuerySet[Any, Any], per_page: int, count: int) -> None:
        super().__init__(rows, per_page)
        self._count = count

    @property
    def count(self) -> int:
        return self._count


def report_page(
    name: str, page_number: int | str | None, per_page: int
) -> tuple[Snapshot, Page[dict[str, Any]]]:
    """The report's figures and one page of its therapists' rows, in order of name (a page
    number out of range or not a number gives the nearest page, as ``get_page`` does).

    The page reads only its own rows. A refresh that commits between reading the snapshot
    and reading its rows has replaced them: then both are read again, so the rows shown
    always belong to the figures shown.
    """
    for _attempt in range(3):
        snapshot = report_snapshot(name)
        page = _Counted(_rows(snapshot), per_page, snapshot.data.get("therapists", 0)).get_page(
            page_number
        )
        if page.object_list or not page.paginator.count:
            break
    return snapshot, page


def snapshots_refresh_due(now: datetime | None = None) -> int:
    """For the worker's round: every report whose snapshot is missing or at least
    ``WORKER_REFRESH_AGE`` old is worked out again. Returns how many."""
    now = now or timezone.now()
    fresh = set(
        ReportSnapshot.objects.filter(
            name__in=REPORTS, computed_at__gt=now - WORKER_REFRESH_AGE
        ).values_list("name", flat=True)
    )
    due = [name for name in REPORTS if name not in fresh]
    for name in due:
        snapshot_refresh(name, now)
    return len(due)
