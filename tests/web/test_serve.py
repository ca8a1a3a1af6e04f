"""`alliance serve` (alliance.server) and the deploy files in deploy/.

The settings handed to gunicorn and the command's refusals are checked in this process (the
command's last act, replacing itself with the server, is stubbed). Then a real `alliance
serve` runs in a subprocess with production settings (debug off, a real secret and field
key, ALLIANCE_BEHIND_TLS_PROXY) on a SQLite database of its own, whichever database the
suite runs on, and is asked what a TLS proxy in front would ask.
"""

from __future__ import annotations

import base64
import configparser
import contextlib
import http.client
import os
import secrets
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from email.message import Message
from io import StringIO
from pathlib import Path
from typing import Any

import gunicorn
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from alliance import server

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = {"serve": DEPLOY / "alliance-serve.service", "worker": DEPLOY / "alliance-worker.service"}
# Variables of this run that must not reach a server with settings of its own.
LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL", "NOTIFY_SOCKET")
START_SECONDS = 90.0
HTTPS = {"X-Forwarded-Proto": "https"}


# ---------------------------------------------------------------- what gunicorn is given


def test_access_log_format_has_no_query_string_referrer_or_headers() -> None:
    log_format = server.ACCESS_LOG_FORMAT
    assert "%(U)s" in log_format
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%(a)s", "}i)s", "}o)s", "}e)s"):
        assert leaky not in log_format


