from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.accounts.mfa import demo_totp_secret, totp_code, totp_secret_of
from alliance.accounts.models import User
from alliance.web.demo import STAFF


class Command(BaseCommand):
    help = (
        "Print the current sign-in code of a demo staff account (ALLIANCE_DEBUG only), "
        "for trying the demo without an authenticator app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="a demo staff login, e.g. therapist1@demo.test")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo-code works only with ALLIANCE_DEBUG=true (the demo).")
        email = options["email"].strip().lower()
        if email not in STAFF:
            raise CommandError(f"{email} is not a demo staff account.")
        user = User.objects.filter(email=email).first()
        # Only an account still holding the published demo secret: never anyone's real one.
        if user is None or totp_secret_of(user) != demo_totp_secret(email):
            raise CommandError(f"{email} has no demo authenticator: run `alliance demo` first.")
        self.stdout.write(totp_code(demo_totp_secret(email)))
