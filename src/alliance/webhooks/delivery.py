"""Sending one webhook delivery: claim, POST, record; and the round that retries them.

Claim, send, record, as the alert e-mails are (``alliance.alerts.services.alert_notify``):
a conditional UPDATE takes a due delivery for this worker, so of several workers exactly
one sends it, with no lock held while the receiver answers. A claim still "sending" after
CLAIM_TIMEOUT is from a worker that died and is taken again: delivery is at-least-once,
and receivers tell repeats apart by the ``Alliance-Delivery`` header (the payload's id).

A refused or failed POST is tried again after BACKOFF[attempts - 1], and given up after the
last. Redirects are not followed and response bodies are not read. Logs name the delivery,
the webhook and the status code, nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import socket
import ssl
import time
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from alliance.lib import outbound
from alliance.lib.claims import CLAIM_TIMEOUT, worker_name
from alliance.webhooks.models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger("alliance.webhooks")

# After the first try fails, the next ones wait this long; after the last, it is given up.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT_SECONDS = 10.0
USER_AGENT = "Alliance-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Alliance-Signature`` header: HMAC-SHA-256 of ``"<t>.<body>"`` with the secret."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(payload: dict[str, object]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def _claimable(now: datetime) -> Q:
    return Q(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.FAILED),
        next_attempt_at__lte=now,
    ) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)


def delivery_attempt(delivery_id: str, now: datetime | None = None) -> bool:
    """Try one delivery if it is due and no other worker holds it. Returns whether this
    call delivered it."""
    now = now or timezone.now()
    me = worker_name()
    claimed = WebhookDelivery.objects.filter(
        _claimable(now), pk=delivery_id, attempts__lt=MAX_ATTEMPTS, webhook__active=True
    ).update(
        status=DeliveryStatus.SENDING,
        attempts=F("attempts") + 1,
        claimed_at=now,
        claimed_by=me,
    )
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    code = _post(delivery)
    ok = code is not None and 200 <= code < 300
    if ok:
        status, next_at = DeliveryStatus.DELIVERED, now
    elif delivery.attempts >= MAX_ATTEMPTS:
        status, next_at = DeliveryStatus.GIVEN_UP, now
    else:
        status, next_at = DeliveryStatus.FAILED, now + BACKOFF[delivery.attempts - 1]
    WebhookDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.SENDING, claimed_by=me, claimed_at=now
    ).update(
        status=status,
        next_attempt_at=next_at,
        last_status_code=code,
        delivered_at=timezone.now() if ok else None,
    )
    logger.info(
        "webhook delivery %s to webhook %s: %s (%s)",
        delivery.pk,
        delivery.webhook_id,
        code if code is not None else "no answer",
        status,
    )
    return ok


def _post(delivery: WebhookDelivery) -> int | None:
    """POST the payload; the status code, or None when the receiver could not be reached or
    its address is refused (``lib/outbound.py``: resolved once, checked, connected to)."""
    body = body_of(delivery.payload)
    parts = urlsplit(delivery.webhook.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = outbound.resolve_allowed(
            parts.hostname or "",
            port,
            private=settings.WEBHOOK_PRIVATE_NETWORKS,
            loopback=bool(settings.DEBUG or settings.TESTING),
        )
    except outbound.AddressRefused as refused:
        logger.warning(
            "webhook delivery %s to webhook %s: address refused (%s)",
            delivery.pk,
            delivery.webhook_id,
            refused,
        )
        return None
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Alliance-Delivery": str(delivery.pk),
        "Alliance-Signature": signature(delivery.webhook.secret, int(time.time()), body),
    }
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "",
            port,
            timeout=TIMEOUT_SECONDS,
            context=ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", port, timeout=TIMEOUT_SECONDS)
    # To the checked address, whatever the name resolves to now; TLS still verifies the
    # certificate and sends SNI for the name (``HTTPSConnection`` wraps with ``self.host``).
    connection._create_connection = partial(_connect_to, address)  # type: ignore[attr-defined]
    try:
        connection.request("POST", path, body=body, headers=headers)
        # The status only: the body is never read, a redirect never followed.
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _connect_to(
    address: str,
    _named: tuple[str, int],
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    return socket.create_connection((address, _named[1]), timeout, source_address)


def deliveries_due(now: datetime | None = None) -> dict[str, int]:
    """The worker's periodic round: retries whose time has come, deliveries whose task was
    lost (a worker killed after the commit) and claims left by a worker that died. Counts
    delivered, not delivered (tried again later or given up)."""
    now = now or timezone.now()
    # A dead worker's claim on its last attempt: no attempt is left to take it again.
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING,
        claimed_at__lt=now - CLAIM_TIMEOUT,
        attempts__gte=MAX_ATTEMPTS,
    ).update(status=DeliveryStatus.GIVEN_UP)
    due = (
        WebhookDelivery.objects.filter(_claimable(now), webhook__active=True)
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", flat=True)
    )
    counts = {"delivered": 0, "failed": 0}
    for delivery_id in list(due):
        counts["delivered" if delivery_attempt(str(delivery_id), now) else "failed"] += 1
    return counts
