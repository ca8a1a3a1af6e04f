from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from alliance.audit.services import (
    AuditPruneRefused,
    audit_prune,
    audit_prune_plan,
    years_before,
)


class Command(BaseCommand):
    help = (
        "Remove audit events past their retention (by default older than "
        "ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS), oldest first. The hash of the last one "
        "removed is kept in the database and in the checkpoint file, so the chain still "
        "verifies from there, and the pruning is itself an audit event. Refused when the "
        "chain does not hold. Asks first unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        when = parser.add_mutually_exclusive_group()
        when.add_argument(
            "--before",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="remove the events from before this day (the practice's time zone)",
        )
        when.add_argument(
            "--older-than-years",
            type=int,
            metavar="N",
            help="remove the events older than N years (at least the retention setting)",
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["before"] is not None:
            before = timezone.make_aware(datetime.combine(options["before"], time.min))
        else:
            years = options["older_than_years"]
            if years is None:
                years = int(settings.ERASURE_AUDIT_RETENTION_YEARS)
            before = years_before(timezone.now(), years)
        try:
            plan = audit_prune_plan(before=before)
        except AuditPruneRefused as error:
            raise CommandError(str(error)) from None
        since = f"{timezone.localtime(before):%Y-%m-%d %H:%M}"
        if plan.rows == 0:
            self.stdout.write(f"No audit events from before {since}: nothing to remove.")
            return
        if not options["yes"]:
            try:
                answer = input(
                    f"This removes {plan.rows:,} audit events from before {since} (rows "
                    f"{plan.first_seq} to {plan.through_seq}) for good; the chain will start "
                    f"after row {plan.through_seq}. Type 'prune' to go on: "
                )
            except EOFError:
                answer = ""
            if answer.strip() != "prune":
                raise CommandError("Nothing was removed.")

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"Removed {done:,} of {total:,} events")

        try:
            result = audit_prune(actor=None, before=before, progress=progress)
        except AuditPruneRefused as error:
            raise CommandError(str(error)) from None
        done = result.plan
        if done.rows == 0 or result.event is None:
            self.stdout.write(f"No audit events from before {since}: nothing to remove.")
            return
        self.stdout.write(
            f"Removed {done.rows:,} audit events (rows {done.first_seq} to "
            f"{done.through_seq}); the chain now starts after row {done.through_seq}, whose "
            f"hash is kept. The pruning is row {result.event.seq} of the chain."
        )
        if result.checkpoint_error:
            raise CommandError(
                f"The checkpoint recording the pruning could not be written "
                f"({result.checkpoint_error}); run `alliance audit-checkpoint` once it can."
            )
        self.stdout.write(f"Checkpoint written in {settings.AUDIT_CHECKPOINT}.")
