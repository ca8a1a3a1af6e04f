"""The chain is keyed: whoever can write to the database but does not hold
ALLIANCE_AUDIT_KEYS cannot make a changed log add up again, even with the code's own
functions; keys rotate like the field keys (the first signs, every listed key verifies)."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from alliance.audit.chain import event_hmac, key_id
from alliance.audit.models import Action, AuditChainHead, AuditEvent
from alliance.audit.services import KeyUse, audit_record, verify_chain

SECRET = os.urandom(32)
DEVELOPMENT_KEY = b"alliance-development-audit-key32"


@pytest.fixture
def keyed(settings: Any, db: Any) -> Any:
    """A secret key of the installation's own, as production has."""
    settings.AUDIT_KEYS = [SECRET]
    return settings


def write_events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=Action.LOGIN_FAILED, target_type="test", target_id=n)
        for n in range(count)
    ]


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def table() -> str:
    return AuditEvent._meta.db_table


def unkeyed_digest(row: dict[str, Any]) -> str:
    """The plain SHA-256 the chain used before it was keyed."""
    fields = {name: row[name] for name in FIELDS if name != "key_id"}
    fields["occurred_at"] = row["occurred_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "client_id",
    "target_type",
    "target_id",
    "ip_address",
    "prev_hash",
    "key_id",
)


def cover_up(delete: list[int], rehash: Any, key_name: str | None = None) -> None:
    """What someone with write access to the database, and the code, but not the key would
    do: delete rows, number the rest again from 1, chain every hash again and move the head
    row, all by raw SQL."""
    rows = [
        dict(zip(FIELDS, values, strict=True))
        for values in AuditEvent.objects.order_by("seq").values_list(*FIELDS)
        if values[0] not in delete
    ]
    execute(f"DELETE FROM {table()}", [])
    prev = "0" * 64
    for seq, row in enumerate(rows, start=1):
        row.update(seq=seq, prev_hash=prev)
        if key_name is not None:
            row["key_id"] = key_name
        row["hash"] = prev = rehash(row)
        columns = ", ".join(row)
        execute(
            f"INSERT INTO {table()} ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
            list(row.values()),
        )
    execute(f"UPDATE {AuditChainHead._meta.db_table} SET seq = %s, hash = %s", [len(rows), prev])


def hmac_with(key: bytes) -> Any:
    def rehash(row: dict[str, Any]) -> str:
        return event_hmac(key, **{name: row[name] for name in FIELDS if name != "key_id"})

    return rehash


def test_events_are_signed_with_the_first_key_and_name_it(keyed: Any) -> None:
    (event,) = write_events(1)
    assert event.key_id == key_id(SECRET) and len(event.key_id) == 8
    assert SECRET.hex() not in event.key_id
    assert event.hash == hmac_with(SECRET)({f: getattr(event, f) for f in FIELDS})
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("rehash", "key_name"),
    [
        (hmac_with(DEVELOPMENT_KEY), None),  # the public development key, the real key id
        (hmac_with(DEVELOPMENT_KEY), key_id(DEVELOPMENT_KEY)),
        (hmac_with(os.urandom(32)), None),  # a key of their own
        (unkeyed_digest, ""),  # the chain as it was before it was keyed
    ],
    ids=["development-key", "development-key-id", "own-key", "unkeyed-sha256"],
)
def test_a_cover_up_without_the_key_is_caught(
    keyed: Any, rehash: Any, key_name: str | None
) -> None:
    write_events(6)
    cover_up(delete=[3, 4], rehash=rehash, key_name=key_name)
    assert AuditEvent.objects.count() == AuditChainHead.objects.get().seq == 4
    report = verify_chain()
    assert not report.ok
    assert report.bad_seq == 1  # the first row signed again
    with pytest.raises(CommandError, match=r"Audit chain broken at row 1: "):
        call_command("verify-audit")


def test_a_cover_up_from_the_deleted_row_on_is_named_there(keyed: Any) -> None:
    write_events(6)
    original = hmac_with(SECRET)

    def rehash(row: dict[str, Any]) -> str:
        # Rows before the deletion keep their true hashes; from there on, a guess.
        return original(row) if row["seq"] < 3 else hmac_with(DEVELOPMENT_KEY)(row)

    cover_up(delete=[3], rehash=rehash)
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 3)
    assert "does not match its hash" in report.problem


def test_with_the_key_the_cover_up_would_hold(keyed: Any) -> None:
    # The control: the same script with the key is exactly what the key protects.
    write_events(6)
    cover_up(delete=[3, 4], rehash=hmac_with(SECRET))
    assert verify_chain().ok


def test_a_row_moved_to_another_key_id_is_caught(keyed: Any, settings: Any) -> None:
    other = os.urandom(32)
    settings.AUDIT_KEYS = [SECRET, other]
    events = write_events(3)
    execute(f"UPDATE {table()} SET key_id = %s WHERE seq = %s", [key_id(other), events[1].seq])
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, events[1].seq)
    assert "edited" in report.problem


def test_a_row_without_a_key_id_is_caught(keyed: Any) -> None:
    events = write_events(3)
    execute(f"UPDATE {table()} SET key_id = '' WHERE seq = %s", [events[2].seq])
    report = verify_chain()
    assert report.bad_seq == events[2].seq
    assert "names no key" in report.problem


def test_key_rotation_keeps_old_events_verifying(settings: Any, db: Any) -> None:
    old, new = os.urandom(32), os.urandom(32)
    settings.AUDIT_KEYS = [old]
    before = write_events(3)
    settings.AUDIT_KEYS = [new, old]  # the new key first, the old one kept after it
    after = write_events(2)
    assert {event.key_id for event in before} == {key_id(old)}
    assert {event.key_id for event in after} == {key_id(new)}
    report = verify_chain()
    assert report.ok, report.problem
    assert report.keys == (KeyUse(key_id(old), 1, 3, 3), KeyUse(key_id(new), 4, 5, 2))


def test_an_old_key_dropped_too_soon_is_named(settings: Any, db: Any) -> None:
    old, new = os.urandom(32), os.urandom(32)
    settings.AUDIT_KEYS = [old]
    write_events(2)
    settings.AUDIT_KEYS = [new]
    write_events(1)
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 1)
    assert f"signed with key {key_id(old)}, which ALLIANCE_AUDIT_KEYS does not hold" in (
        report.problem
    )


def test_verify_audit_names_the_keys_in_use(keyed: Any, capsys: Any) -> None:
    write_events(2)
    call_command("audit-checkpoint")
    call_command("verify-audit")
    out = capsys.readouterr().out
    assert f"Key {key_id(SECRET)} signed 2 rows (1 to 2)." in out
