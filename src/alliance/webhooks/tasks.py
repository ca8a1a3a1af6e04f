"""Webhook tasks run by `alliance worker`."""

from __future__ import annotations

from django_tasks import task

from alliance.webhooks.delivery import deliveries_due, delivery_attempt


@task()
def send_webhook(delivery_id: str) -> bool:
    """One delivery's first try, queued when its event commits."""
    return delivery_attempt(delivery_id)


@task()
def send_due_webhooks() -> dict[str, int]:
    """Retries whose time has come, and deliveries whose task was lost."""
    return deliveries_due()
