"""The production server behind `alliance serve`: gunicorn, configured here and nowhere else.

Why gunicorn: it is mature and pre-forking, reloads gracefully on SIGHUP and recycles its
workers by itself, and a synchronous WSGI server suits a synchronous Django app. Sync
workers handle one request each at a time, so ``timeout`` is a real limit on every request
(a worker stuck longer is killed and replaced); the proxy in front buffers slow clients.

`alliance serve` checks its options and the settings, then replaces itself (same process
id, so systemd's ``$MAINPID`` stays right) with ``python -m alliance.server``: a master that
has not imported Django. Only the workers load the app, after the fork, so that SIGHUP
starts workers running the code now installed; a master that had imported Django would
fork the old code again (tests/web/test_serve.py changes a view and the settings, sends
SIGHUP and sees both changes).

This module must not import Django at the top: the master runs it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from alliance.logpaths import path_for_log

DEFAULT_BIND = "127.0.0.1:8001"
DEFAULT_TIMEOUT = 30
MAX_DEFAULT_WORKERS = 8

# Only a proxy on this machine may say that a request came over HTTPS, or for whom. (Django
# itself believes X-Forwarded-Proto from anyone once ALLIANCE_BEHIND_TLS_PROXY is on, which is
# why `alliance serve` listens on loopback unless told otherwise.)
TRUSTED_PROXIES = ("127.0.0.1", "::1")

# Method, path, status, size, duration: never the query string (%(r)s, %(q)s) or the referrer
# (%(f)s), which may carry tokens, and the path only after redaction (path_for_log).
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def default_workers() -> int:
    """Two per core, plus one, for the cores this process may use; at most eight (each worker
    is a whole Django app in memory, and SQLite has one writer at a time anyway)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


def server_settings(*, binds: list[str], workers: int, timeout: int) -> dict[str, Any]:
    """gunicorn's settings for `alliance serve`: everything it does not leave to defaults."""
    return {
        "bind": binds,
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        # SIGHUP and SIGTERM let a request in progress finish, for this long.
        "graceful_timeout": 30,
        # Each worker is replaced after about a thousand requests (jittered so that they do
        # not all restart at once): whatever a worker leaks, it does not keep.
        "max_requests": 1000,
        "max_requests_jitter": 100,
        "preload_app": False,  # see the module's docstring: SIGHUP loads the new code
        "limit_request_line": 4094,
        "limit_request_fields": 50,
        "limit_request_field_size": 8190,
        "forwarded_allow_ips": ",".join(TRUSTED_PROXIES),
        "secure_scheme_headers": {"X-FORWARDED-PROTO": "https"},
        # No proxy of ours sets SCRIPT_NAME or PATH_INFO; nobody else may either.
        "forwarder_headers": "",
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "logger_class": "alliance.server.RedactingLogger",
        # A unix socket is created for the owner and its group (the proxy's user) only.
        "umask": 0o007,
        # gunicorn's control socket would sit in the service user's home; signals suffice.
        "control_socket_disable": True,
        "proc_name": "alliance",
    }


def exec_server(settings: dict[str, Any]) -> NoReturn:
    """Become the server (same process id). ``-P``: the working directory is not on the path."""
    sys.stdout.flush()
    sys.stderr.flush()
    python = sys.executable
    os.execv(python, [python, "-P", "-m", "alliance.server", json.dumps(settings)])  # noqa: S606


class RedactingLogger(Logger):
    """gunicorn's logger, with no query string and no token in any line about a request."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> Any:
        # Exactly what ACCESS_LOG_FORMAT uses: no header, cookie or environment value.
        atoms = super().atoms(resp, req, environ, request_time)
        try:
            path = path_for_log(environ.get("PATH_INFO", ""))
        except Exception:
            path = "<unmatched>"
        return {key: atoms[key] for key in ("h", "t", "m", "H", "s", "b", "M")} | {"U": path}

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        # "Error handling request GET /path?query" (an exception that escaped Django).
        if msg.startswith("Error handling request") and args:
            try:
                uri = path_for_log(urlsplit(str(args[-1])).path)
            except Exception:
                uri = "<unmatched>"
            args = (*args[:-1], uri)
        super().exception(msg, *args, **kwargs)


def behind_proxy(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """REMOTE_ADDR, behind our proxy, is the proxy; the audit log and the sign-in rate limits
    need the client's. Take it from the last X-Forwarded-For entry (the one our proxy wrote)
    when the request came from a trusted proxy (loopback, or a unix socket), never otherwise."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if forwarded and (peer in TRUSTED_PROXIES or not peer):
            with contextlib.suppress(ValueError):
                environ["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return app(environ, start_response)

    return wsgi


class AllianceServer(BaseApplication):
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            self.cfg.set(name, value)

    def load(self) -> Callable[..., Iterable[bytes]]:
        from django.conf import settings

        from alliance.wsgi import application

        return behind_proxy(application) if settings.BEHIND_TLS_PROXY else application


if __name__ == "__main__":
    AllianceServer(json.loads(sys.argv[1])).run()
