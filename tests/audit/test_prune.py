"""Pruning after retention: the oldest events go, the hash of the last one removed stays
(in the database and in the checkpoint file), the chain still verifies from there, and the
pruning is itself an event. Deleting old rows any other way is still caught."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from alliance.audit.models import Action, AuditChainHead, AuditEvent
from alliance.audit.services import (
    AuditPruneRefused,
    audit_checkpoint,
    audit_prune,
    audit_record,
    verify_chain,
    years_before,
)

SECRET = os.urandom(32)


@pytest.fixture
def keyed(settings: Any, db: Any, tmp_path: Path) -> Path:
    settings.AUDIT_KEYS = [SECRET]
    settings.AUDIT_CHECKPOINT = tmp_path / "audit-checkpoints"
    settings.ERASURE_AUDIT_RETENTION_YEARS = 6
    return Path(settings.AUDIT_CHECKPOINT)


def write_events_at(moment: datetime, count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: moment)
        for n in range(count):
            audit_record(actor=None, action=Action.LOGIN_FAILED, target_type="test", target_id=n)


@pytest.fixture
def history(keyed: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Five events eight years ago, three seven years ago, then four this year."""
    now = timezone.now()
    write_events_at(now - timedelta(days=8 * 366), 5, monkeypatch)
    write_events_at(now - timedelta(days=7 * 366), 3, monkeypatch)
    write_events_at(now - timedelta(days=30), 4, monkeypatch)
    return {"now": now, "path": keyed}


def test_pruning_keeps_the_chain_verifying_and_is_audited(
    history: dict[str, Any], capsys: Any
) -> None:
    audit_checkpoint()  # a checkpoint from before: its row is pruned, it still fits
    last_pruned = AuditEvent.objects.get(seq=8)
    call_command("prune-audit", "--yes")
    out = capsys.readouterr().out
    assert "Removed 8 audit events (rows 1 to 8)" in out
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [9, 10, 11, 12, 13]
    head = AuditChainHead.objects.get()
    assert (head.pruned_seq, head.pruned_hash) == (8, last_pruned.hash)
    pruning = AuditEvent.objects.get(seq=13)
    assert (pruning.action, pruning.target_type, pruning.target_id) == (
        Action.AUDIT_PRUNED,
        "audit_event",
        8,
    )
    checkpoint = json.loads(history["path"].read_text().splitlines()[-1])
    assert checkpoint["kind"] == "pruned"
    assert (checkpoint["pruned_seq"], checkpoint["pruned_hash"]) == (8, last_pruned.hash)
    assert checkpoint["seq"] == 13
    report = verify_chain()
    assert report.ok, report.problem
    assert (report.checked, report.pruned_seq) == (5, 8)
    call_command("verify-audit")
    out = capsys.readouterr().out
    assert "Audit chain holds: 5 rows; head row 13" in out
    assert "Rows 1 to 8 were pruned after their retention." in out


def test_a_later_pruning_goes_on_from_the_last(
    history: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_prune(actor=None, before=history["now"] - timedelta(days=int(7.5 * 366)))
    assert AuditChainHead.objects.get().pruned_seq == 5
    result = audit_prune(actor=None, before=years_before(history["now"], 6))
    assert (result.plan.first_seq, result.plan.through_seq) == (6, 8)
    assert AuditChainHead.objects.get().pruned_seq == 8
    assert verify_chain().ok


def test_progress_is_shown_for_large_deletes(history: dict[str, Any]) -> None:
    seen: list[tuple[int, int]] = []
    audit_prune(
        actor=None,
        before=years_before(history["now"], 6),
        progress=lambda done, total: seen.append((done, total)),
        batch=3,
    )
    assert seen == [(3, 8), (6, 8), (8, 8)]


def test_the_command_prints_progress(history: dict[str, Any]) -> None:
    err = StringIO()
    call_command("prune-audit", "--yes", stdout=StringIO(), stderr=err)
    assert "Removed 8 of 8 events" in err.getvalue()


def test_events_younger_than_the_retention_are_not_removed(history: dict[str, Any]) -> None:
    with pytest.raises(CommandError, match="kept for 6 years"):
        call_command("prune-audit", "--yes", "--older-than-years", "2")
    recent = (history["now"] - timedelta(days=365)).date().isoformat()
    with pytest.raises(CommandError, match="ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS"):
        call_command("prune-audit", "--yes", "--before", recent)
    with pytest.raises(AuditPruneRefused):
        audit_prune(actor=None, before=history["now"])
    assert AuditEvent.objects.count() == 12


def test_before_a_day_removes_what_came_before_it(history: dict[str, Any]) -> None:
    day = (history["now"] - timedelta(days=int(7.5 * 366))).date().isoformat()
    call_command("prune-audit", "--yes", "--before", day, stdout=StringIO())
    assert AuditChainHead.objects.get().pruned_seq == 5


def test_it_asks_first(history: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def answer_no(prompt: str) -> str:
        asked.append(prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer_no)
    with pytest.raises(CommandError, match="Nothing was removed"):
        call_command("prune-audit")
    assert "removes 8 audit events" in asked[0]
    assert AuditEvent.objects.count() == 12
    monkeypatch.setattr("builtins.input", lambda prompt: "prune")
    call_command("prune-audit", stdout=StringIO())
    assert AuditEvent.objects.count() == 5


def test_nothing_to_prune(keyed: Path, capsys: Any) -> None:
    audit_record(actor=None, action=Action.LOGIN_FAILED)
    call_command("prune-audit", "--yes")
    assert "nothing to remove" in capsys.readouterr().out
    assert AuditEvent.objects.count() == 1


def test_a_broken_chain_is_not_pruned(history: dict[str, Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET action = 'viewed' WHERE seq = 2", []
        )
    with pytest.raises(CommandError, match=r"could remove the evidence\. Nothing was removed"):
        call_command("prune-audit", "--yes")
    assert AuditEvent.objects.count() == 12


def test_old_rows_deleted_by_hand_are_still_caught(history: dict[str, Any]) -> None:
    # Posing as a pruning: the rows gone, the head row saying where the chain starts; but
    # no record of pruning in the chain, which cannot be made without the key.
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq <= 8", [])
    ninth = AuditEvent.objects.get(seq=9)
    AuditChainHead.objects.filter(pk=1).update(pruned_seq=8, pruned_hash=ninth.prev_hash)
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 1)
    assert "no record of pruning in the chain accounts for them" in report.problem


def test_a_pruning_stretched_further_by_hand_is_caught(history: dict[str, Any]) -> None:
    audit_prune(actor=None, before=history["now"] - timedelta(days=int(7.5 * 366)))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq <= 8", [])
    ninth = AuditEvent.objects.get(seq=9)
    AuditChainHead.objects.filter(pk=1).update(pruned_seq=8, pruned_hash=ninth.prev_hash)
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 6)
    assert "rows 6 to 8 are gone" in report.problem


def test_a_database_from_before_the_pruning_is_behind_its_checkpoint(
    history: dict[str, Any],
) -> None:
    older = list(AuditEvent.objects.order_by("seq").values())
    head = AuditChainHead.objects.values("seq", "hash").get()
    audit_prune(actor=None, before=years_before(history["now"], 6))
    # The older copy comes back: every row, the pruned ones too, and its head row.
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}", [])
        for row in older:
            columns = ", ".join(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(row))})",
                list[Any](row.values()),
            )
    AuditChainHead.objects.filter(pk=1).update(pruned_seq=0, pruned_hash="0" * 64, **head)
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 1)
    assert "the database ends at row 12, but the checkpoint" in report.problem
    assert "recorded row 13" in report.problem
