from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from alliance.alerts.rules import disengagement_check_open_episodes
from alliance.care.models import Episode, EpisodeStatus


class Command(BaseCommand):
    help = (
        "Raise disengagement alerts (two due check-ins in a row not completed) for every open "
        "episode of care. `alliance worker` runs it every interval; this command is for cron "
        "or a one-off check."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = Episode.objects.filter(status=EpisodeStatus.OPEN).count()
        result = disengagement_check_open_episodes(
            progress=lambda done: self.stderr.write(f"checked {done} of {total} episodes")
        )
        self.stdout.write(
            f"Checked {result['episodes']} open episodes; "
            f"{result['raised']} disengagement alerts raised."
        )
