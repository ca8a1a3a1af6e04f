"""Alert webhooks: addresses a practice registers, and each event's delivery to them.

A delivery row is written in the transaction that raised, acknowledged or resolved the
alert, so an event is never lost with a worker; its payload holds ids and codes only
(README, "Webhooks"). The signing secret is stored encrypted and shown once, when made.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.fields import EncryptedTextField


class WebhookEvent(models.TextChoices):
    ALERT_RAISED = "alert.raised", _("an alert was raised")
    ALERT_ACKNOWLEDGED = "alert.acknowledged", _("an alert was acknowledged")
    ALERT_RESOLVED = "alert.resolved", _("an alert was resolved")


# Sent by `alliance webhook test` and the page's "Send a test": no alert behind it.
PING = "ping"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("being sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed, will be tried again")
    GIVEN_UP = "given_up", _("given up")


class Webhook(models.Model):
    name = EncryptedTextField(_("name"))
    url = models.URLField(_("address"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"webhook {self.pk}"


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    alert_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"delivery {self.id}"
