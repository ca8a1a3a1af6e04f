from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from alliance.alerts.rules import disengagement_check_open_episodes, episodes_due


class Command(BaseCommand):
    help = (
        "For every open episode of care that is due (its next check has come): bring its "
        "check-ins in line with its schedule (weekly check-ins fall due), then raise a "
        "disengagement alert if two due check-ins in a row were not completed. `alliance "
        "worker` runs it every interval; this command is for cron or a one-off check."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = episodes_due(timezone.now()).count()
        result = disengagement_check_open_episodes(
            progress=lambda done: self.stderr.write(f"checked {done} of {total} due episodes")
        )
        self.stdout.write(
            f"Checked {result['episodes']} open episodes that were due; "
            f"{result['checkins_changed']} check-ins added or withdrawn to follow their "
            f"schedules; {result['raised']} disengagement alerts raised."
        )
