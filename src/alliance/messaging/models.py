"""Secure messages: one thread per episode of care, between the client and the treating
therapist. A sent message is never changed or deleted (the queryset and the model refuse
it); what changes is only each participant's read marker."""

from __future__ import annotations

from datetime import time
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.care.models import Episode
from alliance.fields import EncryptedTextField
from alliance.messaging.hours import WeeklyHours

# Office hours a therapist has not set yet: weekdays, nine to five.
DEFAULT_HOURS = WeeklyHours(frozenset({0, 1, 2, 3, 4}), time(9, 0), time(17, 0))


class MessageKind(models.TextChoices):
    PERSON = "person", _("written by a person")
    AUTO_REPLY = "auto_reply", _("automatic reply")


class MessageQuerySet(models.QuerySet["Message"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("A sent message cannot be changed.")

    def delete(self) -> NoReturn:
        raise PermissionError("A sent message cannot be deleted.")

    def erase_at_clients_request(self) -> int:
        """The one sanctioned removal: erasing a client's whole record at their request
        (``alliance.records.erasure``); nothing else calls it."""
        deleted, _by_model = models.QuerySet.delete(self)
        return deleted


class Message(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(
        _("kind"), max_length=12, choices=MessageKind.choices, default=MessageKind.PERSON
    )
    # Empty only for an automatic reply, which nobody wrote personally.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages_sent",
    )
    body = EncryptedTextField(_("message"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["episode", "sent_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="person", sender__isnull=False)
                    | models.Q(kind="auto_reply", sender__isnull=True)
                ),
                name="message_sender_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in episode {self.episode_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("A sent message cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("A sent message cannot be deleted.")

    @property
    def is_automatic(self) -> bool:
        return self.kind == MessageKind.AUTO_REPLY


class ReadMarker(models.Model):
    """How far one participant has read one episode's thread."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_read_message = models.ForeignKey(
        Message, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "user"], name="read_marker_unique"),
        ]

    def __str__(self) -> str:
        return f"Read marker of user {self.user_id} in episode {self.episode_id}"


class MessageNotice(models.Model):
    """When a person was last e-mailed about new messages in a thread (the throttle), and
    a notice still owed to them: ``waiting_since`` is set in the same transaction as the
    message, so a notice whose task was lost with a killed worker is still known, and
    ``sending_since`` marks one claimed but not yet known to be sent (a worker that dies
    mid-send leaves it set; ``alliance.messaging.tasks.message_notices_resume``)."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_sent_at = models.DateTimeField(null=True, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True, default="")
    # The site's address for the notice's link, as the sender reached it (no health data).
    link = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "user"], name="message_notice_unique"),
        ]

    def __str__(self) -> str:
        return f"Message notices to user {self.user_id} in episode {self.episode_id}"


class OfficeHours(models.Model):
    """A therapist's weekly office hours (practice time zone) and out-of-hours reply."""

    therapist = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="office_hours"
    )
    # Weekday numbers, Monday = 0.
    days = models.JSONField(_("days"), default=list)
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("to"))
    # Empty: the standard reply, written in the client's own language.
    auto_reply = EncryptedTextField(_("automatic reply"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("office hours")
        verbose_name_plural = _("office hours")

    def __str__(self) -> str:
        return f"Office hours of user {self.therapist_id}"

    @property
    def weekly(self) -> WeeklyHours:
        return WeeklyHours(frozenset(int(d) for d in self.days), self.starts_at, self.ends_at)
