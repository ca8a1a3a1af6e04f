"""Where the caseload page's time goes, at the dashboard benchmark's scale.

    .venv/bin/python benchmarks/profile_caseload.py [--clients 500] [--weeks 104] [--runs 10]

Builds one caseload with ``bench_dashboard.caseload`` (same data as ``bench_dashboard.py``),
then times, best and median of ``--runs``: the caseload queries alone (``caseload_page``:
the database counts the caseload by need and returns the first page, whose rows are then
fetched), and the whole ``GET /clinic/``; then prints a cProfile of one page (top
functions by cumulative time). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sqlite3
import statistics
import time

from _setup import fresh_database, progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--keep", help="copy the database to this file before exiting")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    args = parser.parse_args()

    fresh_database("profile-caseload")
    from bench_dashboard import caseload
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from alliance.accounts.models import User
    from alliance.alerts.selectors import caseload_page

    email = "therapist-large@bench.test"
    progress(f"building {args.clients} clients x {args.weeks} weeks")
    caseload(email, args.clients, 1, args.weeks, timezone.now(), random.Random(args.seed))
    reset_queries()
    therapist = User.objects.get(email=email)
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(therapist)

    def timed(label: str, work: object) -> None:
        runs = []
        for _ in range(args.runs):
            t = time.perf_counter()
            work()  # type: ignore[operator]
            runs.append(time.perf_counter() - t)
        print(
            f"{label}: best {min(runs) * 1e3:.1f} ms, median {statistics.median(runs) * 1e3:.1f} ms"
        )

    def query() -> None:
        shown = caseload_page(therapist)
        assert shown.treating.paginator.count == args.clients

    def page() -> None:
        assert browser.get("/clinic/").status_code == 200

    page()
    with CaptureQueriesContext(connection) as queries:
        page()
    for q in queries.captured_queries:
        print(f"  query {q['time']} s: {q['sql'][:100]}")
    timed("caseload queries (caseload_page)", query)
    timed("whole page GET /clinic/", page)
    profile = cProfile.Profile()
    profile.enable()
    page()
    profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(35)
    if args.keep:
        connection.ensure_connection()
        with sqlite3.connect(args.keep) as copy:
            connection.connection.backup(copy)
        progress(f"database copied to {args.keep}")


if __name__ == "__main__":
    main()
