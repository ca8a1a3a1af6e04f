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

It builds 100 clients, copies that database (PostgreSQL: ``CREATE DATABASE … TEMPLATE``;
SQLite: the var dir), grows the practice to ``--clients``, then measures both sizes in
turns (100, N, 100, N, 100, N), each turn in a new process that did not build anything, as
a server's would be: this machine's speed drifts by tens of per cent from one minute to the
next (a fixed CPU loop measured 0.76 to 1.26 s within three minutes), and measuring one size
after the other would put that drift in the ratio. Each page is opened with the Django
test client (``force_login``; no HTTP server, so the figures are the application's own
time: middleware, views, queries, templates): in each turn one untimed visit, one visit
whose queries are counted, then a third of ``--requests`` timed visits. The pages: the
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
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from _serve import backend_pid, own_cpu_seconds
from _setup import database_from_env, machine, percentile, progress

SMALL = 100


def _measure(requests: int) -> dict[str, dict[str, object]]:
    """Per page: its query count and SQL ms on one counted visit, and ``requests`` timed
    visits (ms); per report: ``requests`` timings of working its figures out (ms)."""
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from alliance.alerts.snapshots import REPORTS, snapshot_refresh
    from alliance.web.scale import scale_pages

    figures: dict[str, dict[str, object]] = {}
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
        figures[name] = {
            "queries": len(queries.captured_queries),
            "sql_ms": sum(float(q["time"]) for q in queries.captured_queries) * 1000,
            "times": times,
        }
    for name in REPORTS:
        snapshot_refresh(name)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            snapshot_refresh(name)
            times.append((time.perf_counter() - started) * 1000)
        figures[f"working out {name}"] = {"times": times}
    return figures


def _measure_apart(env: dict[str, str], requests: int) -> dict[str, dict[str, object]]:
    """``_measure`` in a new process on the database ``env`` names, as a server process
    would be: one that did not build the practice (its heap, its caches)."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", "--requests", str(requests)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def _measure_both(
    small_env: dict[str, str], large_env: dict[str, str], requests: int, rounds: int = 3
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Both sizes, in turns (small, large, small, large…), ``requests`` timed visits in all
    per page and size: this machine's speed drifts by tens of per cent from one minute to
    the next, and measuring one size after the other would put the drift in the ratio."""
    merged: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]] = ({}, {})
    share = max(1, requests // rounds)
    for turn in range(rounds):
        for size, env in enumerate((small_env, large_env)):
            progress(f"measuring, turn {turn + 1} of {rounds}: {('small', 'large')[size]}")
            for name, found in _measure_apart(env, share).items():
                into = merged[size].setdefault(name, {**found, "times": []})
                into["times"] += found["times"]
    return merged


def _copy_database(label: str) -> dict[str, str]:
    """A copy of the database as it is now, for measuring this size again later; returns
    the environment that names it. PostgreSQL: ``CREATE DATABASE … TEMPLATE`` (this
    process's connection closed first); SQLite: the var dir copied."""
    from django.db import connection

    env = dict(os.environ)
    if connection.vendor == "postgresql":
        name = connection.settings_dict["NAME"]
        copy = f"{name}_{label}"
        connection.close()
        with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            for attempt in range(10):  # autovacuum may still be connected to it
                try:
                    admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
                    break
                except psycopg.errors.ObjectInUse:
                    if attempt == 9:
                        raise
                    time.sleep(3)
        atexit.register(_drop_database, copy)
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + copy
        return env
    connection.close()
    source = Path(os.environ["ALLIANCE_VAR_DIR"])
    target = Path(tempfile.mkdtemp(prefix=f"alliance-scale-{label}-"))
    shutil.copytree(source, target, dirs_exist_ok=True)
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    env["ALLIANCE_VAR_DIR"] = str(target)
    return env


def _drop_database(name: str) -> None:
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


def _row(name: str, small: dict[str, Any], large: dict[str, Any]) -> tuple[str, float]:
    """One line of the table, and the p95 ratio."""
    p50, big_p50 = percentile(small["times"], 50), percentile(large["times"], 50)
    p95, big_p95 = percentile(small["times"], 95), percentile(large["times"], 95)
    ratio = big_p95 / p95
    if "queries" not in small:  # a report worked out: times only
        return (
            f"{name:34} {'':>15} {'':>17} {p50:>7.1f} → {big_p50:<7.1f} "
            f"{p95:>7.1f} → {big_p95:<7.1f} {ratio:>8.2f}x"
        ), ratio
    same = "" if small["queries"] == large["queries"] else "  <- query count grows"
    return (
        f"{name:34} {small['queries']:>6} → {large['queries']:<6} "
        f"{small['sql_ms']:>7.1f} → {large['sql_ms']:<7.1f} {p50:>7.1f} → {big_p50:<7.1f} "
        f"{p95:>7.1f} → {big_p95:<7.1f} {ratio:>8.2f}x{same}"
    ), ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # a child of the run below, on a database already built
        import django

        django.setup()
        print(json.dumps(_measure(args.requests)))
        return
    database = database_from_env("scale")
    from alliance.web.scale import existing_clients

    if existing_clients():
        raise SystemExit("this database already holds a scale practice: use an empty one")
    print(f"machine: {machine()}")
    print(f"database: {database}")
    print(
        f"client: Django test client, {args.requests} timed requests per page and size, "
        "in turns between the two sizes, each in a new process"
    )
    small_build = _build(SMALL)
    small_env = _copy_database(f"at{SMALL}")
    large_build = _build(args.clients)
    large_env = dict(os.environ)
    counts = _counts()
    print(
        f"build: {SMALL} clients in {small_build:.1f} s; grown to {args.clients:,} in "
        f"{large_build:.1f} s ({counts['responses']:,} responses, "
        f"{counts['administrations']:,} administrations, {counts['sessions']:,} sessions, "
        f"{counts['alerts']:,} alerts)"
    )
    from django.db import connection

    connection.close()
    small, large = _measure_both(small_env, large_env, args.requests)
    print(
        f"{'page':34} {'queries':>15} {'SQL ms':>17} {'p50 ms':>17} {'p95 ms':>17} {'p95 ratio':>9}"
    )
    worst = 0.0
    pages = [name for name in small if not name.startswith("working out ")]
    for name in pages:
        line, ratio = _row(name, small[name], large[name])
        worst = max(worst, ratio)
        print(line)
    print("in the background (the worker's round, every four minutes; not in growth):")
    for name in small:
        if name not in pages:
            print(_row(name, small[name], large[name])[0])
    print(f"growth: {worst:.2f}")


if __name__ == "__main__":
    main()
