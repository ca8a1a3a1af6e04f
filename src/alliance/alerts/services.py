"""Raising alerts and moving them through their lifecycle, each step audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.alerts.models import Alert, AlertKind, AlertStatus, NotificationStatus
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.lib.claims import CLAIM_TIMEOUT, worker_name
from alliance.mail import send_in_language
from alliance.webhooks.models import WebhookEvent
from alliance.webhooks.services import webhook_events_record

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.measures.models import Response

# How far back ``alert_notifications_resume`` looks for alert e-mails never sent.
RESUME_LOOKBACK = timedelta(days=2)


@dataclass(frozen=True)
class SentAgain:
    """Risk answers in a check-in sent again after it was stored: the tripped items (as
    ``Response.critical``), their answers (as ``Response.answers``) and when they came."""

    items: list[dict[str, Any]]
    answers: dict[str, Any]
    at: datetime


def alert_raise_for_risk(*, response: Response, sent_again: SentAgain | None = None) -> Alert:
    """A critical item tripped: an urgent alert, in the caller's transaction. The caller
    (``alliance.checkins.services``) queues the therapist's e-mail.

    ``sent_again``: the risk answer came in a copy of the check-in sent after ``response``
    was stored (a second tab), which stored nothing; the alert keeps, as codes and numbers,
    the tripped items and their answers, and when they were sent."""
    details: dict[str, object] = {
        "instrument_id": response.instrument_id,
        "instrument_version": response.instrument_version,
        "items": response.critical if sent_again is None else sent_again.items,
    }
    if sent_again is not None:
        details["sent_again_at"] = sent_again.at.isoformat()
        details["answers"] = sent_again.answers
    alert = Alert.objects.create(
        episode_id=response.episode_id,
        client_id=response.client_id,
        kind=AlertKind.RISK,
        response=response,
        details=details,
        created_at=response.submitted_at if sent_again is None else sent_again.at,
    )
    audit_record(
        actor=None,
        action=Action.ALERT_RAISED,
        client_id=response.client_id,
        target_type="alert",
        target_id=alert.pk,
    )
    webhook_events_record(WebhookEvent.ALERT_RAISED, [alert])
    return alert


def alert_notify(alert_id: int, now: datetime | None = None) -> bool:
    """E-mail the treating therapist — no health information, only "please sign in".

    Runs after the alert is committed; if sending fails the alert still stands, and the
    failure is recorded for the practice admin to see. Returns whether this call sent it.

    Claim, send, record: a conditional UPDATE from "pending" to "sending" (PostgreSQL
    re-checks it once the row lock is free; SQLite runs one writer at a time) lets exactly
    one of several workers send the e-mail, with no lock held while the mail server
    answers. A claim still "sending" after CLAIM_TIMEOUT is from a worker that died, and
    is taken again: at-least-once, so a worker killed after the mail server accepted the
    e-mail and before recording it means the therapist gets it twice; never none.
    """
    now = now or timezone.now()
    me = worker_name()
    claimed = (
        Alert.objects.filter(pk=alert_id)
        .filter(
            Q(notification=NotificationStatus.PENDING)
            | Q(
                notification=NotificationStatus.SENDING,
                notification_attempted_at__lt=now - CLAIM_TIMEOUT,
            )
        )
        .update(
            notification=NotificationStatus.SENDING,
            notification_attempted_at=now,
            notification_claimed_by=me,
        )
    )
    if not claimed:
        return False  # sent, being sent, failed, or not needed
    alert = Alert.objects.select_related("episode__therapist").get(pk=alert_id)
    therapist = alert.episode.therapist
    context: dict[str, Any] = {
        "practice_name": settings.PRACTICE_NAME,
        "name": therapist.preferred_name,
    }
    sent = send_in_language(
        address=therapist.email,
        language=therapist.language,
        subject=lambda: _("A client needs your attention"),
        body=lambda: render_to_string("alerts/email/attention.txt", context),
        what=f"alert {alert_id}",
    )
    status = NotificationStatus.SENT if sent else NotificationStatus.FAILED
    Alert.objects.filter(
        pk=alert_id,
        notification=NotificationStatus.SENDING,
        notification_claimed_by=me,
        notification_attempted_at=now,
    ).update(notification=status, notification_attempted_at=timezone.now())
    return sent


def alert_notifications_resume(now: datetime | None = None) -> int:
    """Send the alert e-mails still pending CLAIM_TIMEOUT after the alert was raised (their
    queued task was lost with a killed worker, or the queue is that far behind) and those
    left "sending" by a worker that died. The worker's periodic round calls this; a task
    that runs later finds the e-mail claimed and sends nothing. Alerts older than
    RESUME_LOOKBACK are left as they are: the therapist has long since seen them on the
    dashboard, and an upgrade must not send a backlog. Returns how many were sent."""
    now = now or timezone.now()
    stale = now - CLAIM_TIMEOUT
    waiting = (
        Alert.objects.filter(created_at__gte=now - RESUME_LOOKBACK)
        .filter(
            Q(notification=NotificationStatus.PENDING, created_at__lt=stale)
            | Q(notification=NotificationStatus.SENDING, notification_attempted_at__lt=stale)
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    )
    return sum(alert_notify(alert_id, now) for alert_id in list(waiting))


@transaction.atomic
def alert_acknowledge(
    *, actor: User, alert: Alert, note: str, context: AuditContext | None = None
) -> Alert:
    """Acknowledge an open alert with the clinician's note.

    Older open alerts of the same kind in the same episode are acknowledged with it, each
    audited, and point to it (``acknowledged_with``): answering the newest risk answer is
    answering the client's risk, and an older alert left open would keep the client
    "urgent" after the follow-up. A newer open alert is never acknowledged by answering an
    older one: it is news the clinician may not have read (README, "Clinical decisions").
    """
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError(_("This alert has already been acknowledged."))
    if not note.strip():
        raise ValidationError(_("Please write a note on what you did or will do."))
    now = timezone.now()
    alert.status = AlertStatus.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by = actor
    alert.acknowledgement_note = note.strip()
    alert.save(
        update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement_note"]
    )
    older = list(
        Alert.objects.select_for_update()
        .filter(
            episode_id=alert.episode_id,
            kind=alert.kind,
            status=AlertStatus.OPEN,
            created_at__lte=alert.created_at,
        )
        .exclude(pk=alert.pk)
        .order_by("created_at", "pk")
    )
    for earlier in older:
        earlier.status = AlertStatus.ACKNOWLEDGED
        earlier.acknowledged_at = now
        earlier.acknowledged_by = actor
        earlier.acknowledged_with = alert
        earlier.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledged_with"]
        )
    for acknowledged in (*older, alert):
        audit_record(
            actor=actor,
            action=Action.ALERT_ACKNOWLEDGED,
            client_id=acknowledged.client_id,
            target_type="alert",
            target_id=acknowledged.pk,
            context=context,
        )
    webhook_events_record(WebhookEvent.ALERT_ACKNOWLEDGED, (*older, alert))
    return alert


@transaction.atomic
def alert_resolve(
    *, actor: User, alert: Alert, note: str = "", context: AuditContext | None = None
) -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.status == AlertStatus.OPEN:
        raise ValidationError(_("Acknowledge the alert, with a note, before resolving it."))
    if alert.status == AlertStatus.RESOLVED:
        raise ValidationError(_("This alert is already resolved."))
    now = timezone.now()
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = now
    alert.resolved_by = actor
    alert.resolution_note = note.strip()
    alert.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    # Those acknowledged with this alert were answered by the same follow-up.
    together = list(
        Alert.objects.select_for_update().filter(
            acknowledged_with=alert, status=AlertStatus.ACKNOWLEDGED
        )
    )
    for earlier in together:
        earlier.status = AlertStatus.RESOLVED
        earlier.resolved_at = now
        earlier.resolved_by = actor
        earlier.save(update_fields=["status", "resolved_at", "resolved_by"])
    for resolved in (*together, alert):
        audit_record(
            actor=actor,
            action=Action.ALERT_RESOLVED,
            client_id=resolved.client_id,
            target_type="alert",
            target_id=resolved.pk,
            context=context,
        )
    webhook_events_record(WebhookEvent.ALERT_RESOLVED, (*together, alert))
    return alert
