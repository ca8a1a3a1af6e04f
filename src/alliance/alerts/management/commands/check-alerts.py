from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.alerts.rules import disengagement_check_open_episodes
from alliance.care.models import Episode, EpisodeStatus


class Command(BaseCommand):
    help = (
        "For every open episode of care: bring its check-ins in line with its schedule (weekly "
        "check-ins fall due), then raise a disengagement alert if two due check-ins in a row "
        "were not completed. `alliance worker` runs it every interval; this command is for "
        "cron or a one-off check."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Episode.objects.filter(status=EpisodeStatus.OPEN).count()
        result = disengagement_check_open_episodes(
            progress=lambda done: self.stderr.write(f"checked {done} of {total} episodes")
        )
        self.stdout.write(
            f"Checked {result['episodes']} open episodes; {result['checkins_changed']} check-ins "
            f"added or withdrawn to follow their schedules; "
            f"{result['raised']} disengagement alerts raised."
        )
