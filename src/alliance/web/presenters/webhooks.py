"""The practice admin's webhooks page: each webhook with its last delivery, in words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alliance.webhooks.models import DeliveryStatus, Webhook
from alliance.webhooks.selectors import deliveries_recent, webhooks_with_last_status


@dataclass
class WebhookRow:
    webhook: Webhook
    last_label: str
    last_code: int | None


def webhooks_page(form: Any, secret: str | None) -> dict[str, Any]:
    rows = []
    for webhook in webhooks_with_last_status():
        last = getattr(webhook, "last_status", None)
        label = str(DeliveryStatus(last).label) if last else ""
        rows.append(WebhookRow(webhook, label, getattr(webhook, "last_code", None)))
    return {"form": form, "secret": secret, "rows": rows, "deliveries": deliveries_recent()}
