"""The hash that links one audit event to the one before it (framework-free)."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from datetime import UTC, datetime
from typing import Any


def normalise_ip(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def event_digest(
    *,
    seq: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_role: str,
    action: str,
    client_id: int | None,
    target_type: str,
    target_id: int | None,
    ip_address: str,
    prev_hash: str,
) -> str:
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "action": action,
        "client_id": client_id,
        "target_type": target_type,
        "target_id": target_id,
        "ip_address": ip_address,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