def test_gunicorn_accepts_the_settings_and_keeps_the_safe_ones() -> None:
    settings = server.server_settings(binds=["127.0.0.1:8001"], workers=3, timeout=30)
    cfg = server.AllianceServer(settings).cfg
    assert cfg.bind == ["127.0.0.1:8001"]
    assert cfg.workers == 3
    assert cfg.worker_class_str == "sync"
    assert (cfg.timeout, cfg.graceful_timeout) == (30, 30)
    assert (cfg.max_requests, cfg.max_requests_jitter) == (1000, 100)
    assert cfg.preload_app is False  # SIGHUP must load the code now installed
    assert cfg.forwarded_allow_ips == ["127.0.0.1", "::1"]
    assert cfg.secure_scheme_headers == {"X-FORWARDED-PROTO": "https"}
    assert cfg.forwarder_headers == []
    assert (cfg.limit_request_line, cfg.limit_request_fields) == (4094, 50)
    assert (cfg.accesslog, cfg.errorlog) == ("-", "-")
    assert cfg.access_log_format == server.ACCESS_LOG_FORMAT
    assert cfg.logger_class.__name__ == "RedactingLogger"
    assert cfg.control_socket_disable is True
    assert cfg.umask == 0o007


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (4, 8), (64, 8)])
def test_default_workers_are_two_per_core_plus_one_at_most_eight(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    assert server.default_workers() == workers


def test_log_paths_keep_ids_and_lose_tokens() -> None:
    reset = reverse("account_reset_password_from_key", kwargs={"uidb36": "x1", "key": "k3y-k3y"})
    assert server.path_for_log(reset) == "/accounts/password/reset/key/<uidb36>/"
    assert server.path_for_log("/invitations/T0KEN/") == "/invitations/<token>/"
    # Without its slash (CommonMiddleware's redirect), still a token.
    assert server.path_for_log("/invitations/T0KEN") == "/invitations/<token>"
    assert server.path_for_log("/clinic/clients/12/") == "/clinic/clients/12/"
    assert server.path_for_log("/healthz") == "/healthz"
    assert server.path_for_log("/static/alliance/app.css") == "/static/alliance/app.css"
    # A link cut or mangled may still hold a token.
    assert server.path_for_log("/invitations/T0KEN/extra/") == "<unmatched>"


def _remote_addr_seen(environ: dict[str, str]) -> str:
    seen: dict[str, str] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen["remote_addr"] = environ["REMOTE_ADDR"]
        return []

    server.behind_proxy(app)(environ, lambda *a: None)
    return seen["remote_addr"]


def test_client_address_comes_from_the_proxy_on_this_machine_only() -> None:
    forwarded = {"HTTP_X_FORWARDED_FOR": "198.51.100.1, 203.0.113.7"}
    assert _remote_addr_seen({"REMOTE_ADDR": "127.0.0.1", **forwarded}) == "203.0.113.7"
    assert _remote_addr_seen({"REMOTE_ADDR": "::1", **forwarded}) == "203.0.113.7"
    assert _remote_addr_seen({"REMOTE_ADDR": "", **forwarded}) == "203.0.113.7"  # unix socket
    # Straight from elsewhere: the header is the client's own word, not believed.
    assert _remote_addr_seen({"REMOTE_ADDR": "192.0.2.9", **forwarded}) == "192.0.2.9"
    bad = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-address"}
    assert _remote_addr_seen(bad) == "127.0.0.1"
    assert _remote_addr_seen({"REMOTE_ADDR": "127.0.0.1"}) == "127.0.0.1"


# ---------------------------------------------------------------- the command, here


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the command would have become: the server's settings, per start."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(server, "exec_server", calls.append)
    return calls


def serve(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("serve", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_serve_refuses_debug_without_insecure_debug(
    settings: Any, started: list[dict[str, Any]]
) -> None:
    settings.DEBUG = True
    with pytest.raises(CommandError, match=r"ALLIANCE_DEBUG is on.*--insecure-debug"):
        serve()
    assert started == []


def test_serve_with_debug_and_insecure_debug_starts_and_warns(
    settings: Any, started: list[dict[str, Any]]
) -> None:
    settings.DEBUG = True
    _, err = serve("--insecure-debug", "--workers", "1")
    assert len(started) == 1
    assert "Never with real clients' data" in err


def test_serve_says_where_it_listens_and_with_how_many_workers(
    started: list[dict[str, Any]],
) -> None:
    out, err = serve("--workers", "2", "--timeout", "20")
    assert out.strip() == (
        "Alliance: serving on http://127.0.0.1:8001 with 2 workers (gunicorn "
        f"{gunicorn.__version__}; requests time out after 20 s; SIGHUP reloads, "
        "SIGTERM stops)."
    )
    assert err == ""
    assert started[0]["bind"] == [server.DEFAULT_BIND]
    assert (started[0]["workers"], started[0]["timeout"]) == (2, 20)


def test_serve_defaults_to_loopback_and_the_core_count(started: list[dict[str, Any]]) -> None:
    serve()
    assert started[0]["bind"] == ["127.0.0.1:8001"]
    assert started[0]["workers"] == server.default_workers()
    assert started[0]["timeout"] == 30


def test_serve_takes_several_binds_and_a_unix_socket(started: list[dict[str, Any]]) -> None:
    out, _ = serve("--bind", "[::1]:8001", "--bind", "unix:/run/alliance/alliance.sock")
    assert started[0]["bind"] == ["[::1]:8001", "unix:/run/alliance/alliance.sock"]
    assert "http://[::1]:8001, unix:/run/alliance/alliance.sock" in out


def test_serve_warns_when_reachable_beyond_this_machine_behind_a_proxy(
    settings: Any, started: list[dict[str, Any]]
) -> None:
    settings.BEHIND_TLS_PROXY = True
    _, err = serve("--bind", "0.0.0.0:8001")
    assert "let only your proxy reach this port" in err
    _, err = serve("--bind", "localhost:8001")
    assert err == ""


@pytest.mark.parametrize("workers", ["0", "-2", "three", "1.5"])
def test_serve_refuses_a_worker_count_below_one(
    started: list[dict[str, Any]], workers: str
) -> None:
    with pytest.raises(CommandError, match=r"--workers: must be a whole number, at least 1"):
        serve("--workers", workers)
    assert started == []


@pytest.mark.parametrize(
    ("bind", "message"),
    [
        ("8001", "is not HOST:PORT or unix:PATH"),
        ("127.0.0.1", "is not HOST:PORT or unix:PATH"),
        ("127.0.0.1:99999", "is not HOST:PORT or unix:PATH"),
        ("::1:8001", "put an IPv6 address in brackets"),
        ("unix:alliance.sock", "a unix socket needs an absolute path"),
    ],
)
def test_serve_refuses_a_bind_it_cannot_use(
    started: list[dict[str, Any]], bind: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        serve("--bind", bind)
    assert started == []


# ---------------------------------------------------------------- a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, Message, str]:
    """Status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read().decode()
        return response.status, response.headers, body
    finally:
        connection.close()


def alliance(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # "pid (name) state ppid ...": the name may hold spaces and parentheses.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
    return found


class Served:
    """`alliance serve` in a process group of its own, output kept in files."""

    def __init__(self, env: dict[str, str], logs: Path, *args: str) -> None:
        self.env = env
        self.port = free_port()
        self.stdout = logs / "stdout.log"
        self.stderr = logs / "stderr.log"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "alliance",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    *args,
                ],
                env=env,
                cwd=logs,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        try:
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.process.poll() is None, f"the server exited: {self.logs()}"
            assert time.monotonic() < deadline, f"the server did not start: {self.logs()}"
            with contextlib.suppress(OSError):
                if get(self.port, "/healthz", HTTPS)[0] == 200:
                    return
            time.sleep(0.2)

    def workers(self, count: int, not_in: Collection[int] = ()) -> set[int]:
        """The worker processes, once there are ``count`` of them and none in ``not_in``."""
        deadline = time.monotonic() + START_SECONDS
        while True:
            found = children(self.process.pid)
            if len(found) == count and not found & set(not_in):
                return found
            assert time.monotonic() < deadline, f"workers now {found}: {self.logs()}"
            time.sleep(0.2)

    def access_line(self, part: str) -> str:
        """The first access-log line holding ``part`` (gunicorn writes it after answering)."""
        deadline = time.monotonic() + 10
        while True:
            found = [line for line in self.stdout.read_text().splitlines() if part in line]
            if found:
                return found[0]
            assert time.monotonic() < deadline, f"no line with {part!r}: {self.logs()}"
            time.sleep(0.1)

    def logs(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Production settings and a migrated SQLite database of their own."""
    var = tmp_path_factory.mktemp("serve") / "var"
    (var / "static").mkdir(parents=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(LOCAL_SETTINGS)},
        "ALLIANCE_DEBUG": "false",
        "ALLIANCE_SECRET_KEY": secrets.token_urlsafe(48),
        "ALLIANCE_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLIANCE_AUDIT_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLIANCE_ALLOWED_HOSTS": "127.0.0.1",
        "ALLIANCE_BEHIND_TLS_PROXY": "true",
        "ALLIANCE_VAR_DIR": str(var),
        "ALLIANCE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = alliance(env, "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture(scope="module")
def notify_socket() -> Iterator[socket.socket]:
    """Where systemd would listen for READY=1 (Type=notify), with the sender's pid."""
    folder = tempfile.mkdtemp(prefix="alliance-")  # short: a socket path has ~100 bytes
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        listener.bind(f"{folder}/notify")
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        yield listener
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def served(
    production: dict[str, str],
    notify_socket: socket.socket,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    # Its own copy of the code, so that the reload test can install a change.
    code = folder / "src"
    shutil.copytree(ROOT / "src", code, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**production, "PYTHONPATH": str(code), "NOTIFY_SOCKET": notify_socket.getsockname()}
    running = Served(env, folder, "--workers", "2")
    try:
        yield running
    finally:
        running.stop()


def test_serve_answers_healthz_behind_the_proxy_header(served: Served) -> None:
    status, _, body = get(served.port, "/healthz", HTTPS)
    assert (status, body) == (200, "ok")


def test_serve_without_the_proxy_header_redirects_to_https(served: Served) -> None:
    status, headers, _ = get(served.port, "/healthz", {})
    assert (status, headers["Location"]) == (301, f"https://127.0.0.1:{served.port}/healthz")


def test_serve_logs_the_path_without_query_string_or_token(served: Served) -> None:
    get(served.port, "/healthz?token=QUERY-SECRET", {**HTTPS, "Referer": "/?r=REFERER-SECRET"})
    get(served.port, "/invitations/PATH-SECRET/", {})
    served.access_line('"GET /healthz HTTP/1.1" 200 2 ')
    served.access_line('"GET /invitations/<token>/ HTTP/1.1" 301 ')
    for secret in ("QUERY-SECRET", "REFERER-SECRET", "PATH-SECRET", "token="):
        assert secret not in served.logs()


def test_serve_logs_the_client_address_its_proxy_gives(served: Served) -> None:
    get(served.port, "/healthz", {**HTTPS, "X-Forwarded-For": "203.0.113.7"})
    assert served.access_line("203.0.113.7 ").startswith("203.0.113.7 [")


def test_serve_starts_with_one_line_then_gunicorn(served: Served) -> None:
    first = served.stdout.read_text().splitlines()[0]
    assert first.startswith(f"Alliance: serving on http://127.0.0.1:{served.port} with 2 workers")
    assert "Using worker: sync" in served.stderr.read_text()


def test_serve_tells_systemd_it_is_ready_from_the_main_process(
    served: Served, notify_socket: socket.socket
) -> None:
    notify_socket.settimeout(10)
    credentials = struct.calcsize("3i")
    while True:
        message, ancillary, _, _ = notify_socket.recvmsg(4096, socket.CMSG_SPACE(credentials))
        if b"READY=1" in message.split(b"\n"):
            break
    senders = [
        struct.unpack("3i", data[:credentials])[0]
        for level, kind, data in ancillary
        if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS)
    ]
    # The command became the server (exec): systemd's $MAINPID is gunicorn's master.
    assert senders == [served.process.pid]


def test_serve_reloads_on_sighup_with_the_code_now_installed(served: Served) -> None:
    code = Path(served.env["PYTHONPATH"]) / "alliance"
    # An upgrade: a view (imported on the first request) and the settings (imported before
    # anything else) change, then `systemctl reload alliance-serve`.
    policy = 'REFERRER_POLICY = "{}"'
    changes = {
        code / "web/views/public.py": ('HttpResponse("ok",', 'HttpResponse("ok, upgraded",'),
        code / "settings.py": (policy.format("same-origin"), policy.format("no-referrer")),
    }
    _, headers, body = get(served.port, "/healthz", HTTPS)
    assert (body, headers["Referrer-Policy"]) == ("ok", "same-origin")
    before = served.workers(2)
    for path, (old, new) in changes.items():
        source = path.read_text()
        assert source.count(old) == 1, path
        path.write_text(source.replace(old, new))
    os.kill(served.process.pid, signal.SIGHUP)
    served.workers(2, not_in=before)
    status, headers, body = get(served.port, "/healthz", HTTPS)
    assert (status, body, headers["Referrer-Policy"]) == (200, "ok, upgraded", "no-referrer")
    assert served.process.poll() is None
    assert "Hang up" in served.stderr.read_text()


def test_real_serve_refuses_debug_and_starts_nothing(
    production: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**production, "ALLIANCE_DEBUG": "true"}
    done = alliance(env, "serve", "--bind", f"127.0.0.1:{port}")
    assert done.returncode != 0
    assert "ALLIANCE_DEBUG is on" in done.stderr
    assert "serving on" not in done.stdout
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


# ---------------------------------------------------------------- deploy/


def unit(path: Path) -> configparser.ConfigParser:
    # systemd's syntax is close to INI; keys repeat (the last one counts here), case counts.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(path.read_text())
    return parser


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_unit_file_runs_alliance_as_its_own_user_with_the_environment_file(command: str) -> None:
    parsed = unit(UNITS[command])
    assert parsed.sections() == ["Unit", "Service", "Install"]
    service = parsed["Service"]
    executable, subcommand, *_ = shlex.split(service["ExecStart"])
    assert executable == "/opt/alliance/.venv/bin/alliance"
    assert subcommand == command
    assert service["User"] == service["Group"] == "alliance"
    assert service["EnvironmentFile"] == "/etc/alliance/alliance.env"
    assert service["WorkingDirectory"] == "/var/lib/alliance"
    assert service["WorkingDirectory"] in service["ReadWritePaths"].split()
    assert service["Restart"] == "on-failure"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "UMask": "0077",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    assert parsed["Unit"]["Description"]
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


def test_serve_unit_reloads_with_sighup_and_waits_out_the_graceful_timeout() -> None:
    service = unit(UNITS["serve"])["Service"]
    assert service["Type"] == "notify"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["KillMode"] == "mixed"
    graceful = server.server_settings(binds=[], workers=1, timeout=30)["graceful_timeout"]
    assert int(service["TimeoutStopSec"]) > graceful
    assert shlex.split(service["ExecStart"])[2:] == ["--bind", server.DEFAULT_BIND]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_unit_files_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify wants ExecStart's program to exist: a stand-in where the install would be.
    program = tmp_path / "opt/alliance/.venv/bin/alliance"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    copies = []
    for path in UNITS.values():
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace("/opt/alliance/", f"{tmp_path}/opt/alliance/"))
        copies.append(str(copy))
    done = subprocess.run(
        ["systemd-analyze", "verify", *copies],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    said = [line for line in (done.stdout + done.stderr).splitlines() if "alliance-" in line]
    assert done.returncode == 0, done.stdout + done.stderr
    assert said == []


def test_environment_example_names_only_settings_that_exist() -> None:
    settings_source = (ROOT / "src/alliance/settings.py").read_text()
    names = [
        line.lstrip("# ").split("=", 1)[0]
        for line in (DEPLOY / "alliance.env.example").read_text().splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    ]
    assert {
        "ALLIANCE_SECRET_KEY",
        "ALLIANCE_FIELD_KEYS",
        "ALLIANCE_AUDIT_KEYS",
        "ALLIANCE_AUDIT_CHECKPOINT",
        "ALLIANCE_ALLOWED_HOSTS",
    } <= set(names)
    for name in names:
        assert f'"{name}"' in settings_source, name
    assert "ALLIANCE_DEBUG=false" in (DEPLOY / "alliance.env.example").read_text()
    assert "ALLIANCE_BEHIND_TLS_PROXY=true" in (DEPLOY / "alliance.env.example").read_text()


def test_proxy_examples_send_to_serve_and_keep_no_access_log() -> None:
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert f"proxy_pass http://{server.DEFAULT_BIND};" in nginx
    assert "proxy_set_header X-Forwarded-Proto https;" in nginx
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    # nginx logs by default, query strings included; every server block turns it off.
    assert nginx.count("server {") == nginx.count("access_log off;") == 2
    assert "client_max_body_size" in nginx
    caddy = (DEPLOY / "Caddyfile").read_text()
    assert f"reverse_proxy {server.DEFAULT_BIND}" in caddy
    # Caddy keeps no access log without a `log` directive.
    assert not any(line.strip().startswith("log") for line in caddy.splitlines())
    assert "max_size" in caddy


def test_djangos_own_request_logs_name_tokens_instead_of_showing_them(caplog: Any) -> None:
    """A 500 on an invitation page, and runserver's request line, log no token."""
    import logging

    from django.test import RequestFactory
    from django.utils.log import log_response

    request = RequestFactory().get("/invitations/T0KEN-SECRET/")
    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="django.server"):
        log_response(
            "Internal Server Error: %s", request.path, response=_status(500), request=request
        )
        logging.getLogger("django.server").info(
            '"%s" %s %s', "GET /invitations/T0KEN-SECRET/?next=/x HTTP/1.1", "200", "12"
        )
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "T0KEN-SECRET" not in text and "next=" not in text
    assert "Internal Server Error: /invitations/<token>/" in text
    assert '"GET /invitations/<token>/ HTTP/1.1" 200 12' in text


def _status(code: int) -> Any:
    from django.http import HttpResponse

    return HttpResponse(status=code)
