"""Episodes of care (one client with a treating therapist) and their sessions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EpisodeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Episode(models.Model):
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes_as_client"
    )
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes_as_therapist"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes_as_supervisor",
    )
    status = models.CharField(max_length=10, choices=EpisodeStatus.choices, default="open")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The therapist may turn off the client's own progress chart (the default shows it).
    client_sees_progress = models.BooleanField(default=True)
    # When the worker's round next needs to visit this episode (a weekly check-in falls due
    # to be made, a check-in's due time passes): the round takes only episodes whose time
    # has come instead of every open one (benchmarks/README.md, "The worker's round").
    # NULL is "due now": a new episode, and one where a session was planned or a check-in
    # asked for, which can bring the time forward (``episode_mark_due``).
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        # The round's query: the open episodes that are due, soonest first.
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(status="open"),
                name="episode_open_next_check",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "closed"]), name="episode_status_valid"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", closed_at__isnull=True)
                    | models.Q(status="closed", closed_at__isnull=False)
                ),
                name="episode_closed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == EpisodeStatus.OPEN


class Session(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="sessions")
    number = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["episode", "number"]
        # The caseload asks each episode for its next and latest session.
        indexes = [models.Index(fields=["episode", "starts_at"], name="session_episode_starts")]
        constraints = [
            models.UniqueConstraint(fields=["episode", "number"], name="session_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="session_number_min"),
        ]

    def __str__(self) -> str:
        return f"Session {self.number} of episode {self.episode_id}"
