"""The audit context: what a service is told of the request, and what the log keeps of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from alliance.audit.context import AuditContext, audit_context
from alliance.audit.models import Action
from alliance.audit.services import audit_record


def test_the_address_is_remote_addr_normalised() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="2001:0db8:0000::1")
    assert audit_context(request) == AuditContext(address="2001:db8::1")


def test_a_client_supplied_forwarded_for_is_not_believed() -> None:
    # Behind our proxy, alliance.server.behind_proxy has already put the client's address
    # in REMOTE_ADDR (tests/web/test_serve.py); a header the client sent is its own word.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert audit_context(request).address == "192.0.2.9"


def test_no_request_or_no_address_is_no_address() -> None:
    assert audit_context(None) == AuditContext()
    assert audit_context(RequestFactory().get("/", REMOTE_ADDR="")).address == ""
    assert audit_context(RequestFactory().get("/", REMOTE_ADDR="not an address")).address == ""


def test_the_context_is_keyword_only_and_frozen() -> None:
    with pytest.raises(TypeError):
        AuditContext("192.0.2.1")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        AuditContext().address = "192.0.2.1"  # type: ignore[misc]


def test_the_event_keeps_the_contexts_address(db: Any) -> None:
    with_address = audit_record(
        actor=None, action=Action.LOGIN_FAILED, context=AuditContext(address="192.0.2.1")
    )
    without = audit_record(actor=None, action=Action.LOGIN_FAILED)
    by_hand = audit_record(
        actor=None, action=Action.LOGIN_FAILED, context=AuditContext(address="no address")
    )
    assert (with_address.ip_address, without.ip_address, by_hand.ip_address) == (
        "192.0.2.1",
        "",
        "",
    )
