"""The load test (issue 16, part 3): a Monday morning (``locustfile.py``) against
``--app-processes`` production app servers and ``--workers`` background workers on one
database, then a check in the database that nothing the server acknowledged was lost.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/load/run.py --clients 10000 \\
        --app-processes 2 --users 100 --spawn-rate 10 --run-time 5m
    .venv/bin/python benchmarks/load/run.py --check RECORD    # the check alone, again

1. The environment is a production installation's (``benchmarks/_serve.py``: debug off,
   keys of its own kept in ``--var-dir``, static files collected, plain HTTP on 127.0.0.1
   behind a TLS proxy that locust plays). ``DATABASE_URL`` names the database; unset, a
   SQLite file in ``--var-dir`` (for the test; one machine only).
2. ``alliance migrate``; the scale practice (``alliance demo --scale N``'s builder,
   ``alliance.web.scale``) is grown to ``--clients`` clients if it has fewer (progress on
   stderr), else reused.
3. ``--app-processes`` x ``alliance serve --workers 1``, each on its own port, and
   ``--workers`` x ``alliance worker``; locust headless (``--users``, ``--spawn-rate``,
   ``--run-time``) spreading requests over the servers; the CPU seconds of the app servers,
   the workers, PostgreSQL (when it runs on this machine) and locust are read from /proc
   before and after.
4. The check, from the record of acknowledged check-ins locust wrote: each administration
   has exactly one stored response, of that client; each acknowledged risk answer (PHQ-9
   item 9 above 0) is stored as such and has its urgent (risk) alert, exactly one, raised
   from that response; and every response stored during the run with a risk answer has one.

Progress on stderr. On stdout: the machine and load, per-route requests, failures, p50/p95/
p99 (ms) and requests/s, CPU use, and the check's figures; the last line ``lost: N``. The
exit status is 0 only with no failed request, nothing lost and no alert missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _serve import (
    postgres_server_pid,
    prepare,
    production_env,
    setup_django,
    start_servers,
    start_workers,
    uptime,
)
from _setup import ROOT, VENV_BIN, machine, progress

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
RECORD_NAME = "acknowledged.jsonl"


@dataclass
class Check:
    acknowledged: int = 0
    risk_acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    missing_alerts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.missing_alerts)


def read_record(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def check_acknowledged(record: list[dict[str, object]], since: float | None = None) -> Check:
    """Every acknowledged check-in stored once, with its response and, for a risk answer,
    its urgent alert; and (from ``since``, a Unix time) no stored risk answer without one.
    Needs Django set up on the servers' database."""
    from datetime import UTC, datetime

    from django.db.models import Count

    from alliance.alerts.models import Alert, AlertKind
    from alliance.measures.models import Response

    result = Check(acknowledged=len(record))
    ids = [int(str(entry["administration"])) for entry in record]
    seen: set[int] = set()
    for administration in ids:
        if administration in seen:
            result.duplicated.append(f"administration {administration} acknowledged twice")
        seen.add(administration)
    stored = {
        r.administration_id: r
        for r in Response.objects.filter(administration_id__in=ids).select_related("client")
    }
    risk_alerts = dict(
        Alert.objects.filter(kind=AlertKind.RISK, response__administration_id__in=ids)
        .values_list("response__administration_id")
        .annotate(n=Count("pk"))
    )
    for entry in record:
        administration = int(str(entry["administration"]))
        response = stored.get(administration)
        if response is None or response.client.email != entry["client"]:
            result.lost.append(f"administration {administration}")
            continue
        if entry.get("risk"):
            result.risk_acknowledged += 1
            answer = response.answers.get("phq9-9") if isinstance(response.answers, dict) else None
            if not response.critical or risk_alerts.get(administration, 0) != 1:
                result.missing_alerts.append(
                    f"administration {administration}: item 9 {answer!r}, "
                    f"{risk_alerts.get(administration, 0)} risk alerts"
                )
    if since is not None:
        start = datetime.fromtimestamp(since, tz=UTC)
        unalerted = (
            Response.objects.filter(submitted_at__gte=start)
            .exclude(critical=[])
            .exclude(alerts__kind=AlertKind.RISK)
            .values_list("administration_id", flat=True)
        )
        for administration in unalerted:
            note = f"administration {administration}: risk answer stored, no alert"
            if note not in result.missing_alerts:
                result.missing_alerts.append(note)
    return result


def print_check(result: Check) -> None:
    print(
        f"acknowledged check-ins: {result.acknowledged:,} "
        f"({result.risk_acknowledged:,} with a risk answer)"
    )
    for label, items in (
        ("acknowledged twice", result.duplicated),
        ("missing alerts", result.missing_alerts),
    ):
        print(f"{label}: {len(items)}" + (f" (e.g. {items[:3]})" if items else ""))
    print(f"lost: {len(result.lost)}" + (f" (e.g. {result.lost[:3]})" if result.lost else ""))


def route_table(stats_csv: Path) -> tuple[list[str], int, int]:
    """Lines of the per-route table from locust's stats CSV; total requests and failures."""
    lines = [
        f"{'route':<44} {'requests':>8} {'failed':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    ]
    total = failed = 0
    with stats_csv.open() as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Name"] != "Aggregated" else "all requests"
            if row["Name"] == "Aggregated":
                total, failed = int(row["Request Count"]), int(row["Failure Count"])
                lines.append("-" * 88)
            lines.append(
                f"{name:<44} {int(row['Request Count']):>8,} {int(row['Failure Count']):>6} "
                f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} "
                f"{row['99%']:>7}"
            )
    return lines, total, failed


