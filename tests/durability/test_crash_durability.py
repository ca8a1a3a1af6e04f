"""Crash durability (DESIGN.md, "Durability"): once a client is told a check-in is saved, it
is stored, with its alert, even if the server is killed the next instant.

A real server (gunicorn, three worker processes of four threads) runs on 127.0.0.1 against
a database of its own: a SQLite file, or — when the suite runs against PostgreSQL
(DATABASE_URL) — a throwaway database created on that server. A thousand clients each load
their PHQ-9 and send it, 64 at a time (one in eight answers item 9 above 0). Once 400 have
been told "saved", the whole server (master and workers) is killed with SIGKILL at the
first moment a risk answer is seen stored but not yet acknowledged, then started again on
the same database; nothing is retried. Every acknowledged check-in must be stored with its
answers, its score, its risk alert and the alert's e-mail queued; no stored response, even
an unacknowledged one, may lack its alert or its alert's e-mail task; the database must be
intact.

"Told saved" is the answer to the POST: a redirect to the check-in's "done" page, which
``checkin_fill`` sends only after ``response_submit`` has committed.

The server runs with production settings (debug off, a real secret and field key, secure
``__Host-`` cookies, HTTPS redirect) behind a pretend TLS proxy: ``ALLIANCE_BEHIND_TLS_PROXY``
with ``X-Forwarded-Proto: https`` on every request, as nginx would send, so no setting exists
only for this test. The counts are printed (``pytest -s``) for the README's security section.

What a SIGKILL cannot show: the loss of writes the operating system had not yet put on
disk (a power cut). SQLite's ``synchronous=FULL`` is for that; with it OFF this test would
still pass, because a killed process's writes stay in the page cache.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from alliance.instruments import get_instrument
from tests.own_database import POSTGRES, with_own_database

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = Path(__file__).with_name("practice.py")

CLIENTS = 1000
RISK_EVERY = 8  # one client in eight answers PHQ-9 item 9 above 0
KILL_AFTER = 400  # acknowledged check-ins before the server is killed
THREADS = 64  # clients submitting at the same time
ENOUGH_SECONDS = 240.0  # at most this long for KILL_AFTER acknowledgements
AIM_SECONDS = 20.0  # then at most this long for the moment to kill
HTTP_TIMEOUT = 30.0
SERVER_START_SECONDS = 60.0
SESSION_COOKIE = "__Host-sessionid"
CSRF_COOKIE = "__Host-csrftoken"
PHQ9 = get_instrument("phq-9")


# ---------------------------------------------------------------- the database and server


@pytest.fixture
def server_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Production settings for a server with a database of its own (dropped afterwards)."""
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ALLIANCE_", "DJANGO_", "DATABASE_URL"))
        },
        "ALLIANCE_SECRET_KEY": secrets.token_urlsafe(48),
        "ALLIANCE_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLIANCE_AUDIT_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLIANCE_ALLOWED_HOSTS": "127.0.0.1",
        "ALLIANCE_BEHIND_TLS_PROXY": "true",
        "ALLIANCE_VAR_DIR": str(tmp_path / "var"),
        "ALLIANCE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    yield from with_own_database(env, "alliance_durability")


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn in a process group of its own, so that one SIGKILL takes master and workers."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "alliance.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "3",
                "--threads",
                "4",
                "--timeout",
                "60",
                "--no-control-socket",
                # Django is imported once, before the workers fork: a quicker start.
                "--preload",
            ],
            env=env,
            cwd=env["ALLIANCE_VAR_DIR"],
            stdout=self._log,
            stderr=self._log,
            start_new_session=True,
        )
        self._killed = False
        try:
            self._wait_until_serving(log)
        except BaseException:
            self.kill()
            raise

    def _wait_until_serving(self, log: Path) -> None:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            assert self.process.poll() is None, f"the server exited; see {log}"
            assert time.monotonic() < deadline, f"the server did not start; see {log}"
            try:
                if http_get(self.port, "/healthz", {})[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the whole group: the master and every worker, at once."""
        if not self._killed:
            self._killed = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
            self._log.close()


# ---------------------------------------------------------------- HTTP, as a browser would


def headers_for(port: int, cookies: dict[str, str], post: bool = False) -> dict[str, str]:
    headers = {
        # What the TLS proxy in front tells the app (ALLIANCE_BEHIND_TLS_PROXY).
        "X-Forwarded-Proto": "https",
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    if post:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Origin"] = f"https://127.0.0.1:{port}"  # Django's CSRF check over HTTPS
    return headers


def http_get(port: int, path: str, cookies: dict[str, str]) -> tuple[int, str, str]:
    """Status, body and the CSRF cookie the response set (if any)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", path, headers=headers_for(port, cookies))
        response = connection.getresponse()
        body = response.read().decode()
        set_cookie = " ".join(response.headers.get_all("Set-Cookie") or [])
        csrf = re.search(rf"{CSRF_COOKIE}=([^;]+)", set_cookie)
        return response.status, body, csrf.group(1) if csrf else ""
    finally:
        connection.close()


def http_post(
    port: int, path: str, cookies: dict[str, str], form: dict[str, str]
) -> tuple[int, str]:
    """Status and Location; raises OSError or http.client errors when no answer comes."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    try:
        connection.request(
            "POST", path, body=urlencode(form), headers=headers_for(port, cookies, post=True)
        )
        response = connection.getresponse()
        # The status line and headers are the answer; a body cut off by the kill changes
        # nothing about what the client was told.
        return response.status, response.headers.get("Location", "")
    finally:
        connection.close()


# ---------------------------------------------------------------- the clients


@dataclass
class Client:
    index: int
    administration: int
    session: str
    csrf_cookie: str = ""
    form: dict[str, str] = field(default_factory=dict)
    # "acknowledged"; "no answer" (sent, the server died first); "refused" or "form not
    # loaded" (the server was already gone: never sent); "status N" or "error …" (an
    # answer other than "saved" while the server ran, which fails the test).
    outcome: str = "not sent"

    @property
    def risk(self) -> bool:
        return self.index % RISK_EVERY == 0

    @property
    def cookies(self) -> dict[str, str]:
        if not self.csrf_cookie:
            return {SESSION_COOKIE: self.session}
        return {SESSION_COOKIE: self.session, CSRF_COOKIE: self.csrf_cookie}

    @property
    def fill_path(self) -> str:
        return f"/me/check-ins/{self.administration}/"

    @property
    def done_path(self) -> str:
        return f"/me/check-ins/{self.administration}/done/"

    def weights(self) -> dict[str, int]:
        """Items 1-8 vary from client to client; item 9 is above 0 for the risk clients."""
        chosen = {f"phq9-{n}": (self.index + n) % 4 for n in range(1, 9)}
        chosen["phq9-9"] = 1 + self.index // RISK_EVERY % 3 if self.risk else 0
        return chosen

    def answer_codes(self) -> dict[str, str]:
        codes = {}
        for link_id, weight in self.weights().items():
            item = PHQ9.item(link_id)
            codes[link_id] = next(o.code for o in item.options if o.weight == weight)
        difficulty = PHQ9.item("phq9-difficulty")
        codes["phq9-difficulty"] = difficulty.options[self.index % len(difficulty.options)].code
        return codes

    def expected_total(self) -> int:
        return sum(self.weights().values())


def fetch_form(port: int, client: Client) -> None:
    status, body, csrf_cookie = http_get(port, client.fill_path, client.cookies)
    assert status == 200, f"client {client.index}: the check-in page answered {status}"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    started = re.search(r'name="started_at" value="([^"]+)"', body)
    assert token and started and 'name="phq9-9"' in body, "the check-in form changed"
    client.csrf_cookie = csrf_cookie
    client.form = {
        "csrfmiddlewaretoken": token.group(1),
        "started_at": started.group(1),
        **client.answer_codes(),
    }


class StoredWatch:
    """Which check-ins the database holds, read while the server writes them (a reader never
    blocks the writers: WAL on SQLite, MVCC on PostgreSQL)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.connection: Any
        if POSTGRES:
            import psycopg

            self.connection = psycopg.connect(env["DATABASE_URL"], autocommit=True)
        else:
            # Read-only, so that closing it never checkpoints the WAL: the restarted server
            # is the one to find the database as the kill left it.
            path = Path(env["ALLIANCE_VAR_DIR"]) / "alliance.sqlite3"
            self.connection = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=5
            )
        self.last_id = 0

    def newly_stored(self) -> list[int]:
        """Administrations answered since the last call."""
        cursor = self.connection.cursor()
        cursor.execute(
            "SELECT id, administration_id FROM measures_response "
            f"WHERE id > {int(self.last_id)} ORDER BY id"
        )
        rows = cursor.fetchall()
        if rows:
            self.last_id = rows[-1][0]
        return [row[1] for row in rows]

    def close(self) -> None:
        self.connection.close()


