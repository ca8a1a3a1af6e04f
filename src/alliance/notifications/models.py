"""A log of the reminders sent, so that each session or check-in is reminded once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    SESSION = "session", _("Session")
    CHECKIN = "checkin", _("Check-in")


class ReminderStatus(models.TextChoices):
    # Claimed by a worker and being sent: no other worker sends it too.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")


class ReminderSent(models.Model):
    """One reminder about one session or one check-in (administration).

    Only ids: what the session or check-in was about never appears here.
    """

    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    # The Session's id (kind "session") or the Administration's id (kind "checkin").
    object_id = models.PositiveBigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When it was last attempted (sent, or failed).
    sent_at = models.DateTimeField(default=timezone.now)
    # Which worker (host:pid) claimed it last, and when: a claim still "sending" after
    # ``alliance.notifications.tasks.CLAIM_TIMEOUT`` is from a worker that died, and is
    # claimed again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="one_reminder_per_object"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["session", "checkin"]), name="reminder_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["sending", "sent", "failed"]),
                name="reminder_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.kind} {self.object_id} ({self.status})"
