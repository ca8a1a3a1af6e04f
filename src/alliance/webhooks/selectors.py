"""What the practice admin's page and `alliance webhook list` show: ids, codes, counts."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from alliance.webhooks.models import Webhook, WebhookDelivery

RECENT = 50


def webhooks_with_last_status() -> QuerySet[Webhook]:
    last = WebhookDelivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at")
    return Webhook.objects.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_code=Subquery(last.values("last_status_code")[:1]),
    ).order_by("pk")


def deliveries_recent(limit: int = RECENT) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.select_related("webhook").order_by("-created_at")[:limit])
