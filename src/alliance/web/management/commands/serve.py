"""`alliance serve`: the production server (gunicorn; see alliance.server for why and how)."""

from __future__ import annotations

import argparse
import ipaddress
from typing import Any

import gunicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from alliance import server


def _bind(value: str) -> str:
    if value.startswith("unix:"):
        if not value.removeprefix("unix:").startswith("/"):
            raise argparse.ArgumentTypeError(
                f"{value!r}: a unix socket needs an absolute path, e.g. "
                "unix:/run/alliance/alliance.sock"
            )
        return value
    host, _, port = value.rpartition(":")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise argparse.ArgumentTypeError(
            f"{value!r}: put an IPv6 address in brackets, e.g. [::1]:8001"
        )
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not HOST:PORT or unix:PATH, e.g. 127.0.0.1:8001"
        )
    return value


def _at_least_one(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1 (got {value!r})")
    return number


def _only_this_machine(bind: str) -> bool:
    if bind.startswith("unix:"):
        return True
    host = bind.rpartition(":")[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _where(bind: str) -> str:
    return bind if bind.startswith("unix:") else f"http://{bind}"


class Command(BaseCommand):
    help = (
        "Serve Alliance in production: gunicorn with one worker process per request at a "
        "time, behind a TLS proxy (deploy/). SIGHUP reloads gracefully (new workers with the "
        "code now installed, requests in progress finish); SIGTERM stops. Refuses to run "
        "with ALLIANCE_DEBUG on unless --insecure-debug."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            action="append",
            type=_bind,
            metavar="HOST:PORT|unix:PATH",
            help=f"where to listen (default {server.DEFAULT_BIND}); repeat for several",
        )
        parser.add_argument(
            "--workers",
            type=_at_least_one,
            metavar="N",
            help=(
                "worker processes, each serving one request at a time (default: two per "
                f"core plus one, at most {server.MAX_DEFAULT_WORKERS}; here "
                f"{server.default_workers()})"
            ),
        )
        parser.add_argument(
            "--timeout",
            type=_at_least_one,
            default=server.DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help=(
                "a request still running after this long has its worker killed and "
                f"replaced (default {server.DEFAULT_TIMEOUT})"
            ),
        )
        parser.add_argument(
            "--insecure-debug",
            action="store_true",
            help="serve even with ALLIANCE_DEBUG on (never with real clients' data)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DEBUG and not options["insecure_debug"]:
            raise CommandError(
                "ALLIANCE_DEBUG is on: error pages would show code, settings and data to "
                "whoever causes an error. Set ALLIANCE_DEBUG=false to serve, or add "
                "--insecure-debug to serve anyway on your own machine."
            )
        binds = options["bind"] or [server.DEFAULT_BIND]
        workers = options["workers"] or server.default_workers()
        settings_for_gunicorn = server.server_settings(
            binds=binds, workers=workers, timeout=options["timeout"]
        )
        if settings.DEBUG:
            self.stderr.write(
                "Warning: serving with ALLIANCE_DEBUG on (--insecure-debug). Never with real "
                "clients' data."
            )
        if settings.BEHIND_TLS_PROXY and not all(_only_this_machine(b) for b in binds):
            self.stderr.write(
                "Warning: listening beyond this machine with ALLIANCE_BEHIND_TLS_PROXY on: "
                "the app believes X-Forwarded-Proto from whoever connects, so let only your "
                "proxy reach this port (firewall)."
            )
        # Nothing of this process may outlive it: the server replaces it.
        connections.close_all()
        self.stdout.write(
            f"Alliance: serving on {', '.join(_where(b) for b in binds)} with {workers} "
            f"worker{'s' if workers != 1 else ''} (gunicorn {gunicorn.__version__}; requests "
            f"time out after {options['timeout']} s; SIGHUP reloads, SIGTERM stops)."
        )
        server.exec_server(settings_for_gunicorn)