@dataclass
class Crash:
    """A thousand check-ins, THREADS at a time, each loading its form and sending it.

    Once KILL_AFTER clients have been told "saved", the server is killed at the worst
    moment visible from outside: a risk answer stored, its client not yet told. A kill at
    a random instant lands between transactions: with the alert moved to a transaction of
    its own after the response's, an unaimed kill (400 acknowledged, 42 in flight) left
    nothing to find; aimed, each of four trials (two per database) found a response
    without its alert.
    """

    server: Server
    watch: StoredWatch
    acknowledged: int = 0
    posts_in_flight: int = 0
    posts_in_flight_at_kill: int = -1
    aimed: bool = False
    aim_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    enough: threading.Event = field(default_factory=threading.Event)
    killed: threading.Event = field(default_factory=threading.Event)

    def check_in(self, client: Client) -> None:
        try:
            fetch_form(self.server.port, client)
        except (OSError, http.client.HTTPException) as error:
            # Before the kill a form that does not load is a failure; after it, expected.
            client.outcome = "form not loaded" if self.killed.is_set() else f"error {error!r}"
            return
        with self.lock:
            self.posts_in_flight += 1
        try:
            status, location = http_post(
                self.server.port, client.fill_path, client.cookies, client.form
            )
        except ConnectionRefusedError:
            client.outcome = "refused"  # the server was already gone: never sent
            return
        except (OSError, http.client.HTTPException):
            client.outcome = "no answer"  # sent; the server died before it answered
            return
        finally:
            with self.lock:
                self.posts_in_flight -= 1
        if status == 302 and location == client.done_path:
            client.outcome = "acknowledged"
            with self.lock:
                self.acknowledged += 1
                if self.acknowledged >= KILL_AFTER:
                    self.enough.set()
        else:
            client.outcome = f"status {status}"

    def aim(self, risky: dict[int, Client]) -> bool:
        """Wait (a bounded time) for a risk check-in stored but not yet acknowledged."""
        deadline = time.monotonic() + AIM_SECONDS
        while time.monotonic() < deadline:
            for administration in self.watch.newly_stored():
                client = risky.get(administration)
                if client is not None and client.outcome != "acknowledged":
                    return True
            time.sleep(0.001)
        return False

    def run(self, clients: list[Client]) -> float:
        """Returns the wall-clock time of the kill."""
        risky = {c.administration: c for c in clients if c.risk}
        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(self.check_in, client) for client in clients]
            deadline = time.monotonic() + ENOUGH_SECONDS
            while not self.enough.wait(timeout=0.5):
                if time.monotonic() > deadline or all(f.done() for f in futures):
                    break  # something is wrong: kill now, the checks will say what
            if self.enough.is_set():
                self.watch.newly_stored()  # only what is stored from now on
                aiming = time.monotonic()
                self.aimed = self.aim(risky)
                self.aim_seconds = time.monotonic() - aiming
            with self.lock:
                self.posts_in_flight_at_kill = self.posts_in_flight
            killed_at = time.time()
            self.killed.set()
            self.server.kill()
            for future in futures:
                future.result(timeout=HTTP_TIMEOUT * 2)
        return killed_at


