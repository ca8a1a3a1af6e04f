from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from alliance.alerts.rules import disengagement_check
from alliance.care.models import Episode


class Command(BaseCommand):
    help = (
        "Raise disengagement alerts (two due check-ins in a row not completed) for every open "
        "episode of care. `alliance worker` runs it every interval; this command is for cron "
        "or a one-off check."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        episodes = Episode.objects.filter(status="open").select_related("client")
        total = episodes.count()
        raised = 0
        for number, episode in enumerate(episodes.iterator(), start=1):
            with transaction.atomic():
                raised += disengagement_check(episode) is not None
            if number % 500 == 0:
                self.stderr.write(f"checked {number} of {total} episodes")
        self.stdout.write(f"Checked {total} open episodes; {raised} disengagement alerts raised.")
