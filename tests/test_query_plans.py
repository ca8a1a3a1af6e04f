"""The hot pages read responses, alerts and audit events through an index (issue 16,
part 4), on PostgreSQL, as the planner would at 10,000 clients.

Each page's queries are captured through the test client and EXPLAINed with sequential
scans priced out (``enable_seqscan = off``): a plan that still scans one of the big tables
from end to end has no index it could use, however large the table grows. (At a test's
size the planner would rightly scan small tables anyway; pricing scans out asks what it
*could* do.) SQLite has no such planner to ask: skipped there; CI runs it in its
PostgreSQL pass."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.alerts.snapshots import (
    ALERT_ACCURACY,
    PRACTICE_ALL,
    PRACTICE_CLOSED,
    snapshot_refresh,
)
from alliance.care.services import episode_open
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from tests.conftest import Cast, make_user

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="only PostgreSQL's planner is asked"
)

# The tables that grow with every check-in, alert and page view.
BIG_TABLES = (
    "measures_response",
    "measures_administration",
    "alerts_alert",
    "audit_auditevent",
)
SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


def _practice(cast: Cast) -> None:
    """A few clients with answered check-ins (one a risk answer), so every page has rows
    of each kind to read."""
    for n in range(6):
        client = make_user(f"plan{n}@example.test", f"Client {n}", "client")
        episode = episode_open(
            actor=cast.alice, client=client, therapist=cast.alice, supervisor=cast.sam
        )
        for answers in ([1] * 9, [2] * 8 + [n % 3]):
            administration = administration_request(
                actor=cast.alice, episode=episode, instrument_id="phq-9"
            )
            response_submit(actor=client, administration=administration, answers=answers)
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(actor=cast.dana, administration=administration, answers=[1] * 8 + [2])


def _pages(cast: Cast) -> dict[str, tuple[Any, str]]:
    return {
        "caseload (therapist)": (cast.alice, reverse("caseload")),
        "caseload (supervisor)": (cast.sam, reverse("caseload")),
        "client record": (cast.alice, reverse("client_record", args=[cast.dana.pk])),
        "progress": (cast.alice, reverse("client_progress", args=[cast.dana.pk])),
        "client's own progress": (cast.dana, reverse("my_progress")),
        "alerts": (cast.alice, reverse("alert_list")),
        "who has seen your record": (cast.dana, reverse("my_access_log")),
        "audit log": (cast.ada, reverse("audit_log")),
    }


def _scans(sql: str, params: Any) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {table for table in SEQ_SCAN.findall(plan) if table in BIG_TABLES}


# The practice-wide reports' pages read a kept snapshot (``alerts.snapshots``); the work is
# in working their figures out, which the worker's round and a page with an old snapshot do.
REPORTS = {
    "practice report": PRACTICE_ALL,
    "practice report (ended episodes)": PRACTICE_CLOSED,
    "alert-accuracy audit": ALERT_ACCURACY,
}


def _captured(cast: Cast) -> dict[str, list[dict[str, Any]]]:
    """Each page's queries on a second visit, and each report's as it is worked out."""
    captured = {}
    for name, (user, url) in _pages(cast).items():
        client = Client()
        client.force_login(user)
        client.get(url)  # the first visit may create what falls due
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, name
        captured[name] = queries.captured_queries
    for name, report in REPORTS.items():
        with CaptureQueriesContext(connection) as queries:
            snapshot_refresh(report)
        captured[name] = queries.captured_queries
    return captured


@pytest.mark.django_db
def test_hot_pages_reach_the_big_tables_through_an_index(cast: Cast) -> None:
    _practice(cast)
    found: dict[str, list[str]] = {}
    reads: dict[str, int] = {}
    for name, queries in _captured(cast).items():
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            reads[name] = reads.get(name, 0) + any(re.search(rf"\b{t}\b", sql) for t in BIG_TABLES)
            scanned = _scans(sql, None)
            if scanned:
                found.setdefault(name, []).append(f"{sorted(scanned)}: {sql[:300]}")
    # Each page does read the big tables (else this test would ask nothing of it).
    assert all(reads.get(name, 0) for name in [*_pages(cast), *REPORTS]), reads
    assert not found, "\n".join(f"{page}: {q}" for page, qs in found.items() for q in qs)
