from __future__ import annotations

import base64
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Print a new key for ALLIANCE_FIELD_KEYS (or, with --secret, ALLIANCE_SECRET_KEY)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--secret", action="store_true", help="a Django secret key instead")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["secret"]:
            self.stdout.write(secrets.token_urlsafe(64))
        else:
            self.stdout.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
