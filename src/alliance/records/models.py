"""A client's requests about their whole record, and what is left once it is erased.

``Erasure`` is the tombstone: the account and every row about the person are gone, and
this row keeps only the id the audit log knows them by, when it happened, who did it and
until when the audit events about that id are held. Nothing in it says who they were.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ErasureRequest(models.Model):
    """A client asked the practice to erase their record; a practice admin carries it out."""

    client = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erasure_request"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"Erasure request {self.pk}"


class Erasure(models.Model):
    # Ids, not foreign keys: the client's account no longer exists, and the admin's row
    # must not be tied to this one.
    client_id = models.BigIntegerField(unique=True)
    erased_at = models.DateTimeField()
    # Empty when it was done on the server (`alliance erase-client`).
    erased_by_id = models.BigIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    # ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS after the erasure.
    audit_kept_until = models.DateField()

    class Meta:
        ordering = ["-erased_at", "-pk"]

    def __str__(self) -> str:
        return f"Erasure of client #{self.client_id}"
