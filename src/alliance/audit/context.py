"""Where an audited action came from, as the audit log keeps it: what a service needs to
know of the request, and no more. Services take an ``AuditContext``, never the request."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from alliance.audit.chain import normalise_ip


@dataclass(frozen=True, kw_only=True)
class AuditContext:
    """``address``: the client's IP address ("" when unknown: the server, a command)."""

    address: str = ""


def audit_context(request: HttpRequest | None) -> AuditContext:
    """The audit context of a request: the views' (and the sign-in signals') one way to
    turn a request into what the services record."""
    if request is None:
        return AuditContext()
    # REMOTE_ADDR only: behind a proxy, the proxy must set it (`alliance.server.behind_proxy`
    # takes it from the X-Forwarded-For entry our own proxy wrote, uvicorn's
    # --proxy-headers, gunicorn's --forwarded-allow-ips); a client-supplied
    # X-Forwarded-For is not trusted.
    return AuditContext(address=normalise_ip(request.META.get("REMOTE_ADDR")))
