"""The shared treatment plan: goals in the client's own words, agreed by both, rated over time.

Nothing here is ever hard-deleted: a change of wording is a new version, a goal that no
longer fits is set aside, and every rating is kept.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.fields import EncryptedTextField

# Goal-based outcomes (GBOs): the client rates how far they have moved towards each goal
# on a 0-10 scale, 0 = not at all towards the goal, 10 = goal reached.
# Law, D. & Jacob, J. (2015). Goals and Goal Based Outcomes (GBOs): some useful
# information (3rd ed.). London: CAMHS Press.
GBO_MIN = 0
GBO_MAX = 10


class GoalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for agreement")
    ACTIVE = "active", _("Agreed")
    ACHIEVED = "achieved", _("Achieved")
    SET_ASIDE = "set_aside", _("Set aside")


class Side(models.TextChoices):
    """The two people who write the plan together."""

    CLIENT = "client", _("Client")
    THERAPIST = "therapist", _("Therapist")


class Plan(models.Model):
    """One per episode: the review date and, through its versions, the plan's summary."""

    episode = models.OneToOneField("care.Episode", on_delete=models.PROTECT, related_name="plan")
    review_on = models.DateField(null=True, blank=True)
    review_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Plan for episode {self.episode_id}"

    @property
    def current_summary(self) -> str:
        versions = list(self.summary_versions.all())
        return versions[-1].text if versions else ""

    def review_overdue(self, today: date) -> bool:
        return self.review_on is not None and self.review_on < today


class PlanSummaryVersion(models.Model):
    """What we are working towards and how; every wording is kept."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="summary_versions")
    text = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Summary version {self.pk} of plan {self.plan_id}"


class Goal(models.Model):
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="goals")
    status = models.CharField(
        max_length=12, choices=GoalStatus.choices, default=GoalStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # While proposed: whose agreement the latest wording is waiting for.
    waiting_for = models.CharField(max_length=10, choices=Side.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the goal is achieved or set aside (status says which).
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["episode", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "active", "achieved", "set_aside"]),
                name="goal_status_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="proposed", waiting_for__in=["client", "therapist"])
                    | (~models.Q(status="proposed") & models.Q(waiting_for=""))
                ),
                name="goal_waiting_for_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Goal {self.pk} of episode {self.episode_id}"

    @property
    def latest_version(self) -> GoalVersion | None:
        # Uses a prefetch of ``versions`` when there is one (Meta ordering: oldest first).
        versions = list(self.versions.all())
        return versions[-1] if versions else None

    @property
    def current_text(self) -> str:
        """The decrypted wording of the latest version."""
        latest = self.latest_version
        return latest.text if latest is not None else ""

    @property
    def is_open(self) -> bool:
        return self.status in (GoalStatus.PROPOSED, GoalStatus.ACTIVE)


class GoalVersion(models.Model):
    """One wording of a goal, with who wrote it and, once agreed, who agreed it."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="versions")
    text = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agreed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Version {self.pk} of goal {self.goal_id}"


class GoalRating(models.Model):
    """The client's rating of progress towards one goal (GBO scale, see GBO_MIN and GBO_MAX)."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="ratings")
    score = models.PositiveSmallIntegerField()
    rated_at = models.DateTimeField(default=timezone.now)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The check-in this rating was given with, if any.
    response = models.ForeignKey(
        "measures.Response",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="goal_ratings",
    )

    class Meta:
        ordering = ["rated_at", "pk"]
        indexes = [models.Index(fields=["goal", "rated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=GBO_MIN, score__lte=GBO_MAX),
                name="goal_rating_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Rating {self.pk} of goal {self.goal_id}"
