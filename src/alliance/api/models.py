"""Personal API tokens: a person's key to the FHIR API, acting for them and no one else.

Only a SHA-256 digest of the token is stored (the token is shown once, when made); the
``prefix`` is its first characters, kept to tell one's tokens apart on the profile page
and in "Who has seen your record"."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    prefix = models.CharField(_("prefix"), max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"API token {self.pk} ({self.prefix}…)"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and now < self.expires_at

    @property
    def label(self) -> str:
        """How the token is named where it is shown: its prefix, never the token."""
        return f"{self.prefix}…"


class BulkExportStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BulkExport(models.Model):
    """One FHIR Bulk Data ``$export``: who asked (the token's person, its scopes and how
    the audit names the credential, so that the worker reads exactly as the token would),
    what was asked, and how far the worker got. Its files are sealed on disk under
    ``BULK_EXPORT_DIR/<id>/``; cancelling deletes the row and the files."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_exports"
    )
    scope = models.CharField(max_length=400)
    audit_target = models.CharField(max_length=40)
    audit_target_id = models.BigIntegerField(null=True, blank=True)
    # The resource types asked for, in the order they are written.
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.CharField(max_length=2000)
    status = models.CharField(
        max_length=10, choices=BulkExportStatus.choices, default=BulkExportStatus.QUEUED
    )
    # How many of ``types`` are written (the status answer's X-Progress).
    types_done = models.PositiveSmallIntegerField(default=0)
    # Why it failed, as a code (``alliance.api.bulk.FAILURES``), never the data.
    error = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "claimed_at"])]

    def __str__(self) -> str:
        return f"bulk export {self.pk} ({self.status})"


class BulkExportFile(models.Model):
    """One NDJSON file of an export: one resource type, how many lines, and when it was
    first fetched to its end."""

    export = models.ForeignKey(BulkExport, on_delete=models.CASCADE, related_name="files")
    resource_type = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["export", "resource_type"], name="one_file_per_type")
        ]

    def __str__(self) -> str:
        return f"{self.resource_type} of {self.export_id}"
