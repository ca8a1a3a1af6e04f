from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alliance.lib.keys import FIELD_KEY_HELP, OPTION_HELP, new_field_key, new_secret_key


class Command(BaseCommand):
    # `alliance generate-key` is answered by alliance.cli before Django starts (the
    # settings refuse to load on a new server until these keys exist); this command is
    # what `alliance help` lists and call_command runs, and gives the same keys.
    help = FIELD_KEY_HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--secret", action="store_true", help=OPTION_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_secret_key() if options["secret"] else new_field_key())
