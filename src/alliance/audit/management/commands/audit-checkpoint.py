from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.audit.services import audit_checkpoint


class Command(BaseCommand):
    help = (
        "Append a checkpoint of the audit chain's head (its newest row and hash, signed with "
        "ALLIANCE_AUDIT_KEYS) to the checkpoint file, ALLIANCE_AUDIT_CHECKPOINT. The worker "
        "writes one every hour and `alliance backup` one before each backup."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--restored",
            action="store_true",
            help=(
                "after restoring a backup on purpose: record that the chain now starts again "
                "from the restored head, so that the checkpoints written before the restore "
                "are no longer compared (they stay in the file)"
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = "restored" if options["restored"] else "checkpoint"
        try:
            checkpoint = audit_checkpoint(kind=kind)
        except OSError as error:
            raise CommandError(
                f"Could not write to {settings.AUDIT_CHECKPOINT}: {error.strerror or error}."
            ) from None
        what = "Restore recorded" if options["restored"] else "Checkpoint written"
        self.stdout.write(
            f"{what} in {settings.AUDIT_CHECKPOINT}: row {checkpoint.seq}, hash "
            f"{checkpoint.hash}, key {checkpoint.key_id}."
        )
