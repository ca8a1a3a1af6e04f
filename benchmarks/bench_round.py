"""The worker's round over open episodes (``check_alerts``) at scale (issue 16): it visits
only the episodes that are due, so a round with nothing due costs the same however many
clients the practice has.

    [DATABASE_URL=postgres://…] .venv/bin/python benchmarks/bench_round.py [--clients 2000]
        [--hours 24] [--step 60]

The data set is the scale practice (``alliance.web.scale.build_scale_practice``), built in
the database ``DATABASE_URL`` names — which must not hold a scale practice yet — or, with
it unset, in a throw-away SQLite database (``benchmarks/_setup.py``). Every episode it
makes is due (``next_check_at`` NULL), as every open episode is after the upgrade that
added the field.

Then the round (``disengagement_check_open_episodes``, what the ``check_alerts`` task
calls) runs, in this process:

1. once: it catches up, visiting every open episode, which is what every round cost before
   (benchmarks/README.md, "The worker's round at 10,000 clients");
2. again at once: nothing is due;
3. every ``--step`` seconds of simulated time (the round's ``now``; the worker's
   ``--interval`` is 60 s) for ``--hours``: the steady state, where episodes come due as
   their check-ins fall due and at the latest ``LONGEST_UNVISITED`` after their last visit.

Each line gives seconds, queries (every statement sent, counted with
``connection.execute_wrapper``) and episodes visited; the simulated day gives totals, the
mean and the slowest round. Progress goes to stderr. The last line is ``ratio: X``: the
mean round of the simulated period over the catch-up round (the cost of a round that
visits every open episode).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from _setup import database_from_env, machine, progress


class Counter:
    """Counts the statements Django sends, without keeping them (DEBUG's query log holds
    at most 9,000, fewer than a catch-up round sends)."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.queries += 1
        return execute(*args)


def _round(now: datetime | None) -> tuple[float, int, dict[str, int]]:
    """One round: (seconds, queries, its result)."""
    from django.db import connection

    from alliance.alerts.rules import disengagement_check_open_episodes

    counter = Counter()
    started = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = disengagement_check_open_episodes(
            progress=lambda done: progress(f"  {done:,} episodes visited"), now=now
        )
    return time.perf_counter() - started, counter.queries, result


def _line(name: str, seconds: float, queries: int, result: dict[str, int]) -> str:
    return (
        f"{name:34} {seconds:>9.3f} s {queries:>9,} queries {result['episodes']:>7,} visited "
        f"{result['checkins_changed']:>6,} check-ins changed {result['raised']:>4,} raised"
    )


def _build(clients: int) -> float:
    from django.db import connection

    from alliance.web.scale import build_scale_practice

    started = time.perf_counter()
    result = build_scale_practice(clients, progress=progress)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would soon give
    progress(result.summary())
    return time.perf_counter() - started


def _simulate(start: datetime, hours: float, step: float) -> dict[str, float]:
    """Rounds every ``step`` simulated seconds for ``hours``: totals, mean and slowest."""
    rounds = int(hours * 3600 / step)
    totals = {"seconds": 0.0, "queries": 0.0, "visited": 0.0, "changed": 0.0, "raised": 0.0}
    slowest = (0.0, 0, 0)
    for n in range(1, rounds + 1):
        seconds, queries, result = _round(start + timedelta(seconds=n * step))
        totals["seconds"] += seconds
        totals["queries"] += queries
        totals["visited"] += result["episodes"]
        totals["changed"] += result["checkins_changed"]
        totals["raised"] += result["raised"]
        if seconds > slowest[0]:
            slowest = (seconds, queries, result["episodes"])
        if n % 60 == 0:
            progress(
                f"simulated {n * step / 3600:.1f} h: {int(totals['visited']):,} visits, "
                f"{totals['seconds']:.1f} s"
            )
    totals.update(
        rounds=rounds,
        slowest_seconds=slowest[0],
        slowest_queries=slowest[1],
        slowest_visited=slowest[2],
    )
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=2_000)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated time (default 24)")
    parser.add_argument(
        "--step", type=float, default=60.0, help="simulated seconds between rounds (default 60)"
    )
    args = parser.parse_args()
    database = database_from_env("round")
    from django.utils import timezone

    from alliance.alerts.rules import LONGEST_UNVISITED
    from alliance.care.models import Episode, EpisodeStatus
    from alliance.web.scale import existing_clients

    if existing_clients():
        raise SystemExit("this database already holds a scale practice: use an empty one")
    print(f"machine: {machine()}")
    print(f"database: {database}")
    built = _build(args.clients)
    open_episodes = Episode.objects.filter(status=EpisodeStatus.OPEN).count()
    print(f"build: {args.clients:,} clients ({open_episodes:,} open episodes) in {built:.1f} s")
    progress("round 1: catching up")
    first = _round(None)
    print(_line("1st round (catch-up: every episode)", *first))
    progress("round 2: nothing due")
    second = _round(None)
    print(_line("2nd round (at once)", *second))
    progress(f"{args.hours:g} simulated hours, a round every {args.step:g} s")
    day = _simulate(timezone.now(), args.hours, args.step)
    rounds = int(day["rounds"])
    mean = day["seconds"] / rounds
    print(
        f"{args.hours:g} simulated hours, {rounds:,} rounds {args.step:g} s apart "
        f"(LONGEST_UNVISITED {LONGEST_UNVISITED}): {day['visited']:,.0f} visits "
        f"({day['visited'] / max(open_episodes, 1):.1f} per open episode), "
        f"{day['changed']:,.0f} check-ins changed, {day['raised']:,.0f} raised; "
        f"{day['seconds']:.1f} s and {day['queries']:,.0f} queries in all"
    )
    print(
        f"per round: mean {mean * 1000:.1f} ms, {day['queries'] / rounds:.1f} queries, "
        f"{day['visited'] / rounds:.1f} visited; slowest {day['slowest_seconds'] * 1000:.1f} ms "
        f"({day['slowest_queries']:,.0f} queries, {day['slowest_visited']:,.0f} visited)"
    )
    print(f"ratio: {mean / first[0]:.4f}")


if __name__ == "__main__":
    main()
