"""Between-session exercises: an assignment by the treating therapist, entries by the client.

An entry's answers are encrypted at rest. The client decides, per entry, whether their
therapist reads it, and whether the therapist's supervisor does too; the therapist (and
supervisor) always see that an entry exists (and when), never the content of one not
shared with them (``alliance.care.access``, exercises section).
Nothing here is hard-deleted: an assignment that no longer fits is withdrawn.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.care.access import Sharing
from alliance.exercises.catalogue import ExerciseType
from alliance.fields import EncryptedJSONField, EncryptedTextField


class Assignment(models.Model):
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="exercise_assignments"
    )
    exercise_type = models.CharField(_("exercise"), max_length=60, choices=ExerciseType.choices)
    # The form's version when assigned; entries record the version they were written with.
    instrument_version = models.CharField(max_length=60)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField(_("due by"), null=True, blank=True)
    note = EncryptedTextField(_("note for the client"), blank=True)
    # Optionally, the agreed goal of the treatment plan this exercise works towards.
    goal = models.ForeignKey(
        "plans.Goal",
        verbose_name=_("goal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exercise_assignments",
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-assigned_at", "-pk"]
        indexes = [models.Index(fields=["episode", "withdrawn_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(exercise_type__in=ExerciseType.values),
                name="exercise_assignment_type_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                    | models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                ),
                name="exercise_assignment_withdrawn_by_matches",
            ),
        ]

    # Annotated by ``selectors.assignments_of``.
    entry_count: int
    shared_count: int

    def __str__(self) -> str:
        return f"Exercise assignment {self.pk} ({self.exercise_type})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Entry(models.Model):
    """One time the client did the exercise (a daily log is several entries)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="entries")
    # Kept beside the assignment so that access goes through the episode like everything else.
    episode = models.ForeignKey(
        "care.Episode", on_delete=models.PROTECT, related_name="exercise_entries"
    )
    instrument_id = models.CharField(max_length=120)
    instrument_version = models.CharField(max_length=60)
    # Every answer (text, choices, ratings) by linkId, encrypted.
    answers = EncryptedJSONField()
    shared = models.BooleanField(_("share with my therapist"))
    # Only together with ``shared`` (``alliance.care.access.Sharing``).
    shared_with_supervisor = models.BooleanField(
        _("also share with my therapist's supervisor"), default=False
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(default=timezone.now)
    sharing_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-completed_at", "-pk"]
        indexes = [models.Index(fields=["episode", "shared"])]
        verbose_name_plural = "entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(shared=True) | models.Q(shared_with_supervisor=False),
                name="exercise_entry_supervisor_only_with_therapist",
            )
        ]

    def __str__(self) -> str:
        return f"Exercise entry {self.pk}"

    @property
    def sharing(self) -> Sharing:
        return Sharing.of(therapist=self.shared, supervisor=self.shared_with_supervisor)
