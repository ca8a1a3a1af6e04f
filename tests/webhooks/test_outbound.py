"""Where a webhook may point: the worker never connects to this machine, the cloud's
metadata service or the office network because an address says so (``lib/outbound.py``)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError

from alliance.lib import outbound
from alliance.webhooks.delivery import deliveries_due
from alliance.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery
from alliance.webhooks.services import webhook_create
from tests.conftest import Cast
from tests.webhooks.receiver import receiver
from tests.webhooks.test_delivery import ALL_EVENTS, _risk_alert


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", "public"),
        ("2606:2800:220:1::1", "public"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.20", "private"),
        ("100.64.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("169.254.169.254", "never"),
        ("fe80::1", "never"),
        ("0.0.0.0", "never"),  # noqa: S104 (an address to refuse, not to bind)
        ("224.0.0.1", "never"),
        ("240.0.0.1", "never"),
    ],
)
def test_each_address_is_of_its_kind(address: str, kind: str) -> None:
    assert outbound.address_kind(ipaddress.ip_address(address)) == kind


def test_private_networks_only_when_allowed_and_link_local_never() -> None:
    private, metadata = ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("169.254.169.254")
    assert not outbound.address_allowed(private, private=False, loopback=False)
    assert outbound.address_allowed(private, private=True, loopback=False)
    assert not outbound.address_allowed(metadata, private=True, loopback=True)


def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """A resolver for made-up names: each name gives the addresses listed for it, except that
    ``name@2`` (if listed) is what the name gives from its second lookup on. Returns the
    names looked up, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        again = host in asked and f"{host}@2" in names
        asked.append(host)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))
            for address in names[f"{host}@2" if again else host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_that_also_resolves_privately_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _resolving(monkeypatch, {"mixed.example.test": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(outbound.AddressRefused, match="private"):
        outbound.resolve_allowed("mixed.example.test", 443, private=False, loopback=False)
    address = outbound.resolve_allowed("mixed.example.test", 443, private=True, loopback=False)
    assert address == "93.184.216.34"


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://192.168.0.10:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fe80::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
    ],
)
def test_an_address_on_a_private_or_reserved_network_is_refused(cast: Cast, url: str) -> None:
    with pytest.raises(ValidationError):
        webhook_create(actor=cast.ada, name="Inside", url=url, events=ALL_EVENTS)
    assert not Webhook.objects.exists()


def test_the_practice_may_allow_its_private_networks_never_link_local(
    cast: Cast, settings: Any
) -> None:
    settings.WEBHOOK_PRIVATE_NETWORKS = True
    webhook, _secret = webhook_create(
        actor=cast.ada, name="Engine", url="https://10.0.0.1/hook", events=ALL_EVENTS
    )
    assert webhook.url == "https://10.0.0.1/hook"
    with pytest.raises(ValidationError):
        webhook_create(
            actor=cast.ada, name="Metadata", url="https://169.254.169.254/", events=ALL_EVENTS
        )


@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://localhost/hook"])
def test_this_server_itself_is_refused_in_production(cast: Cast, settings: Any, url: str) -> None:
    settings.DEBUG = settings.TESTING = False
    with pytest.raises(ValidationError):
        webhook_create(actor=cast.ada, name="Self", url=url, events=ALL_EVENTS)


def test_a_name_that_resolves_where_it_may_not_go_is_not_sent_to(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Registered as a name; by delivery time it resolves to this machine, where a receiver
    listens. In production the worker refuses to connect, so nothing arrives."""
    with receiver() as state:
        port = urlsplit(state.url).port
        Webhook.objects.create(
            name="Rebound",
            url=f"http://hooks.example.test:{port}/",
            events=ALL_EVENTS,
            secret="whsec_test",
        )
        _resolving(monkeypatch, {"hooks.example.test": ["127.0.0.1"]})
        _risk_alert(cast)
        settings.DEBUG = settings.TESTING = False
        deliveries_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code is None
    assert state.received == []
    assert "address refused (loopback)" in caplog.text


def test_the_connection_goes_to_the_address_that_was_checked(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name resolves to this machine (allowed in tests), where the
    receiver is, then to another address on every later lookup. The delivery arrives, so it
    went to the address that was checked, not to a second lookup's."""
    with receiver() as state:
        port = urlsplit(state.url).port
        webhook = Webhook.objects.create(
            name="Named",
            url=f"http://receiver.example.test:{port}/",
            events=ALL_EVENTS,
            secret="whsec_test",
        )
        state.secret = webhook.secret
        asked = _resolving(
            monkeypatch,
            {"receiver.example.test": ["127.0.0.1"], "receiver.example.test@2": ["127.0.0.2"]},
        )
        _risk_alert(cast)
        assert deliveries_due()["delivered"] == 1
    assert asked == ["receiver.example.test"]
    assert len(state.received) == 1
    assert state.received[0].signature_ok
    assert state.received[0].headers["Host"] == f"receiver.example.test:{port}"
