"""The practice admin's webhooks page: add (secret shown once), list, test, remove."""

from __future__ import annotations

from django.urls import reverse

from alliance.audit.models import Action, AuditEvent
from alliance.webhooks.models import Webhook, WebhookDelivery
from tests.conftest import Cast, signed_in


def test_the_admin_adds_a_webhook_and_sees_its_secret_once(cast: Cast) -> None:
    admin = signed_in(cast.ada)
    response = admin.post(
        reverse("webhooks"),
        {
            "name": "Pager",
            "url": "https://pager.example.test/in",
            "events": ["alert.raised", "alert.resolved"],
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    webhook = Webhook.objects.get()
    assert webhook.events == ["alert.raised", "alert.resolved"]
    assert webhook.secret in response.content.decode()
    assert AuditEvent.objects.filter(
        action=Action.WEBHOOK_ADDED, actor_id=cast.ada.pk, target_id=webhook.pk
    ).exists()
    again = admin.get(reverse("webhooks")).content.decode()
    assert "pager.example.test" in again
    assert webhook.secret not in again


def test_plain_http_is_refused_on_the_page(cast: Cast) -> None:
    response = signed_in(cast.ada).post(
        reverse("webhooks"),
        {"name": "Pager", "url": "http://pager.example.test/in", "events": ["alert.raised"]},
    )
    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert not Webhook.objects.exists()


def test_test_and_remove(cast: Cast) -> None:
    admin = signed_in(cast.ada)
    admin.post(
        reverse("webhooks"),
        {"name": "Pager", "url": "https://pager.example.test/in", "events": ["alert.raised"]},
    )
    webhook = Webhook.objects.get()
    assert admin.post(reverse("webhook_test", args=[webhook.pk])).status_code == 302
    delivery = WebhookDelivery.objects.get()
    page = admin.get(reverse("webhooks")).content.decode()
    assert "ping" in page
    assert str(delivery.pk) not in page  # no payload shown, not even its id
    assert admin.post(reverse("webhook_remove", args=[webhook.pk])).status_code == 302
    assert not Webhook.objects.exists()
    assert AuditEvent.objects.filter(action=Action.WEBHOOK_REMOVED, target_id=webhook.pk).exists()


def test_only_the_practice_admin_reaches_the_page(cast: Cast) -> None:
    for person in (cast.alice, cast.sam, cast.dana):
        assert signed_in(person).get(reverse("webhooks")).status_code == 404
