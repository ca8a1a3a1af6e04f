"""Treatment preferences (every version kept), agenda items and the cultural profile.

Each belongs to an episode of care, so that the access policy reaches it the way it
reaches everything else in a client's record, and "my therapist" means the therapist of
that episode.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.care.access import Sharing
from alliance.care.models import Episode, Session
from alliance.fields import EncryptedTextField

AGENDA_TEXT_MAX = 500


class TreatmentPreferences(models.Model):
    """One saved version of what the client wants from therapy and how; never edited."""

    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, related_name="preference_versions"
    )
    version = models.PositiveIntegerField()
    # item code -> "left" | "between" | "right" | "none" (codes only: nothing written here).
    answers = models.JSONField(default=dict, blank=True)
    hopes = EncryptedTextField(_("what the client hopes to get from therapy"), blank=True)
    working_together = EncryptedTextField(
        _("how the client would like to work together"), blank=True
    )
    # Who reads this version besides the client (``alliance.care.access.Sharing``): their
    # therapist, and also the therapist's supervisor, as the client chose when saving it.
    shared = models.BooleanField(_("shared with my therapist"))
    shared_with_supervisor = models.BooleanField(
        _("also shared with my therapist's supervisor"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["episode", "-version"]
        verbose_name = _("treatment preferences")
        verbose_name_plural = _("treatment preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "version"], name="preferences_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="preferences_version_min"
            ),
            models.CheckConstraint(
                condition=models.Q(shared=True) | models.Q(shared_with_supervisor=False),
                name="preferences_supervisor_only_with_therapist",
            ),
        ]

    def __str__(self) -> str:
        return f"Preferences v{self.version} of episode {self.episode_id}"

    @property
    def sharing(self) -> Sharing:
        return Sharing.of(therapist=self.shared, supervisor=self.shared_with_supervisor)


class AgendaStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the session")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISCUSSED = "discussed", _("Talked about")


class AgendaItem(models.Model):
    """Something the client would like to talk about in a session."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="agenda_items")
    # The next session booked when the item was added; empty means "your next session".
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="agenda_items"
    )
    text = EncryptedTextField(_("what to talk about"))
    status = models.CharField(
        max_length=10, choices=AgendaStatus.choices, default=AgendaStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["episode", "created_at", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "withdrawn", "discussed"]),
                name="agenda_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", closed_at__isnull=True)
                    | (~models.Q(status="open") & models.Q(closed_at__isnull=False))
                ),
                name="agenda_closed_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Agenda item {self.pk} of episode {self.episode_id}"

    @property
    def is_open(self) -> bool:
        return self.status == AgendaStatus.OPEN


def _supervisor_only_with_therapist(code: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(**{f"{code}_shared": True})
        | models.Q(**{f"{code}_shared_supervisor": False}),
        name=f"cultural_{code}_supervisor_only_with_therapist",
    )


class CulturalProfile(models.Model):
    """The client's cultural profile for one episode, part by part, each shared or not.

    One row, updated in place (unlike preferences): this is the client's own account of
    who they are, and when they take something out it should be gone, not kept in an
    older version. Every part is private to the client until they choose who reads it:
    ``<part>_shared`` is their therapist, ``<part>_shared_supervisor`` also the
    therapist's supervisor (``alliance.care.access.Sharing``).
    """

    episode = models.OneToOneField(
        Episode, on_delete=models.PROTECT, related_name="cultural_profile"
    )
    background = EncryptedTextField(_("how I describe my background or identity"), blank=True)
    background_shared = models.BooleanField(default=False)
    background_shared_supervisor = models.BooleanField(default=False)
    beliefs = EncryptedTextField(_("beliefs, faith or values that matter to my care"), blank=True)
    beliefs_shared = models.BooleanField(default=False)
    beliefs_shared_supervisor = models.BooleanField(default=False)
    family = EncryptedTextField(_("family and community"), blank=True)
    family_shared = models.BooleanField(default=False)
    family_shared_supervisor = models.BooleanField(default=False)
    understand = EncryptedTextField(
        _("what I'd like my therapist to understand about me"), blank=True
    )
    understand_shared = models.BooleanField(default=False)
    understand_shared_supervisor = models.BooleanField(default=False)
    languages = EncryptedTextField(_("languages I'm most comfortable in"), blank=True)
    languages_shared = models.BooleanField(default=False)
    languages_shared_supervisor = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cultural profile")
        verbose_name_plural = _("cultural profiles")
        constraints = [
            _supervisor_only_with_therapist(code)
            for code in ("background", "beliefs", "family", "understand", "languages")
        ]

    def __str__(self) -> str:
        return f"Cultural profile of episode {self.episode_id}"

    def text_of(self, code: str) -> str:
        return str(getattr(self, code))

    def is_shared(self, code: str) -> bool:
        """Shared with the therapist (the supervisor may read it too: ``sharing_of``)."""
        return bool(getattr(self, f"{code}_shared"))

    def sharing_of(self, code: str) -> Sharing:
        return Sharing.of(
            therapist=self.is_shared(code),
            supervisor=bool(getattr(self, f"{code}_shared_supervisor")),
        )

    def set_sharing(self, code: str, sharing: Sharing) -> None:
        setattr(self, f"{code}_shared", sharing.with_therapist)
        setattr(self, f"{code}_shared_supervisor", sharing.with_supervisor)
