"""A client's requests about their whole record (a copy, erasure), and what is left once
it is erased.

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


class CopyRequestQuerySet(models.QuerySet["CopyRequest"]):
    def pending(self) -> CopyRequestQuerySet:
        return self.filter(requested_at__isnull=False, made_at__isnull=True)

    def made(self) -> CopyRequestQuerySet:
        return self.filter(made_at__isnull=False)


class CopyRequest(models.Model):
    """A client asked the practice for a copy of their whole record; one copy fulfils it.

    Only a pending request lets the practice admin (or `alliance export-record` on the
    server) take the record, once (``alliance.care.access``, "records"). A row with no
    ``requested_at`` is a copy made on the server without a request
    (``--without-request``): kept so that the client is shown it too.
    """

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="copy_requests"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    # The client's choice: also what they kept private (exercise entries, parts of the
    # cultural profile, preferences they did not share with their therapist).
    everything = models.BooleanField(default=False)
    made_at = models.DateTimeField(null=True, blank=True)
    # Empty with ``made_at`` set: made on the server (`alliance export-record`).
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CopyRequestQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(made_at__isnull=True),
                name="records_one_pending_copy_request",
            ),
            models.CheckConstraint(
                condition=models.Q(requested_at__isnull=False) | models.Q(made_at__isnull=False),
                name="records_copy_request_asked_or_made",
            ),
        ]

    def __str__(self) -> str:
        return f"Copy request {self.pk}"

    @property
    def is_pending(self) -> bool:
        return self.requested_at is not None and self.made_at is None


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
