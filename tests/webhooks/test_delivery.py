"""Alert webhooks end to end: a real risk alert, the worker, a local receiver that checks
the signature; retries with back-off, giving up, two workers, https only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from alliance.alerts.models import Alert
from alliance.alerts.services import alert_acknowledge, alert_resolve
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from alliance.webhooks import delivery as delivery_module
from alliance.webhooks.delivery import BACKOFF, MAX_ATTEMPTS, deliveries_due, delivery_attempt
from alliance.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from alliance.webhooks.services import webhook_create
from tests.conftest import Cast
from tests.webhooks.receiver import Receiver, receiver

ALL_EVENTS = ["alert.raised", "alert.acknowledged", "alert.resolved"]


@pytest.fixture
def hook(cast: Cast) -> Iterator[tuple[Receiver, Webhook]]:
    with receiver() as state:
        webhook, secret = webhook_create(
            actor=cast.ada, name="Pager", url=state.url, events=ALL_EVENTS
        )
        state.secret = secret
        yield state, webhook


def _risk_alert(cast: Cast) -> Alert:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response = response_submit(
        actor=cast.dana, administration=administration, answers=[3] * 8 + [2]
    )
    return response.alerts.get(kind="risk")


def test_a_risk_alert_is_posted_once_signed_with_ids_only(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    state, _webhook = hook
    alert = _risk_alert(cast)
    # Written with the alert, before any worker runs.
    delivery = WebhookDelivery.objects.get(event="alert.raised")
    assert delivery.status == DeliveryStatus.PENDING
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    call_command("worker", "--once", stdout=out)
    assert "send_due_webhooks: 1 webhook deliveries made" in out.getvalue()

    raised = [r for r in state.received if r.payload["type"] == "alert.raised"]
    assert len(raised) == 1
    sent = raised[0]
    assert sent.signature_ok
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Alliance-Delivery"] == str(delivery.pk)
    payload = sent.payload
    assert set(payload) == {"id", "type", "created", "data"}
    assert payload["id"] == str(delivery.pk)
    assert payload["data"] == {
        "alert_id": alert.pk,
        "episode_id": cast.dana_episode.pk,
        "kind": "risk",
        "status": "open",
    }
    text = sent.body.decode()
    for health in ("Dana", "dana@example.test", "phq", "PHQ", "score", "total", "answers", "item"):
        assert health not in text
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200


def test_the_first_try_is_queued_when_the_alert_commits(
    cast: Cast, hook: tuple[Receiver, Webhook], django_capture_on_commit_callbacks: Any
) -> None:
    state, _webhook = hook
    with django_capture_on_commit_callbacks(execute=True):
        _risk_alert(cast)
    assert [r.payload["type"] for r in state.received] == ["alert.raised"]
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_signature_with_another_secret_does_not_verify(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    state, _webhook = hook
    state.secret = "whsec_not-the-one"
    _risk_alert(cast)
    deliveries_due()
    assert len(state.received) == 1
    assert not state.received[0].signature_ok


def test_acknowledging_and_resolving_are_events_too(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    alert = _risk_alert(cast)
    alert_acknowledge(actor=cast.alice, alert=alert, note="Called Dana about her answers")
    alert_resolve(actor=cast.alice, alert=alert, note="Safe")
    events = WebhookDelivery.objects.order_by("created_at").values_list("event", flat=True)
    assert sorted(events) == sorted(ALL_EVENTS)
    deliveries_due()
    state, _ = hook
    assert {r.payload["type"] for r in state.received} == set(ALL_EVENTS)
    statuses = {r.payload["type"]: r.payload["data"]["status"] for r in state.received}
    assert statuses == {
        "alert.raised": "open",
        "alert.acknowledged": "acknowledged",
        "alert.resolved": "resolved",
    }
    for sent in state.received:
        assert "Called" not in sent.body.decode()
        assert "Safe" not in sent.body.decode()


def test_only_active_webhooks_that_want_the_event_get_it(cast: Cast) -> None:
    webhook_create(actor=None, name="Acks", url="https://example.test/a", events=["alert.resolved"])
    off, _ = webhook_create(actor=None, name="Off", url="https://example.test/o", events=ALL_EVENTS)
    off.active = False
    off.save()
    _risk_alert(cast)
    assert not WebhookDelivery.objects.exists()


def test_a_refused_delivery_is_tried_again_after_its_back_off(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    state, _webhook = hook
    state.codes = [500]
    _risk_alert(cast)
    now = timezone.now()
    assert deliveries_due(now) == {"delivered": 0, "failed": 1}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at == now + BACKOFF[0]
    # Not before its time.
    assert deliveries_due(now + BACKOFF[0] - timedelta(seconds=1)) == {
        "delivered": 0,
        "failed": 0,
    }
    assert len(state.received) == 1
    assert deliveries_due(now + BACKOFF[0]) == {"delivered": 1, "failed": 0}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 2
    assert len(state.received) == 2
    assert state.received[0].payload == state.received[1].payload


def test_a_delivery_is_given_up_after_the_last_try(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    state, _webhook = hook
    state.codes = [503] * 20
    _risk_alert(cast)
    now = timezone.now()
    waits = [timedelta(0), *BACKOFF]
    for wait in waits:
        now += wait
        deliveries_due(now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.GIVEN_UP
    assert delivery.attempts == MAX_ATTEMPTS == len(state.received)
    deliveries_due(now + timedelta(days=30))
    assert len(state.received) == MAX_ATTEMPTS


def test_an_unreachable_receiver_is_a_failed_try(cast: Cast) -> None:
    with receiver() as state:
        url = state.url  # closed when the block ends: nothing listens there any more
    webhook_create(actor=None, name="Gone", url=url, events=ALL_EVENTS)
    _risk_alert(cast)
    deliveries_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code is None


def test_two_workers_never_send_one_delivery_twice(
    cast: Cast, hook: tuple[Receiver, Webhook], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, _webhook = hook
    _risk_alert(cast)
    delivery = WebhookDelivery.objects.get()
    post = delivery_module._post
    second: list[bool] = []

    def first_workers_post(sending: WebhookDelivery) -> int | None:
        # The first worker holds its claim; the second comes now, then the POST goes.
        monkeypatch.setattr(delivery_module, "worker_name", lambda: "host:2")
        second.append(delivery_attempt(str(sending.pk)))
        second.append(bool(deliveries_due()["delivered"]))
        monkeypatch.setattr(delivery_module, "worker_name", lambda: "host:1")
        return post(sending)

    monkeypatch.setattr(delivery_module, "worker_name", lambda: "host:1")
    monkeypatch.setattr(delivery_module, "_post", first_workers_post)
    assert delivery_attempt(str(delivery.pk))
    assert second == [False, False]
    assert len(state.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.claimed_by == "host:1"


def test_a_dead_workers_claim_is_taken_again_after_the_timeout(
    cast: Cast, hook: tuple[Receiver, Webhook]
) -> None:
    from alliance.lib.claims import CLAIM_TIMEOUT

    state, _webhook = hook
    _risk_alert(cast)
    now = timezone.now()
    WebhookDelivery.objects.update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=now, claimed_by="dead:1"
    )
    assert deliveries_due(now + CLAIM_TIMEOUT - timedelta(seconds=1))["delivered"] == 0
    assert deliveries_due(now + CLAIM_TIMEOUT + timedelta(seconds=1))["delivered"] == 1
    assert len(state.received) == 1
    assert WebhookDelivery.objects.get().attempts == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://example.test/hook",
        "http://10.0.0.1/hook",
        "ftp://example.test/hook",
        "javascript:alert(1)",
        "not a url",
    ],
)
def test_only_https_is_accepted(cast: Cast, url: str) -> None:
    with pytest.raises(ValidationError):
        webhook_create(actor=cast.ada, name="Bad", url=url, events=ALL_EVENTS)
    assert not Webhook.objects.exists()


def test_plain_http_to_this_machine_only_in_development(cast: Cast, settings: Any) -> None:
    settings.DEBUG = settings.TESTING = False
    with pytest.raises(ValidationError):
        webhook_create(actor=None, name="Local", url="http://127.0.0.1:9/h", events=ALL_EVENTS)
    settings.DEBUG = True
    webhook, _secret = webhook_create(
        actor=None, name="Local", url="http://127.0.0.1:9/h", events=ALL_EVENTS
    )
    assert webhook.url == "http://127.0.0.1:9/h"


def test_events_must_be_known(cast: Cast) -> None:
    for events in ([], ["alert.deleted"]):
        with pytest.raises(ValidationError):
            webhook_create(actor=None, name="X", url="https://example.test/", events=events)


def test_erasing_the_client_removes_the_deliveries_about_their_alerts(cast: Cast) -> None:
    from alliance.records.erasure import client_erase
    from alliance.records.services import erasure_request_create

    webhook_create(actor=None, name="P", url="https://127.0.0.1:9/h", events=ALL_EVENTS)
    _risk_alert(cast)
    assert WebhookDelivery.objects.count() == 1
    erasure_request_create(actor=cast.dana)
    result = client_erase(actor=cast.ada, client=cast.dana)
    assert not WebhookDelivery.objects.exists()
    assert result.removed["webhook deliveries"] == 1
