from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from alliance.audit.models import Action, AuditChainHead, AuditEvent
from alliance.audit.services import audit_record, verify_chain


def write_events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=Action.LOGIN_FAILED, target_type="test", target_id=n)
        for n in range(count)
    ]


def raw(sql: str, params: list[Any]) -> None:
    # By hand, around the ORM's append-only guard, as someone with database access would.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def table() -> str:
    return AuditEvent._meta.db_table


def test_events_chain_each_to_the_one_before(db: Any) -> None:
    first, second, third = write_events(3)
    assert first.seq + 1 == second.seq and second.seq + 1 == third.seq
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (third.seq, third.hash)


def test_intact_chain_verifies(db: Any, capsys: Any) -> None:
    write_events(5)
    report = verify_chain()
    assert report.ok and report.checked == 5
    call_command("audit-checkpoint", stdout=StringIO())
    call_command("verify-audit")
    assert "Audit chain holds: 5 rows" in capsys.readouterr().out


def test_empty_chain_verifies(db: Any) -> None:
    assert verify_chain().ok


def test_edited_row_is_named(db: Any) -> None:
    events = write_events(5)
    raw(f"UPDATE {table()} SET action = %s WHERE seq = %s", ["viewed", events[2].seq])
    report = verify_chain()
    assert not report.ok
    assert report.bad_seq == events[2].seq
    assert "edited" in report.problem
    with pytest.raises(CommandError, match=rf"row {events[2].seq}: .*edited"):
        call_command("verify-audit")


def test_edited_client_id_is_caught(db: Any) -> None:
    events = write_events(3)
    raw(f"UPDATE {table()} SET client_id = %s WHERE seq = %s", [42, events[0].seq])
    assert verify_chain().bad_seq == events[0].seq


def test_deleted_middle_row_is_named(db: Any) -> None:
    events = write_events(5)
    raw(f"DELETE FROM {table()} WHERE seq = %s", [events[1].seq])
    report = verify_chain()
    assert not report.ok
    assert report.bad_seq == events[1].seq
    assert "deleted" in report.problem
    with pytest.raises(CommandError, match=rf"row {events[1].seq}: row {events[1].seq} missing"):
        call_command("verify-audit")


def test_deleted_last_row_is_named(db: Any) -> None:
    events = write_events(4)
    raw(f"DELETE FROM {table()} WHERE seq = %s", [events[-1].seq])
    report = verify_chain()
    assert report.bad_seq == events[-1].seq
    assert "deleted" in report.problem


def test_inserted_row_after_the_head_is_named(db: Any) -> None:
    events = write_events(3)
    last = events[-1]
    raw(
        f"INSERT INTO {table()} (seq, occurred_at, actor_role, action, target_type, "
        "ip_address, prev_hash, hash) VALUES (%s, %s, '', 'viewed', '', '', %s, %s)",
        [last.seq + 1, last.occurred_at, last.hash, "f" * 64],
    )
    report = verify_chain()
    assert report.bad_seq == last.seq + 1
    assert "inserted" in report.problem


def test_row_replaced_in_the_middle_is_named(db: Any) -> None:
    events = write_events(4)
    target = events[2]
    raw(f"DELETE FROM {table()} WHERE seq = %s", [target.seq])
    raw(
        f"INSERT INTO {table()} (seq, occurred_at, actor_role, action, target_type, "
        "ip_address, prev_hash, hash) VALUES (%s, %s, '', 'viewed', '', '', %s, %s)",
        [target.seq, target.occurred_at, "e" * 64, "d" * 64],
    )
    report = verify_chain()
    assert report.bad_seq == target.seq
    assert "inserted or replaced" in report.problem


def test_orm_refuses_to_change_or_delete_events(db: Any) -> None:
    (event,) = write_events(1)
    event.action = "viewed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="viewed")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert verify_chain().ok


def test_event_rolls_back_with_its_action(db: Any) -> None:
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=None, action=Action.LOGIN_FAILED)
        raise RuntimeError("the action failed")
    assert AuditEvent.objects.count() == 0
    assert AuditChainHead.objects.get().seq == 0
    assert verify_chain().ok


def test_ip_address_is_normalised() -> None:
    from alliance.audit.chain import normalise_ip

    assert normalise_ip("2001:0db8:0000::1") == "2001:db8::1"
    assert normalise_ip("not an address") == ""
    assert normalise_ip(None) == ""


def test_missing_chain_head_is_reported(db: Any) -> None:
    write_events(2)
    raw(f"DELETE FROM {AuditChainHead._meta.db_table}", [])
    report = verify_chain()
    assert not report.ok and "head row is missing" in report.problem
