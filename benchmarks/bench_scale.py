"""Cost that does not grow with the practice (issue 16, part 4): the pages a practice opens
all day, at 100 clients and at ``--clients`` clients.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_scale.py [--clients 10000]
        [--requests 30]

The data set is the scale practice (``alliance.web.scale.build_scale_practice``: client n
with therapist ceil(n/50) and supervisor ceil(n/2000), up to two years of weekly PHQ-9,
GAD-7 and session feedback, alerts, sessions, score summaries), built in the database that
``DATABASE_URL`` names — which must not hold a scale practice yet — or, with
``DATABASE_URL`` unset, in a throw-away SQLite database (``benchmarks/_setup.py``). The
database is migrated first (``alliance migrate``).

It builds 100 clients, measures, grows the practice to ``--clients``, measures again. Each
page is opened with the Django test client (``force_login``; no HTTP server, so the figures
are the application's own time: middleware, views, queries, templates): one untimed visit,
one visit whose queries are counted, then ``--requests`` timed visits. The pages: the
caseload of therapist1 (50 clients) and of supervisor1 (all clients up to 2,000), client1's
record and progress (as therapist1), the practice report and the alert-accuracy audit (as
supervisor1).

The two practice-wide reports read a snapshot of their figures, at most five minutes old
(``alliance.alerts.snapshots``); the worker's round works those out in the background. So
the time to work each report's figures out is measured too (``--requests`` times each,
after one untimed run) and printed in a second table. It is not in ``growth``, which is
about the pages people wait for, and it grows with the practice by design: it is the
aggregation the pages no longer do.

Progress goes to stderr; the figures to stdout; the last line is ``growth: X``, the worst
ratio of p95 at ``--clients`` over p95 at 100 across the pages.
"""

from __future__ import annotations

import argparse
import time

from _serve import backend_pid, own_cpu_seconds
from _setup import database_from_env, machine, percentile, progress

SMALL = 100


def _measure(requests: int) -> dict[str, tuple[int, float, float, float]]:
    """Per page: (queries, p50 ms, p95 ms, SQL ms of the counted visit)."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from alliance.web.scale import scale_pages

    figures = {}
    for name, (user, url) in scale_pages().items():
        browser = Client(HTTP_HOST="127.0.0.1")  # an allowed host outside tests
        browser.force_login(user)
        assert browser.get(url).status_code == 200, name
        reset_queries()  # each request empties DEBUG's query log: capture from empty
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(url).status_code == 200, name
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            page = browser.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200, name
        sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
        figures[name] = (
            len(queries.captured_queries),
            percentile(times, 50),
            percentile(times, 95),
            sql_ms,
        )
        progress(
            f"  {name}: {figures[name][0]} queries ({sql_ms:.1f} ms of SQL), "
            f"p95 {figures[name][2]:.1f} ms"
        )
    return figures


def _measure_reports(requests: int) -> dict[str, tuple[float, float]]:
    """Per report: (p50 ms, p95 ms) of working its figures out, as the worker does."""
    from alliance.alerts.snapshots import REPORTS, snapshot_refresh

    figures = {}
    for name in REPORTS:
        snapshot_refresh(name)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            snapshot_refresh(name)
            times.append((time.perf_counter() - started) * 1000)
        figures[name] = (percentile(times, 50), percentile(times, 95))
        progress(f"  worked out {name}: p95 {figures[name][1]:.1f} ms")
    return figures


def _build(clients: int) -> float:
    from django.db import connection

    from alliance.web.scale import build_scale_practice

    started = time.perf_counter()
    cpu_before = _database_cpu()
    result = build_scale_practice(clients, progress=progress)
    if cpu_before is not None:
        # COPY's work happens in the server: /usr/bin/time on this process does not see it.
        progress(f"database backend CPU during the build: {_database_cpu() - cpu_before:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would soon give
    progress(result.summary())
    return time.perf_counter() - started


def _database_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, when the
    server runs on this machine; None elsewhere."""
    backend = backend_pid()
    return None if backend is None else own_cpu_seconds(backend)


def _counts() -> dict[str, int]:
    from alliance.alerts.models import Alert
    from alliance.care.models import Episode, Session
    from alliance.measures.models import Administration, Response

    return {
        "episodes": Episode.objects.count(),
        "sessions": Session.objects.count(),
        "administrations": Administration.objects.count(),
        "responses": Response.objects.count(),
        "alerts": Alert.objects.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    database = database_from_env("scale")
    from alliance.web.scale import existing_clients

    if existing_clients():
        raise SystemExit("this database already holds a scale practice: use an empty one")
    print(f"machine: {machine()}")
    print(f"database: {database}")
    print(f"client: Django test client, {args.requests} timed requests per page and size")
    small_build = _build(SMALL)
    progress(f"measuring at {SMALL} clients")
    small = _measure(args.requests)
    small_reports = _measure_reports(args.requests)
    large_build = _build(args.clients)
    counts = _counts()
    print(
        f"build: {SMALL} clients in {small_build:.1f} s; grown to {args.clients:,} in "
        f"{large_build:.1f} s ({counts['responses']:,} responses, "
        f"{counts['administrations']:,} administrations, {counts['sessions']:,} sessions, "
        f"{counts['alerts']:,} alerts)"
    )
    progress(f"measuring at {args.clients:,} clients")
    large = _measure(args.requests)
    large_reports = _measure_reports(args.requests)
    worst = 0.0
    print(
        f"{'page':34} {'queries':>15} {'SQL ms':>17} {'p50 ms':>17} {'p95 ms':>17} {'p95 ratio':>9}"
    )
    for name, (queries, p50, p95, sql) in small.items():
        big_queries, big_p50, big_p95, big_sql = large[name]
        ratio = big_p95 / p95
        worst = max(worst, ratio)
        same = "" if big_queries == queries else "  <- query count grows"
        print(
            f"{name:34} {queries:>6} → {big_queries:<6} {sql:>7.1f} → {big_sql:<7.1f} "
            f"{p50:>7.1f} → {big_p50:<7.1f} "
            f"{p95:>7.1f} → {big_p95:<7.1f} {ratio:>8.2f}x{same}"
        )
    print("in the background (the worker's round, every four minutes; not in growth):")
    for name, (p50, p95) in small_reports.items():
        big_p50, big_p95 = large_reports[name]
        print(
            f"{'working out ' + name:34} {'':>15} {'':>17} {p50:>7.1f} → {big_p50:<7.1f} "
            f"{p95:>7.1f} → {big_p95:<7.1f} {big_p95 / p95:>8.2f}x"
        )
    print(f"growth: {worst:.2f}")


if __name__ == "__main__":
    main()
