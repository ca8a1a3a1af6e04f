"""Production servers for the benchmarks that go over HTTP: ``alliance serve`` (gunicorn) and
``alliance worker`` processes in production mode, and the CPU each group of processes used.

Production mode means what a deployment sets (README, "Deploying"): debug off, a secret and
field and audit keys of its own (made once per var dir and kept in ``env.json`` there, so
that a practice built in one run is readable in the next), ``ALLIANCE_ALLOWED_HOSTS``, the
static files collected. The servers listen on 127.0.0.1 with plain HTTP, as they do behind
the TLS-terminating proxy the deployment puts on the same machine: the settings' own switch
for that, ``ALLIANCE_BEHIND_TLS_PROXY=true``, makes the app trust ``X-Forwarded-Proto:
https`` (and the visitor's address in ``X-Forwarded-For``) from loopback, and the load
generator sends those headers as the proxy would. Nothing in the settings is loosened: the
cookies stay ``Secure`` and ``__Host-``, HTTPS redirects and HSTS stay on.

Each app process is its own ``alliance serve --workers 1`` on its own port, not one gunicorn
with N workers: N servers is what "many app servers, one database" means (separate
masters, no shared socket, as on separate machines), each sync worker runs one request at a
time either way, and the load generator spreads requests over the ports as a load balancer
would.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ALLIANCE, ROOT, progress

HOST = "127.0.0.1"
# What the TLS proxy in front adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.0.0.1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def production_env(var_dir: Path, database_url: str) -> dict[str, str]:
    """The environment of a production installation whose state lives in ``var_dir``."""
    from alliance.lib.keys import new_field_key, new_secret_key

    var_dir.mkdir(parents=True, exist_ok=True)
    keys_file = var_dir / "env.json"
    if not keys_file.exists():
        keys = {
            "ALLIANCE_SECRET_KEY": new_secret_key(),
            "ALLIANCE_FIELD_KEYS": new_field_key(),
            "ALLIANCE_AUDIT_KEYS": new_field_key(),
        }
        keys_file.touch(mode=0o600)
        keys_file.write_text(json.dumps(keys, indent=1))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALLIANCE_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(json.loads(keys_file.read_text()))
    env.update(
        ALLIANCE_VAR_DIR=str(var_dir / "var"),
        ALLIANCE_ALLOWED_HOSTS=HOST,
        ALLIANCE_BEHIND_TLS_PROXY="true",
        ALLIANCE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="alliance.settings",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prepare(env: dict[str, str]) -> None:
    """``alliance migrate`` and ``alliance collectstatic``, as a deployment does first."""
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--noinput", "-v", "0"],
    ):
        progress(f"alliance {command[0]}")
        subprocess.run(
            [str(ALLIANCE), *command], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, on the same settings and database as the servers."""
    os.environ.update(env)
    for name in ("ALLIANCE_DEBUG", "ALLIANCE_TESTING"):
        os.environ.pop(name, None)
    if "DATABASE_URL" not in env:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


@dataclass
class Processes:
    """Started processes of one kind, their logs, and where the app ones listen."""

    label: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [f"http://{HOST}:{port}" for port in self.ports]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.procs if p.poll() is None)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)

    def check_alive(self) -> None:
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"{self.label} exited ({proc.returncode}):\n{tail}")


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(ALLIANCE), *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def healthy(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        conn.request("GET", "/healthz", headers=PROXY_HEADERS)
        response = conn.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        conn.close()


def start_servers(env: dict[str, str], count: int, log_dir: Path) -> Processes:
    """``count`` x ``alliance serve --bind 127.0.0.1:<port> --workers 1``, answering."""
    servers = Processes("alliance serve")
    try:
        for n in range(count):
            port = free_port()
            log = log_dir / f"serve-{n + 1}.log"
            servers.procs.append(
                _start(["serve", "--bind", f"{HOST}:{port}", "--workers", "1"], env, log)
            )
            servers.ports.append(port)
            servers.logs.append(log)
        deadline = time.monotonic() + 90
        waiting = set(servers.ports)
        while waiting:
            servers.check_alive()
            waiting = {port for port in waiting if not healthy(port)}
            if waiting and time.monotonic() > deadline:
                raise SystemExit(f"alliance serve did not answer /healthz within 90 s: {waiting}")
            if waiting:
                time.sleep(0.3)
    except BaseException:
        servers.stop()
        raise
    progress(f"{count} x alliance serve --workers 1 on {', '.join(servers.urls)}")
    return servers


def start_workers(env: dict[str, str], count: int, log_dir: Path) -> Processes:
    workers = Processes("alliance worker")
    for n in range(count):
        log = log_dir / f"worker-{n + 1}.log"
        workers.procs.append(_start(["worker"], env, log))
        workers.logs.append(log)
    return workers


def _ticks(pid: int, with_children: bool) -> int:
    """utime + stime (+ cutime + cstime: children it has reaped) of one process, in ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")": state is field 3, so utime (14) … cstime (17) are at 11 … 14 here.
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if with_children else 0)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and its children, live or reaped (one level:
    gunicorn's workers, PostgreSQL's backends, locust's runner)."""
    hz = os.sysconf("SC_CLK_TCK")
    try:
        total = _ticks(pid, with_children=True)
    except OSError:
        return 0.0
    for child in _children(pid):
        try:
            total += _ticks(child, with_children=True)
        except OSError:
            continue
    return total / hz


def backend_pid() -> int | None:
    """The PostgreSQL backend process of Django's connection (None on another database)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def own_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a process on this machine has used itself, without its
    children; None when it is not on this machine."""
    try:
        return _ticks(pid, with_children=False) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def postgres_server_pid() -> int | None:
    """The postmaster of the database Django is connected to, when it runs on this
    machine: the parent of this connection's backend process."""
    backend = backend_pid()
    if backend is None:
        return None
    try:
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # another machine
    return int(stat[1])


def uptime() -> str:
    """What ``uptime`` says: the machine's load, recorded with every figure."""
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
