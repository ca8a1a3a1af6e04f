"""Check-in throughput over HTTP: POST a PHQ-9 check-in (form -> score -> store -> alerts, in
one transaction with its audit event) against an authenticated bare GET (``/profile/``), on
the same server process and the same SQLite database, with the same concurrency.

    .venv/bin/python benchmarks/bench_checkin.py [--clients 8] [--threads 4] [--requests 600]
        [--rounds 3] [--history 8] [--seed 20261125]

A temporary var dir is migrated (``alliance migrate``) and filled through the real services
(accounts, episodes, weekly PHQ-9 history, one administration per check-in to be posted).
Then ``alliance runserver 127.0.0.1:<free port> --noreload`` (development mode,
``ALLIANCE_DEBUG=true``; threaded, one process) is started, every client logs in through
``/accounts/login/`` and the timed phases alternate: GET ``/profile/`` x requests/rounds, then
POST ``/me/check-ins/<id>/`` x requests/rounds, ``rounds`` times, each phase spread over
``threads`` threads (each thread drives its own clients' sessions; one new connection per
request, as both sides get). Every GET must answer 200 and every POST a 302 to ``.../done/``;
the stored responses are counted afterwards.

With ``--server serve`` the same phases run under the production server instead:
``--app-processes`` x ``alliance serve --workers 1`` (gunicorn, production settings behind the
TLS proxy this script plays; ``benchmarks/_serve.py``), each request to the next server in
turn, on SQLite or (``--database postgres``) a new database made on the PostgreSQL server
``DATABASE_URL`` names and dropped afterwards. ``--scale-out`` measures with one app process
and then with two, on the same data, and gives the factor (requests/s with two over one)
with the CPU the app servers, PostgreSQL and this load generator used in each.

    DATABASE_URL=postgres://… .venv/bin/python benchmarks/bench_checkin.py --server serve \
        --database postgres [--app-processes 1] [--scale-out]

Progress goes to stderr; results to stdout; the last line is the ratio alone
(POST rate / GET rate), or with ``--scale-out`` ``scale-out: X`` (the check-in POST's).
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from _setup import ALLIANCE, ROOT, bench_env, fresh_database, machine, percentile, progress

PASSWORD = "bench-password-2026"
ANSWER_CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]  # PHQ-9 answers 0..3
BARE_PATH = "/profile/"


class Browser:
    """One logged-in person: a cookie jar and one new HTTP/1.1 connection per request, to
    each of ``ports`` in turn. ``behind_proxy``: add what the TLS proxy in front of a
    production server adds (``X-Forwarded-Proto: https``, the visitor's address), and send
    the https Origin and Referer a browser would."""

    def __init__(self, port: int, ports: list[int] | None = None, behind_proxy: bool = False):
        self.ports = ports or [port]
        self.turn = 0
        self.behind_proxy = behind_proxy
        self.address = f"10.9.{random.randint(0, 250)}.{random.randint(1, 250)}"
        self.cookies: dict[str, str] = {}

    @property
    def port(self) -> int:
        self.turn += 1
        return self.ports[self.turn % len(self.ports)]

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        port = self.port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {"Host": f"127.0.0.1:{port}", "Connection": "close"}
            scheme = "http"
            if self.behind_proxy:
                scheme = "https"
                headers["X-Forwarded-Proto"] = "https"
                headers["X-Forwarded-For"] = self.address
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                headers["Referer"] = f"{scheme}://127.0.0.1:{port}{path}"
                headers["Origin"] = f"{scheme}://127.0.0.1:{port}"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), text
        finally:
            conn.close()

    def csrf(self) -> str:
        # "csrftoken", or "__Host-csrftoken" in production
        return next(v for k, v in self.cookies.items() if k.endswith("csrftoken"))

    def signed_in(self) -> bool:
        return any(k.endswith("sessionid") for k in self.cookies)

    def login(self, email: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        if status != 200:
            raise SystemExit(f"login page answered {status}")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no CSRF token on the login page")
        status, location, _ = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "login": email, "password": PASSWORD},
        )
        if status != 302 or not self.signed_in():
            raise SystemExit(f"login of {email} failed: {status} -> {location!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_practice(
    clients: int, history: int, per_client: int, rng: random.Random
) -> list[tuple[str, list[int]]]:
    """A therapist and ``clients`` clients through the real services; each client gets
    ``history`` weekly PHQ-9 responses and ``per_client`` open PHQ-9 administrations.
    Returns (email, [administration ids]) per client."""
    from django.utils import timezone

    from alliance.accounts.services import user_create
    from alliance.care.services import episode_open
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    therapist = user_create(
        actor=None,
        email="therapist@bench.test",
        password=PASSWORD,
        preferred_name="Bench Therapist",
        role="therapist",
    )
    now = timezone.now()
    out = []
    for n in range(1, clients + 1):
        email = f"client{n}@bench.test"
        client = user_create(
            actor=None,
            email=email,
            password=PASSWORD,
            preferred_name=f"Client {n:03d}",
            role="client",
        )
        episode = episode_open(actor=therapist, client=client, therapist=therapist)
        for week in range(history, 0, -1):
            when = now - timedelta(weeks=week)
            administration = administration_request(
                actor=therapist, episode=episode, instrument_id="phq-9", created_at=when
            )
            response_submit(
                actor=client,
                administration=administration,
                answers=[rng.randint(0, 3) for _ in range(8)] + [0],
                submitted_at=when,
            )
        ids = [
            administration_request(
                actor=therapist,
                episode=episode,
                instrument_id="phq-9",
                created_at=now - timedelta(hours=1),
            ).pk
            for _ in range(per_client)
        ]
        out.append((email, ids))
        progress(f"  client {n}/{clients}: {history} past responses, {per_client} check-ins open")
    return out


def checkin_form(browser: Browser, rng: random.Random) -> dict[str, str]:
    # Item 9 always 0: no risk alert (that path also e-mails); the other items at random.
    form = {f"phq9-{i}": ANSWER_CODES[rng.randint(0, 3)] for i in range(1, 9)}
    form["phq9-9"] = ANSWER_CODES[0]
    form["csrfmiddlewaretoken"] = browser.csrf()
    return form


class Worker:
    """One thread's clients, their open administrations, and its timings."""

    def __init__(self, browsers: list[Browser], pending: list[list[int]], seed: int) -> None:
        self.browsers = browsers
        self.pending = pending  # per browser, administration ids still open
        self.rng = random.Random(seed)
        self.turn = 0
        self.errors: list[str] = []
        self.latencies: dict[str, list[float]] = {"get": [], "post": []}

    def next_browser(self) -> int:
        self.turn = (self.turn + 1) % len(self.browsers)
        return self.turn

    def do_get(self) -> None:
        browser = self.browsers[self.next_browser()]
        t0 = time.perf_counter()
        status, _, _ = browser.request("GET", BARE_PATH)
        self.latencies["get"].append(time.perf_counter() - t0)
        if status != 200:
            self.errors.append(f"GET {BARE_PATH} -> {status}")

    def do_post(self) -> None:
        i = self.next_browser()
        browser = self.browsers[i]
        administration_id = self.pending[i].pop()
        form = checkin_form(browser, self.rng)
        path = f"/me/check-ins/{administration_id}/"
        t0 = time.perf_counter()
        status, location, _ = browser.request("POST", path, form)
        self.latencies["post"].append(time.perf_counter() - t0)
        if status != 302 or not location.endswith(f"/me/check-ins/{administration_id}/done/"):
            self.errors.append(f"POST {path} -> {status} {location!r}")


def run_phase(workers: list[Worker], kind: str, total: int) -> float:
    """``total`` requests of one kind spread evenly over the workers' threads; wall seconds."""
    share = [
        total // len(workers) + (1 if i < total % len(workers) else 0) for i in range(len(workers))
    ]
    start = threading.Barrier(len(workers) + 1)

    def body(worker: Worker, count: int) -> None:
        start.wait()
        action = worker.do_get if kind == "get" else worker.do_post
        for _ in range(count):
            action()

    threads = [
        threading.Thread(target=body, args=(w, n), daemon=True)
        for w, n in zip(workers, share, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join(timeout=600)
    seconds = time.perf_counter() - t0
    if any(thread.is_alive() for thread in threads):
        raise SystemExit(f"{kind} phase did not finish within 10 minutes")
    return seconds


def wait_for_server(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited ({server.returncode}):\n{log.read_text()}")
        try:
            status, _, _ = Browser(port).request("GET", "/healthz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer /healthz within 60 s")


def timed_phases(
    browsers: list[Browser], pending: list[list[int]], args: argparse.Namespace, warmup_posts: int
) -> tuple[dict[str, float], dict[str, int], list[Worker]]:
    """Warm up, then alternate timed GET and POST phases; wall seconds and counts per kind.
    ``pending`` (per client, open administration ids) is consumed in place."""
    per_thread = args.clients // args.threads
    workers = [
        Worker(
            browsers[t * per_thread : (t + 1) * per_thread],
            pending[t * per_thread : (t + 1) * per_thread],
            args.seed + t,
        )
        for t in range(args.threads)
    ]
    progress("warming up (untimed)")
    run_phase(workers, "get", 5 * args.threads)
    run_phase(workers, "post", warmup_posts * args.threads)
    for worker in workers:
        if worker.errors:
            raise SystemExit(f"warm-up failed: {worker.errors[:3]}")
        worker.latencies = {"get": [], "post": []}

    seconds = {"get": 0.0, "post": 0.0}
    done = {"get": 0, "post": 0}
    for r in range(args.rounds):
        for kind in ("get", "post"):
            count = args.requests // args.rounds + (1 if r < args.requests % args.rounds else 0)
            took = run_phase(workers, kind, count)
            seconds[kind] += took
            done[kind] += count
            progress(
                f"round {r + 1}/{args.rounds}: {count} {kind.upper()} in {took:.2f} s "
                f"({count / took:.1f}/s)"
            )
    errors = [e for w in workers for e in w.errors]
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[:3]}")
    return seconds, done, workers


def print_rates(
    seconds: dict[str, float], done: dict[str, int], workers: list[Worker]
) -> tuple[float, float]:
    rates = {k: done[k] / seconds[k] for k in ("get", "post")}
    latency = {k: [x for w in workers for x in w.latencies[k]] for k in ("get", "post")}
    for kind, label in (("get", f"bare GET {BARE_PATH}"), ("post", "check-in POST (PHQ-9)")):
        values = latency[kind]
        print(
            f"{label}: {rates[kind]:,.1f} requests/s ({done[kind]:,} in {seconds[kind]:.2f} s; "
            f"latency p50 {percentile(values, 50) * 1e3:.1f} ms, "
            f"p95 {percentile(values, 95) * 1e3:.1f} ms)"
        )
    return rates["get"], rates["post"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=600, help="timed requests per kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--history", type=int, default=8, help="past weekly PHQ-9s per client")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument(
        "--server",
        choices=["runserver", "serve"],
        default="runserver",
        help="runserver (development, the default) or alliance serve (gunicorn, production)",
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="postgres: a new database on the server DATABASE_URL names (--server serve)",
    )
    parser.add_argument(
        "--app-processes", type=int, default=1, help="alliance serve processes (--server serve)"
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="measure with one app process, then two: the scale-out factor (--server serve)",
    )
    args = parser.parse_args()
    if args.clients % args.threads:
        parser.error("--clients must be a multiple of --threads")
    if args.server == "runserver" and (
        args.database != "sqlite" or args.app_processes != 1 or args.scale_out
    ):
        parser.error("--database, --app-processes and --scale-out need --server serve")
    if args.app_processes < 1:
        parser.error("--app-processes must be at least 1")
    if args.server == "serve":
        serve_main(parser, args)
    else:
        runserver_main(args)


def runserver_main(args: argparse.Namespace) -> None:
    warmup_posts = 2  # per thread

    var_dir = fresh_database("checkin")
    from django.db import connections

    from alliance.measures.models import Response

    rng = random.Random(args.seed)
    per_client = -(-(args.requests + warmup_posts * args.threads) // args.clients) + 2
    progress(f"creating {args.clients} clients through the services")
    practice = make_practice(args.clients, args.history, per_client, rng)
    stored_before = Response.objects.count()
    connections.close_all()

    port = free_port()
    log = var_dir / "server.log"
    progress(f"starting alliance runserver 127.0.0.1:{port} --noreload (ALLIANCE_DEBUG=true)")
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(ALLIANCE), "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            env=bench_env(var_dir),
            cwd=ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_server(port, server, log)
        progress(f"logging in {args.clients} clients")
        browsers = []
        for email, _ in practice:
            browser = Browser(port)
            browser.login(email)
            browsers.append(browser)
        pending = [list(ids) for _, ids in practice]
        seconds, done, workers = timed_phases(browsers, pending, args, warmup_posts)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)

    stored = Response.objects.count() - stored_before
    expected = done["post"] + warmup_posts * args.threads
    if stored != expected:
        raise SystemExit(f"{stored} responses stored, expected {expected}")

    print(f"machine: {machine()}")
    print(
        f"server: alliance runserver --noreload (ALLIANCE_DEBUG=true, threaded, 1 process), "
        f"SQLite WAL synchronous=FULL; {args.clients} clients logged in, {args.threads} threads, "
        f"one connection per request"
    )
    get_rate, post_rate = print_rates(seconds, done, workers)
    print(f"stored: {stored:,} new responses (all POSTs answered 302 to .../done/)")
    print(f"ratio: {post_rate / get_rate:.2f}")


def new_postgres_database(parser: argparse.ArgumentParser) -> str:
    """A new database on the server DATABASE_URL names, dropped when this process exits."""
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith(("postgres://", "postgresql://")):
        parser.error("--database postgres needs DATABASE_URL=postgres://… (a server to use)")
    import psycopg

    name = f"alliance_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return server.rsplit("/", 1)[0] + "/" + name


def serve_main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from _serve import (
        cpu_seconds,
        postgres_server_pid,
        prepare,
        production_env,
        setup_django,
        start_servers,
        uptime,
    )

    warmup_posts = 2  # per thread
    var_dir = Path(tempfile.mkdtemp(prefix="alliance-checkin-serve-"))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    database_url = new_postgres_database(parser) if args.database == "postgres" else ""
    env = production_env(var_dir, database_url)
    prepare(env)
    setup_django(env)
    from django.db import connection, connections

    from alliance.measures.models import Response

    database = (
        f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000} "
        "(a new database on DATABASE_URL's server)"
        if connection.vendor == "postgresql"
        else "SQLite WAL synchronous=FULL"
    )
    counts = [1, 2] if args.scale_out else [args.app_processes]
    rng = random.Random(args.seed)
    per_client = len(counts) * (
        -(-(args.requests + warmup_posts * args.threads) // args.clients) + 2
    )
    progress(f"creating {args.clients} clients through the services")
    practice = make_practice(args.clients, args.history, per_client, rng)
    pending = [list(ids) for _, ids in practice]
    stored_before = Response.objects.count()
    postgres = postgres_server_pid()
    connections.close_all()

    results = []
    for count in counts:
        servers = start_servers(env, count, var_dir)
        try:
            progress(f"logging in {args.clients} clients")
            browsers = []
            for email, _ in practice:
                browser = Browser(servers.ports[0], servers.ports, behind_proxy=True)
                browser.login(email)
                browsers.append(browser)
            before = (servers.cpu_seconds(), cpu_seconds(postgres) if postgres else 0.0, own_cpu())
            t0 = time.perf_counter()
            seconds, done, workers = timed_phases(browsers, pending, args, warmup_posts)
            wall = time.perf_counter() - t0
            after = (servers.cpu_seconds(), cpu_seconds(postgres) if postgres else 0.0, own_cpu())
            cpu = [(a - b) / wall for a, b in zip(after, before, strict=True)]
        finally:
            servers.stop()
        results.append((count, seconds, done, workers, cpu))

    stored = Response.objects.count() - stored_before
    expected = sum(done["post"] + warmup_posts * args.threads for _, _, done, _, _ in results)
    if stored != expected:
        raise SystemExit(f"{stored} responses stored, expected {expected}")

    print(f"machine: {machine()}")
    print(f"load at the end (uptime): {uptime()}")
    print(
        f"server: alliance serve --workers 1 (gunicorn, production settings behind the TLS "
        f"proxy this script plays) x {', then '.join(str(c) for c in counts)}; {database}; "
        f"{args.clients} clients logged in, {args.threads} threads, one connection per request"
    )
    rates = []
    for count, seconds, done, workers, cpu in results:
        print(f"{count} app process{'es' if count > 1 else ''}:")
        get_rate, post_rate = print_rates(seconds, done, workers)
        print(
            f"  CPU (share of one core): app servers {cpu[0]:.0%}, "
            f"PostgreSQL {cpu[1]:.0%}, load generator {cpu[2]:.0%}"
            if postgres
            else f"  CPU (share of one core): app servers {cpu[0]:.0%}, "
            f"load generator {cpu[2]:.0%} (database in the app processes)"
        )
        print(f"  ratio POST/GET: {post_rate / get_rate:.2f}")
        rates.append((get_rate, post_rate))
    print(f"stored: {stored:,} new responses (all POSTs answered 302 to .../done/)")
    if args.scale_out:
        print(f"scale-out GET: {rates[1][0] / rates[0][0]:.2f}")
        print(f"scale-out: {rates[1][1] / rates[0][1]:.2f}")
    else:
        print(f"ratio: {rates[0][1] / rates[0][0]:.2f}")


def own_cpu() -> float:
    """CPU seconds this process (the load generator: all its threads) has used."""
    times = os.times()
    return times.user + times.system


if __name__ == "__main__":
    main()
