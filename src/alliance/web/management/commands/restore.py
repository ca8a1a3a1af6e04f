from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.backup import BackupError, backup_inspect, backup_restore, backup_verify


class Command(BaseCommand):
    help = (
        "Replace the database's content with an encrypted backup made by `alliance backup`. "
        "The whole file is checked first; a damaged or foreign file changes nothing. "
        "Stop the web server and the worker first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a file written by `alliance backup`")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument(
            "--check", action="store_true", help="only check that the backup opens and is whole"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            if options["check"]:
                backup_verify(path, progress=self.stdout.write)
                return
            header = backup_inspect(path)
            if not options["yes"]:
                answer = input(
                    f"This replaces ALL data in this installation's database with the backup "
                    f"made {header.get('created_at')}. Type 'restore' to go on: "
                )
                if answer.strip() != "restore":
                    raise CommandError("Nothing was changed.")
            backup_restore(path, progress=self.stderr.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the backup made {header.get('created_at')}.")
