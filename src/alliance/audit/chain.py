"""The keyed hashes that link audit events and vouch for checkpoints (framework-free).

Each event's hash is an HMAC-SHA-256, under a key kept outside the database
(``ALLIANCE_AUDIT_KEYS``), of its own fields, the id of the key and the hash of the
event before it. Without the key nobody can compute one, so whoever can only write to the
database cannot delete, insert or edit events and then make the chain add up again. The
checkpoint lines written outside the database (``alliance.audit.checkpoints``) carry an
HMAC of their own, under a different label, so that neither can stand in for the other.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

EVENT_LABEL = b"alliance-audit-event-v1\n"
CHECKPOINT_LABEL = b"alliance-audit-checkpoint-v1\n"


def normalise_ip(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return ""


def key_id(key: bytes) -> str:
    """A short name for a key that does not give the key away: 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def key_for(kid: str, keys: Sequence[bytes]) -> bytes | None:
    for key in keys:
        if key_id(key) == kid:
            return key
    return None


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def keyed_hash(key: bytes, label: bytes, fields: Mapping[str, Any]) -> str:
    return hmac.new(key, label + canonical(fields), hashlib.sha256).hexdigest()


def event_hmac(
    key: bytes,
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
    """The hash of one event under ``key``; the key's id is part of what is signed."""
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": timestamp(occurred_at),
        "actor_id": actor_id,
        "actor_role": actor_role,
        "action": action,
        "client_id": client_id,
        "target_type": target_type,
        "target_id": target_id,
        "ip_address": ip_address,
        "prev_hash": prev_hash,
        "key_id": key_id(key),
    }
    return keyed_hash(key, EVENT_LABEL, fields)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
