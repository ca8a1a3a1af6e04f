"""Writing and verifying the audit chain."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from alliance.audit.chain import event_digest, normalise_ip
from alliance.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

if TYPE_CHECKING:
    from alliance.accounts.models import User


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    # REMOTE_ADDR only: behind a proxy, the proxy must set it (e.g. uvicorn's
    # --proxy-headers, gunicorn's --forwarded-allow-ips); a client-supplied
    # X-Forwarded-For is not trusted.
    return normalise_ip(request.META.get("REMOTE_ADDR"))


def audit_record(
    *,
    actor: User | None,
    action: str,
    client_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event. Joins the caller's transaction, so it commits with the action."""
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_role = actor.role if actor is not None and actor.is_authenticated else ""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            actor_id=actor_id,
            actor_role=actor_role,
            action=action,
            client_id=client_id,
            target_type=target_type,
            target_id=target_id,
            ip_address=client_ip(request),
            prev_hash=head.hash,
        )
        event.hash = digest_of(event)
        event.save()
        head.seq = event.seq
        head.hash = event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def digest_of(event: AuditEvent) -> str:
    return event_digest(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        action=event.action,
        client_id=event.client_id,
        target_type=event.target_type,
        target_id=event.target_id,
        ip_address=event.ip_address,
        prev_hash=event.prev_hash,
    )


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""


def _events() -> Iterator[AuditEvent]:
    return AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)


def verify_chain() -> ChainReport:
    """Walk the chain from the first event; report the first row that does not hold."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return ChainReport(False, 0, 0, "", 0, "the chain head row is missing: it was deleted")
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0

    def bad(seq: int, problem: str) -> ChainReport:
        return ChainReport(False, checked, head.seq, head.hash, seq, problem)

    for event in _events():
        if event.seq > head.seq:
            return bad(
                event.seq,
                f"row {event.seq} lies beyond the recorded end of the chain "
                f"(row {head.seq}): it was inserted",
            )
        if event.seq != expected_seq:
            missing = (
                f"row {expected_seq}"
                if event.seq == expected_seq + 1
                else f"rows {expected_seq} to {event.seq - 1}"
            )
            return bad(expected_seq, f"{missing} missing: deleted")
        if event.prev_hash != prev_hash:
            return bad(
                event.seq,
                f"row {event.seq} does not follow row {event.seq - 1}: "
                "a row was inserted or replaced here",
            )
        if digest_of(event) != event.hash:
            return bad(event.seq, f"row {event.seq} does not match its hash: it was edited")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1

    if checked != head.seq:
        missing = f"rows {expected_seq} to {head.seq}"
        if head.seq == expected_seq:
            missing = f"row {expected_seq}"
        return bad(expected_seq, f"{missing} missing from the end of the chain: deleted")
    if prev_hash != head.hash:
        return bad(head.seq, f"row {head.seq} does not match the recorded chain head: edited")
    return ChainReport(True, checked, head.seq, head.hash)
