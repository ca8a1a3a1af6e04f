from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from alliance.web.demo import DEMO_PASSWORD, load_demo_practice
from alliance.web.scale import build_scale_practice


class Command(BaseCommand):
    help = (
        "Load the demo practice into the configured database (idempotently), then serve it "
        "on http://127.0.0.1:8000 and print the logins. --no-serve only loads. --scale N "
        "adds, beside the demo practice, a scale practice of N clients with up to two years "
        "of weekly history (bulk-inserted; logins @scale.test)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="load the demo, don't serve")
        parser.add_argument(
            "--addrport", default="127.0.0.1:8000", help="where to serve (default 127.0.0.1:8000)"
        )
        parser.add_argument(
            "--max-weeks",
            type=int,
            default=30,
            choices=range(4, 31),
            metavar="4-30",
            help="longest history a demo client gets, in weeks (default 30)",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="also build a scale practice of N clients (N/50 therapists; default: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        result = load_demo_practice(
            progress=lambda line: self.stdout.write(line), max_weeks=options["max_weeks"]
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))
        self.stdout.write("")
        url = f"http://{options['addrport']}/"
        self.stdout.write(self.style.SUCCESS(f"Alliance demo: {url}"))
        self.stdout.write(f"Every demo account's password is: {DEMO_PASSWORD}")
        self.stdout.write(
            "Staff also sign in with a code from an authenticator app: add the secret shown "
            "beside their login to the app, or run `ALLIANCE_DEBUG=true alliance demo-code EMAIL`."
        )
        for line in result.login_lines():
            self.stdout.write(f"  {line}")
        if options["scale"] > 0:
            self._scale(options["scale"])
        if options["no_serve"]:
            return
        self.stdout.write("")
        self.stdout.write(f"Serving on {url} — press Ctrl-C to stop.")
        call_command("runserver", options["addrport"], use_reloader=False, use_threading=True)

    def _scale(self, clients: int) -> None:
        self.stdout.write("")
        self.stdout.write(f"Building the scale practice ({clients:,} clients)…")
        scale = build_scale_practice(clients, progress=lambda line: self.stdout.write(line))
        self.stdout.write(self.style.SUCCESS(scale.summary()))
        self.stdout.write("Scale practice logins (same password; staff codes as above):")
        for line in scale.login_lines():
            self.stdout.write(f"  {line}")
