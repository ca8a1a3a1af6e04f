"""After a session, two writings kept apart.

- The therapist's **private note** (process notes; "psychotherapy notes" in the meaning
  of 45 CFR 164.501): read only by its author and the episode's supervisor, never part
  of the client's record copy, never shown on a client's page.
- The **shared summary**, in plain words, which the client reads once it is signed.

Both are drafts until the therapist signs them; a signed text never changes. What the
therapist adds later is a dated addendum: appended, numbered, never rewritten. So every
version is kept: the signed text, then each addendum in order.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.fields import EncryptedTextField

# Long enough for a full note; short enough that a pasted document is refused in words.
MAX_NOTE_CHARS = 20000
MAX_SUMMARY_PART_CHARS = 4000
MAX_ADDENDUM_CHARS = 4000


class Signed(models.Model):
    """What a note and a summary share: the author, and when it was signed (None: a draft)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class Appended(models.Model):
    """An addendum: written once, never rewritten."""

    number = models.PositiveIntegerField()
    text = EncryptedTextField(_("addendum"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An addendum is a dated record of what was added: it is never rewritten.
        if not self._state.adding:
            raise PermissionError("Addenda are append-only.")
        super().save(*args, **kwargs)


class PrivateNote(Signed):
    session = models.OneToOneField(
        "care.Session", on_delete=models.PROTECT, related_name="private_note"
    )
    text = EncryptedTextField(_("private note"), blank=True)

    class Meta:
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")

    def __str__(self) -> str:
        return f"Private note {self.pk}"


class PrivateNoteAddendum(Appended):
    note = models.ForeignKey(PrivateNote, on_delete=models.PROTECT, related_name="addenda")

    class Meta:
        ordering = ["note", "number"]
        verbose_name = _("private note addendum")
        verbose_name_plural = _("private note addenda")
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="note_addendum_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="note_addendum_min"),
        ]

    def __str__(self) -> str:
        return f"Addendum {self.number} to private note {self.note_id}"


class SessionSummary(Signed):
    session = models.OneToOneField("care.Session", on_delete=models.PROTECT, related_name="summary")
    discussed = EncryptedTextField(_("what we talked about"), blank=True)
    decided = EncryptedTextField(_("what we decided together"), blank=True)
    client_will = EncryptedTextField(_("what you will do"), blank=True)
    therapist_will = EncryptedTextField(
        _("what your therapist will do before next time"), blank=True
    )
    goals = models.ManyToManyField("plans.Goal", blank=True, related_name="+")
    assignments = models.ManyToManyField("exercises.Assignment", blank=True, related_name="+")
    # When the client first opened it once signed: until then the portal says a new one waits.
    client_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("session summary")
        verbose_name_plural = _("session summaries")

    def __str__(self) -> str:
        return f"Session summary {self.pk}"


class SummaryAddendum(Appended):
    summary = models.ForeignKey(SessionSummary, on_delete=models.PROTECT, related_name="addenda")

    class Meta:
        ordering = ["summary", "number"]
        verbose_name = _("session summary addendum")
        verbose_name_plural = _("session summary addenda")
        constraints = [
            models.UniqueConstraint(fields=["summary", "number"], name="summary_addendum_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="summary_addendum_min"),
        ]

    def __str__(self) -> str:
        return f"Addendum {self.number} to session summary {self.summary_id}"


MAX_REPLY_CHARS = 2000
MAX_REPLY_ANSWER_CHARS = 1000


class Recognised(models.TextChoices):
    """The client's answer to "Is this how you remember it?"."""

    YES = "yes", _("Yes")
    PARTLY = "partly", _("Partly")
    NO = "no", _("No")


class SummaryReply(models.Model):
    """The client's reply to a signed summary: one per summary. The client may change it
    until their therapist has answered it; the therapist answers it once."""

    summary = models.OneToOneField(SessionSummary, on_delete=models.PROTECT, related_name="reply")
    recognised = models.CharField(max_length=8, choices=Recognised.choices)
    text = EncryptedTextField(_("reply"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    answer = EncryptedTextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reply to a session summary")
        verbose_name_plural = _("replies to session summaries")

    def __str__(self) -> str:
        return f"Reply to session summary {self.summary_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_a_signal(self) -> bool:
        """Partly or no: the summary is not quite how the client remembers the session."""
        return self.recognised in (Recognised.PARTLY, Recognised.NO)


def reply_of(summary: SessionSummary) -> SummaryReply | None:
    """The summary's reply, if the client replied (without a query when it was joined)."""
    try:
        return summary.reply
    except SummaryReply.DoesNotExist:
        return None