def failures(failures_csv: Path) -> list[str]:
    if not failures_csv.exists():
        return []
    with failures_csv.open() as handle:
        return [
            f"{row['Method']} {row['Name']}: {row['Error']} x {row['Occurrences']}"
            for row in csv.DictReader(handle)
        ]


def run_locust(
    args: argparse.Namespace, urls: list[str], out: Path, record: Path
) -> subprocess.Popen[bytes]:
    from alliance.web.demo import DEMO_PASSWORD

    env = dict(os.environ)
    env.update(
        ALLIANCE_LOAD_CLIENTS=str(args.clients),
        ALLIANCE_LOAD_PASSWORD=DEMO_PASSWORD,
        ALLIANCE_LOAD_RECORD=str(record),
        ALLIANCE_LOAD_HOSTS=",".join(urls),
        ALLIANCE_LOAD_SEED=str(args.seed),
        ALLIANCE_LOAD_RISK=str(args.risk),
    )
    command = [
        str(VENV_BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        urls[0],
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--stop-timeout",
        "30",
        "--loglevel",
        "WARNING",
    ]
    progress(f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.run_time}")
    with (out / "locust.log").open("wb") as log:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def build(clients: int) -> None:
    from alliance.web.scale import build_scale_practice, existing_clients

    have = existing_clients()
    if have >= clients:
        progress(f"the scale practice has {have:,} clients: reused")
        return
    progress(f"growing the scale practice from {have:,} to {clients:,} clients")
    result = build_scale_practice(clients, progress=progress)
    progress(f"built in {result.seconds:.0f} s ({result.responses_added:,} responses added)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--users", type=int, default=50, help="simultaneous locust users")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--run-time", default="2m", help="locust's --run-time (30s, 5m…)")
    parser.add_argument("--app-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="alliance worker processes")
    parser.add_argument("--risk", type=float, default=0.05, help="share of PHQ-9s with risk")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the order clients visit in (default: new each run, so that a run on a reused "
        "practice starts with clients whose check-ins are still open)",
    )
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=Path("/tmp/alliance-load"),
        help="keys, logs, the record of acknowledged check-ins (and the SQLite file)",
    )
    parser.add_argument("--check", type=Path, metavar="RECORD", help="only check RECORD")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time())

    database_url = os.environ.get("DATABASE_URL", "")
    env = production_env(args.var_dir, database_url)
    if args.check:
        setup_django(env)
        result = check_acknowledged(read_record(args.check))
        print_check(result)
        raise SystemExit(0 if result.ok else 1)

    prepare(env)
    setup_django(env)
    from django.db import connection, connections

    database = (
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
        if connection.vendor == "postgresql"
        else "SQLite (WAL) in --var-dir"
    )
    build(args.clients)
    postgres = postgres_server_pid()
    connections.close_all()

    out = args.var_dir / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True)
    record = out / RECORD_NAME
    servers = start_servers(env, args.app_processes, out)
    workers = start_workers(env, args.workers, out)
    from _serve import cpu_seconds

    try:
        started = time.time()
        cpu_before = {
            "app servers": servers.cpu_seconds(),
            "workers": workers.cpu_seconds(),
            "PostgreSQL": cpu_seconds(postgres) if postgres else 0.0,
        }
        locust = run_locust(args, servers.urls, out, record)
        locust_cpu = 0.0
        while locust.poll() is None:
            locust_cpu = max(locust_cpu, cpu_seconds(locust.pid))
            servers.check_alive()
            time.sleep(1)
        wall = time.time() - started
        cpu = {
            "app servers": servers.cpu_seconds() - cpu_before["app servers"],
            "workers": workers.cpu_seconds() - cpu_before["workers"],
            "PostgreSQL": (cpu_seconds(postgres) - cpu_before["PostgreSQL"]) if postgres else 0.0,
            "locust": locust_cpu,
        }
        load = uptime()
    finally:
        servers.stop()
        workers.stop()

    stats = out / "locust_stats.csv"
    if not stats.exists():
        raise SystemExit(f"locust wrote no figures:\n{(out / 'locust.log').read_text()[-3000:]}")
    lines, total, failed = route_table(stats)
    progress("checking the acknowledged check-ins in the database")
    result = check_acknowledged(read_record(record), since=started)

    print(f"machine: {machine()}")
    print(f"load at the end (uptime): {load}")
    print(f"database: {database}; {args.clients:,} clients in the scale practice")
    print(
        f"app: {args.app_processes} x alliance serve --workers 1 (production settings, behind "
        f"the TLS proxy locust plays); {args.workers} x alliance worker"
    )
    print(
        f"locust: {args.users} users (clients 10 : therapists 1), spawn rate "
        f"{args.spawn_rate}/s, run time {args.run_time}, seed {args.seed}; record {record}"
    )
    for line in lines:
        print(line)
    print(
        "CPU over the run (share of one core): "
        + ", ".join(f"{name} {seconds / wall:.0%}" for name, seconds in cpu.items())
    )
    print(f"errors: {failed} of {total:,} requests")
    for line in failures(out / "locust_failures.csv")[:10]:
        print(f"  {line}")
    print_check(result)
    raise SystemExit(0 if result.ok and failed == 0 and total > 0 else 1)


if __name__ == "__main__":
    main()
