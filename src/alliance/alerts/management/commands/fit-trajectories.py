from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from alliance.alerts.models import PracticeTrajectory
from alliance.instruments.trajectories.fitting import attempt_practice_fit
from alliance.measures.models import Response


class Command(BaseCommand):
    help = (
        "Fit this practice's expected-trajectory curves (mixed growth model, statsmodels) from "
        "its closed episodes, for PHQ-9 and GAD-7. Not-on-track alerts use the newest fit once "
        "there are enough episodes; below that the published default applies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--instrument", action="append", help="default: phq-9 and gad-7")
        parser.add_argument(
            "--min-episodes",
            type=int,
            default=settings.TRAJECTORY_MIN_EPISODES,
            help="closed episodes needed before fitting (ALLIANCE_TRAJECTORY_MIN_EPISODES)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for instrument_id in options["instrument"] or ["phq-9", "gad-7"]:
            rows = (
                Response.objects.filter(
                    instrument_id=instrument_id, episode__status="closed", total__isnull=False
                )
                .order_by("episode_id", "submitted_at")
                .values_list("episode_id", "total")
            )
            histories: dict[int, list[tuple[int, float]]] = defaultdict(list)
            for episode_id, total in rows.iterator():
                history = histories[episode_id]
                history.append((len(history) + 1, float(total or 0)))
            self.stderr.write(f"{instrument_id}: fitting on {len(histories)} closed episodes…")
            attempt = attempt_practice_fit(
                list(histories.values()),
                instrument=instrument_id,
                min_episodes=options["min_episodes"],
            )
            if attempt.model is None:
                self.stdout.write(f"{instrument_id}: not fitted — {attempt.reason}")
                continue
            PracticeTrajectory.objects.create(
                instrument_id=instrument_id,
                episodes=attempt.model.n_episodes,
                parameters=attempt.model.as_dict(),
            )
            self.stdout.write(f"{instrument_id}: fitted — {attempt.model.name}")
