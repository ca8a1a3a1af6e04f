"""`alliance webhook add | list | remove | test`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from alliance.audit.models import Action, AuditEvent
from alliance.webhooks.delivery import deliveries_due
from alliance.webhooks.models import Webhook, WebhookDelivery
from tests.conftest import Cast
from tests.webhooks.receiver import receiver


def _run(*args: str) -> str:
    out = StringIO()
    call_command("webhook", *args, stdout=out)
    return out.getvalue()


def test_add_prints_the_secret_once_alone_on_the_last_line(cast: Cast) -> None:
    out = _run(
        "add", "Pager", "--url", "https://example.test/h",
        "--events", "alert.raised,alert.acknowledged",
    )  # fmt: skip
    secret = out.strip().splitlines()[-1]
    webhook = Webhook.objects.get()
    assert secret == webhook.secret
    assert secret.startswith("whsec_")
    assert webhook.events == ["alert.acknowledged", "alert.raised"]
    assert secret not in _run("list")
    assert AuditEvent.objects.filter(action=Action.WEBHOOK_ADDED, target_id=webhook.pk).exists()


def test_add_refuses_plain_http(cast: Cast) -> None:
    with pytest.raises(CommandError, match="https"):
        _run("add", "Pager", "--url", "http://example.test/h")
    assert not Webhook.objects.exists()


def test_test_sends_a_ping_and_list_shows_how_it_went(cast: Cast) -> None:
    with receiver() as state:
        state.secret = _run("add", "Pager", "--url", state.url).strip().splitlines()[-1]
        webhook = Webhook.objects.get()
        assert "no deliveries yet" in _run("list")
        _run("test", str(webhook.pk))
        deliveries_due()
    assert len(state.received) == 1
    ping = state.received[0]
    assert ping.signature_ok
    assert ping.payload["type"] == "ping"
    assert ping.payload["data"] == {"webhook_id": webhook.pk}
    assert "last: delivered (HTTP 200)" in _run("list")


def test_remove(cast: Cast) -> None:
    _run("add", "Pager", "--url", "https://example.test/h")
    webhook = Webhook.objects.get()
    _run("test", str(webhook.pk))
    assert "is removed" in _run("remove", str(webhook.pk))
    assert not Webhook.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action=Action.WEBHOOK_REMOVED, target_id=webhook.pk).exists()
    with pytest.raises(CommandError):
        _run("remove", str(webhook.pk))
