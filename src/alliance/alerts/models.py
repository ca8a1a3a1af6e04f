"""Alerts that reach the therapist, and their lifecycle: open → acknowledged → resolved."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.fields import EncryptedTextField


class AlertKind(models.TextChoices):
    RISK = "risk", _("Risk")
    NOT_ON_TRACK = "not_on_track", _("Not on track")
    RUPTURE = "rupture", _("Alliance rupture")
    DISENGAGEMENT = "disengagement", _("Disengagement")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Claimed by a worker and being sent (``alliance.alerts.services.alert_notify``).
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")
    NONE = "none", _("Not needed")


class Alert(models.Model):
    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="alerts")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    response = models.ForeignKey(
        "measures.Response", on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    # What raised it, as data (instrument, item, value…), rendered for the clinician.
    details = models.JSONField(default=dict)
    # What the rules found, as codes with their numbers (``alliance.web.findings`` turns
    # each into a sentence in the reader's language).
    findings = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=AlertStatus.choices, default="open")
    created_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement_note = EncryptedTextField(blank=True)
    # Set on an older open alert of the same kind acknowledged (and later resolved) together
    # with a newer one: the clinician answered the newer, which stands for both
    # (``alert_acknowledge``; README, "Clinical decisions").
    # SET_NULL: an erasure deletes a client's alerts together, and PROTECT would refuse.
    acknowledged_with = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolution_note = EncryptedTextField(blank=True)
    notification = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default="pending"
    )
    # When the e-mail was claimed (while "sending") or last attempted, and which worker
    # (host:pid) claimed it.
    notification_attempted_at = models.DateTimeField(null=True, blank=True)
    notification_claimed_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["episode", "status"]),
            # The caseload's need flags, one probe per episode and kind: only open alerts,
            # a small index however long the practice's history (issue 16).
            models.Index(
                fields=["episode", "kind"],
                condition=models.Q(status=AlertStatus.OPEN),
                name="alert_open_by_kind",
            ),
            # The alert-accuracy audit reads the not-on-track alerts of closed episodes.
            models.Index(
                fields=["episode"],
                condition=models.Q(kind=AlertKind.NOT_ON_TRACK),
                name="alert_not_on_track",
            ),
        ]

    def __str__(self) -> str:
        return f"Alert {self.pk} ({self.kind})"

    @property
    def is_urgent(self) -> bool:
        return self.kind == AlertKind.RISK and self.status == AlertStatus.OPEN


class PracticeTrajectory(models.Model):
    """Expected-trajectory curves fitted from this practice's own closed episodes."""

    instrument_id = models.CharField(max_length=120)
    fitted_at = models.DateTimeField(default=timezone.now)
    episodes = models.PositiveIntegerField()
    # The fitted parameters (``FittedModel.as_dict()``); no client data.
    parameters = models.JSONField()

    class Meta:
        ordering = ["-fitted_at"]
        get_latest_by = "fitted_at"

    def __str__(self) -> str:
        return f"{self.instrument_id} curves fitted {self.fitted_at:%Y-%m-%d}"


class ScoreSummary(models.Model):
    """Per episode and instrument, the first and the latest scored response and a running
    count and sum, kept current by ``response_submit`` in the response's own transaction.

    The practice report reads these (about one row per episode and instrument) instead of
    ordering every response. Holds numbers and ids only; ``summary_rebuild`` in
    ``alliance.alerts.reports`` recomputes it from the responses and ``summary_drift``
    checks it.
    """

    episode = models.ForeignKey("care.Episode", on_delete=models.PROTECT, related_name="+")
    instrument_id = models.CharField(max_length=120)
    # "First" and "latest" order by (submitted_at, response id), as the report always has.
    first_response = models.ForeignKey(
        "measures.Response", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    first_at = models.DateTimeField()
    first_total = models.FloatField()
    latest_response = models.ForeignKey(
        "measures.Response", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    latest_at = models.DateTimeField()
    latest_total = models.FloatField()
    # Responses with a total, and the sum of those totals (for averages).
    scores = models.PositiveIntegerField()
    total_sum = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "instrument_id"], name="one_score_summary_per_episode_instrument"
            )
        ]

    def __str__(self) -> str:
        return f"Scores of episode {self.episode_id} on {self.instrument_id}"


class ReportSnapshot(models.Model):
    """A practice-wide report's figures, worked out over the whole practice and kept, so its
    page reads one row and one page of rows instead of aggregating every episode at each
    visit (issue 16).

    ``alliance.alerts.snapshots`` works them out again when they are older than
    ``SNAPSHOT_MAX_AGE``: the worker's round does, and a page that finds them older does so
    itself first. ``data`` holds what the whole practice shows (totals, the completion
    rate); a report with a row per therapist keeps those rows in ``ReportSnapshotRow``,
    tagged with the ``generation`` that wrote them. Counts, rates and therapists' names
    only; no client.
    """

    name = models.CharField(max_length=60, unique=True)
    computed_at = models.DateTimeField()
    # Raised by one at each refresh, which replaces the rows in the same transaction.
    generation = models.PositiveIntegerField(default=0)
    data = models.JSONField()

    def __str__(self) -> str:
        return f"{self.name} as of {self.computed_at:%Y-%m-%d %H:%M}"


class ReportSnapshotRow(models.Model):
    """One therapist's row of a kept report, at its place in the report's order (by name)."""

    snapshot = models.ForeignKey(ReportSnapshot, on_delete=models.CASCADE, related_name="rows")
    generation = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    data = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "generation", "position"], name="one_report_row_per_place"
            )
        ]

    def __str__(self) -> str:
        return f"Row {self.position} of {self.snapshot_id}"
