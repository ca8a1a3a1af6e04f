"""Questionnaires asked of clients and their responses, stored QuestionnaireResponse-shaped.

A response keeps the instrument id and version it was scored with, the answers, the
computed scores and the times, so that any score can be reproduced and exported.
Free-text answers are encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from alliance.fields import EncryptedJSONField


class PracticeInstrument(models.Model):
    """A Questionnaire the practice imported (e.g. a licensed measure it holds rights to)."""

    instrument_id = models.CharField(max_length=120)
    version = models.CharField(max_length=60)
    title = models.CharField(max_length=300)
    # The Questionnaire as imported: for a licensed instrument this holds its wording,
    # which stays in this installation.
    questionnaire = models.JSONField()
    source_name = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["instrument_id", "imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument_id", "version"], name="practice_instrument_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.instrument_id}@{self.version}"


def default_before_session() -> list[str]:
    return ["phq-9", "gad-7"]


def default_after_session() -> list[str]:
    return ["session-feedback"]


class CheckinSchedule(models.Model):
    """Which questionnaires an episode asks for, and when."""

    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, related_name="checkin_schedule"
    )
    before_session = models.JSONField(default=default_before_session)
    after_session = models.JSONField(default=default_after_session)
    weekly = models.JSONField(default=list)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Schedule of episode {self.episode_id}"


class When(models.TextChoices):
    BEFORE_SESSION = "before_session", "before a session"
    AFTER_SESSION = "after_session", "after a session"
    WEEKLY = "weekly", "weekly"
    REQUESTED = "requested", "asked for by the therapist"


# The check-ins that make the occasions the disengagement check counts (one session's
# pre-session questionnaires, or one week's); feedback after a session and a questionnaire
# asked for on its own are not occasions.
OCCASION_KINDS = (When.BEFORE_SESSION, When.WEEKLY)


class Administration(models.Model):
    """One questionnaire asked of a client within an episode: due, then completed once."""

    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="administrations"
    )
    session = models.ForeignKey(
        "care.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    instrument_id = models.CharField(max_length=120)
    instrument_version = models.CharField(max_length=60)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    when = models.CharField(max_length=20, default=When.REQUESTED)
    created_at = models.DateTimeField(default=timezone.now)
    # Shown to the client from this time (after-session feedback: once the session began).
    available_from = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Withdrawn because the schedule changed; kept, never deleted.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When ``checkins_expire`` counted it, past its due time and unanswered, in the
    # episode's ``CheckinTally`` (a late answer takes it back out).
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["episode", "completed_at"]),
            # The caseload's "check-in not completed" flag: the open check-ins of an
            # episode and their due times, without reading its answered history.
            models.Index(
                fields=["episode", "due_at"],
                condition=models.Q(completed_at__isnull=True, cancelled_at__isnull=True),
                name="administration_open_due",
            ),
            # The check-ins that may still pass their due time uncounted: what the practice
            # report adds to the tallies, and what ``checkins_expire`` looks for. Small
            # whatever the history: answered, withdrawn and counted ones leave it.
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    completed_at__isnull=True,
                    cancelled_at__isnull=True,
                    expired_at__isnull=True,
                    due_at__isnull=False,
                ),
                name="administration_uncounted_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "instrument_id", "when"],
                condition=models.Q(cancelled_at__isnull=True, session__isnull=False),
                name="one_live_administration_per_session_instrument",
            )
        ]

    def __str__(self) -> str:
        return f"Administration {self.pk} ({self.instrument_id})"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def is_open_for_answers(self, now: datetime) -> bool:
        """The client may fill it in now: not withdrawn, its window open, not answered yet
        (overdue still counts: a late answer is still the client's answer)."""
        return self.state(now) in ("due", "overdue")

    def state(self, now: datetime) -> str:
        """completed, cancelled, upcoming (not open yet), overdue or due."""
        if self.completed_at is not None:
            return "completed"
        if self.cancelled_at is not None:
            return "cancelled"
        if self.available_from is not None and self.available_from > now:
            return "upcoming"
        if self.due_at is not None and self.due_at < now:
            return "overdue"
        return "due"


class CheckinTally(models.Model):
    """Per episode, how many check-ins were completed and how many passed their due time
    unanswered, kept by the services that change them, in their own transaction
    (``response_store``, ``schedule_sync``'s withdrawals, ``checkins_expire``).

    The practice report's completion rate sums these (one row per episode) instead of
    counting every administration of the practice (issue 16). Numbers only;
    ``tally_rebuild`` recomputes them from the administrations and ``tally_drift`` checks.
    """

    episode = models.OneToOneField(
        "care.Episode", on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    completed = models.PositiveIntegerField(default=0)
    # Past due, not completed, not withdrawn, and counted (``Administration.expired_at``).
    expired = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Check-in tally of episode {self.episode_id}"


class Response(models.Model):
    administration = models.OneToOneField(
        Administration, on_delete=models.PROTECT, related_name="response"
    )
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="responses")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responses"
    )
    instrument_id = models.CharField(max_length=120)
    instrument_version = models.CharField(max_length=60)
    # Scored answers by linkId: {"phq9-1": {"value": 2, "code": "LA6570-1"}, ...}
    answers = models.JSONField(default=dict)
    # Free-text answers by linkId, encrypted.
    text_answers = EncryptedJSONField(blank=True, default=dict)
    total = models.FloatField(null=True, blank=True)
    band = models.CharField(max_length=60, blank=True)
    subscales = models.JSONField(default=dict)
    # Critical items that tripped: [{"link_id": "phq9-9", "position": 9, "value": 1}]
    critical = models.JSONField(default=list)
    answered = models.PositiveIntegerField(default=0)
    required = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["client", "instrument_id", "submitted_at"]),
            # The caseload's latest-score lookups and the report's per-episode windows.
            models.Index(fields=["episode", "instrument_id", "submitted_at"]),
            models.Index(fields=["episode", "submitted_at"]),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.instrument_id})"

    @property
    def critical_tripped(self) -> bool:
        return bool(self.critical)
