"""Registering webhooks, and recording alert events for them in the caller's transaction."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.lib import outbound
from alliance.webhooks.models import PING, Webhook, WebhookDelivery, WebhookEvent
from alliance.webhooks.tasks import send_webhook

if TYPE_CHECKING:
    from alliance.accounts.models import User


class AlertLike(Protocol):
    """What an event says of an alert: ids and codes (``alliance.alerts.models.Alert``)."""

    pk: int
    episode_id: int
    kind: str
    status: str


def _may_reach_this_machine() -> bool:
    return bool(settings.DEBUG or settings.TESTING)


def webhook_url_check(url: str) -> str:
    """An https address; plain http only to this machine, and only in development or tests.
    A host written as an address must be one the worker may reach (``lib/outbound.py``);
    a name is checked when it is resolved, at each delivery."""
    url = url.strip()
    URLValidator(schemes=["https", "http"])(url)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    address = outbound.literal_address(host)
    this_machine = host == "localhost" or (address is not None and address.is_loopback)
    if this_machine and not _may_reach_this_machine():
        raise ValidationError(_("The address must not be this server itself."))
    if address is not None and not outbound.address_allowed(
        address,
        private=settings.WEBHOOK_PRIVATE_NETWORKS,
        loopback=_may_reach_this_machine(),
    ):
        raise ValidationError(
            _(
                "The address must be on the internet: private, link-local and reserved "
                "networks are refused unless the practice allows its private networks."
            )
        )
    if parts.scheme.lower() == "https" or this_machine:
        return url
    raise ValidationError(_("The address must start with https://."))


def webhook_events_check(events: Iterable[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen:
        raise ValidationError(_("Choose at least one event."))
    unknown = set(chosen) - set(WebhookEvent.values)
    if unknown:
        raise ValidationError(_("Unknown event: %(event)s.") % {"event": ", ".join(unknown)})
    return chosen


@transaction.atomic
def webhook_create(
    *,
    actor: User | None,
    name: str,
    url: str,
    events: Iterable[str],
    context: AuditContext | None = None,
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret, which is shown only now (stored encrypted)."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the webhook a name."))
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(
        name=name[:200],
        url=webhook_url_check(url),
        events=webhook_events_check(events),
        secret=secret,
    )
    audit_record(
        actor=actor,
        action=Action.WEBHOOK_ADDED,
        target_type="webhook",
        target_id=webhook.pk,
        context=context,
    )
    return webhook, secret


@transaction.atomic
def webhook_remove(
    *, actor: User | None, webhook: Webhook, context: AuditContext | None = None
) -> None:
    """The webhook goes, with its deliveries (those not yet sent are not sent)."""
    webhook_id = webhook.pk
    webhook.delete()
    audit_record(
        actor=actor,
        action=Action.WEBHOOK_REMOVED,
        target_type="webhook",
        target_id=webhook_id,
        context=context,
    )


def _payload(delivery: WebhookDelivery, event: str, data: dict[str, object]) -> dict[str, object]:
    return {
        "id": str(delivery.pk),
        "type": event,
        "created": delivery.created_at.isoformat(),
        "data": data,
    }


def _queue(deliveries: list[WebhookDelivery]) -> None:
    """Each delivery's first try once the caller commits. Were the task lost (a worker
    killed), the row is still there and the worker's round sends it (send_due_webhooks)."""
    for delivery in deliveries:
        transaction.on_commit(partial(send_webhook.enqueue, str(delivery.pk)), robust=True)


def webhook_events_record(event: WebhookEvent, alerts: Iterable[AlertLike]) -> int:
    """A delivery per alert and active webhook that wants ``event``, written in the
    caller's transaction (so the event commits, or is lost, with the alert's change).
    The payload holds ids and codes only: no name, score, answer or note."""
    webhooks = [w for w in Webhook.objects.filter(active=True) if event in w.events]
    if not webhooks:
        return 0
    now = timezone.now()
    made = []
    for alert in alerts:
        data: dict[str, object] = {
            "alert_id": alert.pk,
            "episode_id": alert.episode_id,
            "kind": str(alert.kind),
            "status": str(alert.status),
        }
        for webhook in webhooks:
            delivery = WebhookDelivery(webhook=webhook, event=event, alert_id=alert.pk)
            delivery.created_at = delivery.next_attempt_at = now
            delivery.payload = _payload(delivery, event, data)
            made.append(delivery)
    WebhookDelivery.objects.bulk_create(made)
    _queue(made)
    return len(made)


@transaction.atomic
def webhook_ping(webhook: Webhook) -> WebhookDelivery:
    """A test event, with no alert behind it, to check the receiver and its signature check."""
    now = timezone.now()
    delivery = WebhookDelivery(webhook=webhook, event=PING, created_at=now, next_attempt_at=now)
    delivery.payload = _payload(delivery, PING, {"webhook_id": webhook.pk})
    delivery.save()
    _queue([delivery])
    return delivery