# ---------------------------------------------------------------- the test


def test_every_acknowledged_check_in_survives_a_crash(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    began = time.monotonic()
    log = tmp_path / "server.log"
    run(server_env, "-m", "alliance", "migrate", "-v", "0")
    run(server_env, "-m", "alliance", "collectstatic", "--noinput", "-v", "0")
    rows = run(server_env, str(PRACTICE), "populate", str(CLIENTS)).splitlines()
    clients = [
        Client(n, row["administration"], row["session"])
        for n, row in enumerate(json.loads(line) for line in rows)
    ]
    assert len(clients) == CLIENTS
    prepared = time.monotonic()

    watch = StoredWatch(server_env)
    try:
        server = Server(server_env, log)
        started = time.monotonic()
        try:
            crash = Crash(server, watch)
            killed_at = crash.run(clients)
        finally:
            server.kill()
    finally:
        watch.close()
    crashed = time.monotonic()

    outcomes: dict[str, int] = {}
    for client in clients:
        outcomes[client.outcome] = outcomes.get(client.outcome, 0) + 1
    unexpected = {k: v for k, v in outcomes.items() if k.startswith(("status", "error"))}
    assert not unexpected, f"check-ins answered with something other than 'saved': {outcomes}"
    acknowledged = [c for c in clients if c.outcome == "acknowledged"]
    assert KILL_AFTER <= len(acknowledged) < CLIENTS, outcomes
    assert crash.posts_in_flight_at_kill > 0, "the kill came when no check-in was in flight"

    # Started again on the same database; nothing is retried except one deliberate repeat:
    # the back button and "Send" again on a form acknowledged before the crash.
    server = Server(server_env, log)
    repeat = acknowledged[0]
    try:
        assert http_get(server.port, "/me/", repeat.cookies)[0] == 200
        assert http_post(server.port, repeat.fill_path, repeat.cookies, repeat.form) == (
            302,
            repeat.done_path,
        )
        assert http_get(server.port, repeat.done_path, repeat.cookies)[0] == 200
    finally:
        server.kill()
    restarted = time.monotonic()
    state = json.loads(run(server_env, str(PRACTICE), "inspect"))
    checked = time.monotonic()

    counts, failures = judge(clients, state)
    counts.update(
        in_flight_at_kill=crash.posts_in_flight_at_kill,
        kill_aimed=crash.aimed,
        seconds={
            "set_up": round(prepared - began, 1),
            "server_start": round(started - prepared, 1),
            "check_ins_until_kill": round(crashed - started, 1),
            "aiming": round(crash.aim_seconds, 1),
            "restart": round(restarted - crashed, 1),
            "inspect": round(checked - restarted, 1),
        },
    )
    print("\ndurability:", json.dumps(counts))
    assert failures == {}, failures
    assert state["stored"][str(repeat.administration)]["submitted_at"] < killed_at, (
        "the repeated form was stored a second time"
    )


def judge(clients: list[Client], state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The counts to quote, and every way in which the stored state breaks the promise."""
    stored: dict[str, dict[str, Any]] = state["stored"]
    acknowledged = [c for c in clients if c.outcome == "acknowledged"]
    sent = [c for c in clients if c.outcome in ("acknowledged", "no answer")]
    by_administration = {str(c.administration): c for c in clients}
    unacknowledged = [a for a in stored if by_administration[a].outcome != "acknowledged"]
    lost = [c.index for c in acknowledged if str(c.administration) not in stored]
    wrong = [
        c.index
        for c in acknowledged
        if str(c.administration) in stored
        and (
            stored[str(c.administration)]["answers"] != c.answer_codes()
            or stored[str(c.administration)]["total"] != c.expected_total()
            or stored[str(c.administration)]["critical"] != (["phq9-9"] if c.risk else [])
        )
    ]
    # Every stored response, acknowledged or not: exactly the alerts its answers call for.
    alert_mismatch = [
        a for a, r in stored.items() if r["risk_alerts"] != (1 if r["critical"] else 0)
    ]
    # The therapist's e-mail is queued in the alert's own transaction (the database queue),
    # so every stored risk alert has it, whether or not the client was answered.
    e_mail_missing = [a for a, r in stored.items() if r["risk_alerts"] and r["e_mails_queued"] != 1]
    never_sent = [a for a in unacknowledged if by_administration[a].outcome != "no answer"]
    counts = {
        "database": "PostgreSQL" if POSTGRES else "SQLite",
        "clients": CLIENTS,
        "sent": len(sent),
        "acknowledged": len(acknowledged),
        "acknowledged_risk": sum(1 for c in acknowledged if c.risk),
        "no_answer": len(sent) - len(acknowledged),
        "stored": len(stored),
        "stored_not_acknowledged": len(unacknowledged),
        "risk_alerts": sum(r["risk_alerts"] for r in stored.values()),
        "lost": len(lost),
        "wrong": len(wrong),
        "responses_without_their_alert": len(alert_mismatch),
        "risk_e_mail_not_queued": len(e_mail_missing),
        "integrity_check": state["integrity_check"],
        "audit_chain": state["audit_chain"],
    }
    failures = {
        name: value
        for name, value in {
            "acknowledged check-ins lost (client indexes)": lost,
            "acknowledged check-ins stored with other answers or score": wrong,
            "responses without their risk alert, or with extra ones": alert_mismatch,
            "risk alerts of no stored response": state["risk_alerts_without_response"],
            "risk alerts whose e-mail was never queued": e_mail_missing,
            "responses stored for check-ins never sent": never_sent,
            "administrations completed without a response": state["completed_without_response"],
            "responses whose administration is not completed": (
                state["response_without_completed"]
            ),
            "score summaries that disagree with the responses": state["summary_drift"],
            "no risk answer acknowledged before the kill": not counts["acknowledged_risk"],
        }.items()
        if value
    }
    if state["audit_chain"] != "ok":
        failures["audit chain"] = state["audit_chain"]
    if state["integrity_check"] not in ("ok", "not SQLite"):
        failures["SQLite integrity_check"] = state["integrity_check"]
    return counts, failures
