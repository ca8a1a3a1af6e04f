from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write an encrypted backup of the whole database to FILE (sealed with the first of "
        "ALLIANCE_BACKUP_KEYS). Safe while the app is running."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="where to write the backup, e.g. alliance-2026-11-25.bak")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} already exists; choose another name or add --force.")
        try:
            header = backup_create(path, progress=self.stderr.write)
        except BackupError as error:
            raise CommandError(str(error)) from None
        size = path.stat().st_size
        self.stdout.write(
            f"Backup written to {path} ({size:,} bytes, {header['engine']}, "
            f"{header['created_at']}). Keep ALLIANCE_BACKUP_KEYS apart from it: "
            "without the key it cannot be read, and with it anyone can."
        )
