"""Questionnaires asked of clients and their responses, stored QuestionnaireResponse-shaped.

A response keeps the instrument id and version it was scored with, the answers, the
computed scores and the times, so that any score can be reproduced and exported.
Free-text answers are encrypted at rest.
"""

from __future__ import annotations

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
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["episode", "completed_at"])]

    def __str__(self) -> str:
        return f"Administration {self.pk} ({self.instrument_id})"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


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
        indexes = [models.Index(fields=["client", "instrument_id", "submitted_at"])]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.instrument_id})"

    @property
    def critical_tripped(self) -> bool:
        return bool(self.critical)
