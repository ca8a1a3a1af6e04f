"""Checkpoints of the chain's head outside the database: a rollback shows as the database
behind the last checkpoint, a rewrite as a mismatch, and either names the first row after
the last checkpoint the database agrees with. The file's lines cannot be forged."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from alliance.audit.chain import event_hmac, key_id
from alliance.audit.checkpoints import (
    CheckpointFileError,
    append_checkpoint,
    checkpoint_signed,
    read_checkpoints,
)
from alliance.audit.models import Action, AuditChainHead, AuditEvent
from alliance.audit.services import audit_checkpoint, audit_record, verify_chain

SECRET = os.urandom(32)


@pytest.fixture
def keyed(settings: Any, db: Any, tmp_path: Path) -> Path:
    settings.AUDIT_KEYS = [SECRET]
    settings.AUDIT_CHECKPOINT = tmp_path / "var" / "audit-checkpoints"
    return Path(settings.AUDIT_CHECKPOINT)


def write_events(count: int) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=Action.LOGIN_FAILED, target_type="test", target_id=n)
        for n in range(count)
    ]


def execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def roll_back_to(seq: int) -> None:
    """The audit tables as an older copy of the database holds them: the rows after ``seq``
    were never written, and the head row says ``seq``."""
    kept = AuditEvent.objects.get(seq=seq)
    execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq > %s", [seq])
    execute(f"UPDATE {AuditChainHead._meta.db_table} SET seq = %s, hash = %s", [seq, kept.hash])


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_checkpoint_is_a_signed_line_appended_to_the_file(keyed: Path) -> None:
    write_events(3)
    out = StringIO()
    call_command("audit-checkpoint", stdout=out)
    write_events(1)
    call_command("audit-checkpoint", stdout=out)
    head = AuditChainHead.objects.get()
    first, second = lines(keyed)
    assert (first["seq"], second["seq"]) == (3, 4)
    assert (second["hash"], second["key"], second["kind"]) == (
        head.hash,
        key_id(SECRET),
        "checkpoint",
    )
    assert "row 4" in out.getvalue() and str(keyed) in out.getvalue()
    assert stat.S_IMODE(keyed.stat().st_mode) & 0o007 == 0  # not for everyone to read
    assert [c.seq for c in read_checkpoints(keyed, [SECRET]).checkpoints] == [3, 4]


def test_verify_audit_compares_with_the_checkpoints(keyed: Path, capsys: Any) -> None:
    write_events(2)
    call_command("audit-checkpoint")
    write_events(2)  # newer than the checkpoint: fine
    call_command("verify-audit")
    out = capsys.readouterr().out
    assert "Audit chain holds: 4 rows" in out
    assert "recorded row 2" in out


def test_without_any_checkpoint_verify_audit_says_a_rollback_would_not_show(
    keyed: Path,
) -> None:
    write_events(2)
    assert verify_chain().ok  # the keys hold
    with pytest.raises(CommandError, match="holds no checkpoint"):
        call_command("verify-audit")


def test_an_empty_log_needs_no_checkpoint(keyed: Path, capsys: Any) -> None:
    call_command("verify-audit")
    assert "Audit chain holds: 0 rows" in capsys.readouterr().out


def test_a_rollback_shows_as_the_database_behind_the_last_checkpoint(keyed: Path) -> None:
    write_events(3)
    audit_checkpoint()
    write_events(3)
    audit_checkpoint()
    roll_back_to(4)  # every row left is genuine, signed with the key: only the end is gone
    report = verify_chain()
    assert not report.ok
    assert report.bad_seq == 4  # the first row after the last checkpoint it agrees with (3)
    assert "the database ends at row 4" in report.problem
    assert "recorded row 6" in report.problem
    assert "rolled back to an older copy" in report.problem
    assert "The last checkpoint it agrees with is row 3" in report.problem
    with pytest.raises(CommandError, match=r"broken at row 4: the database ends at row 4"):
        call_command("verify-audit")


def test_a_rollback_that_took_new_events_since_is_a_mismatch(keyed: Path) -> None:
    write_events(3)
    audit_checkpoint()
    write_events(3)
    audit_checkpoint()
    roll_back_to(3)
    write_events(4)  # the practice goes on working on the older copy
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 4)
    assert "row 6 is not the row the checkpoint" in report.problem
    assert "rolled back to an older copy and has taken new events since" in report.problem


def test_a_rewrite_with_the_key_shows_as_a_mismatch(keyed: Path) -> None:
    # Someone with the key (it is the checkpoints, not the keys, that see this) signs a
    # changed history from row 3 on; every row then matches its hash.
    write_events(2)
    audit_checkpoint()
    write_events(3)
    audit_checkpoint()
    table = AuditEvent._meta.db_table
    prev = AuditEvent.objects.get(seq=2).hash
    for event in AuditEvent.objects.filter(seq__gte=3).order_by("seq"):
        changed = event_hmac(
            SECRET,
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_id=None,
            actor_role="",
            action="viewed",
            client_id=event.client_id,
            target_type=event.target_type,
            target_id=event.target_id,
            ip_address=event.ip_address,
            prev_hash=prev,
        )
        execute(
            f"UPDATE {table} SET action = 'viewed', prev_hash = %s, hash = %s WHERE seq = %s",
            [prev, changed, event.seq],
        )
        prev = changed
    execute(f"UPDATE {AuditChainHead._meta.db_table} SET hash = %s", [prev])
    report = verify_chain()
    assert (report.ok, report.bad_seq) == (False, 3)
    assert "row 5 is not the row the checkpoint" in report.problem
    assert "the chain was rewritten" in report.problem


def test_a_restore_on_purpose_is_recorded_and_later_checkpoints_hold(
    keyed: Path, capsys: Any
) -> None:
    write_events(3)
    audit_checkpoint()
    write_events(3)
    audit_checkpoint()
    roll_back_to(3)
    assert not verify_chain().ok
    call_command("audit-checkpoint", "--restored")
    write_events(2)
    audit_checkpoint()
    call_command("verify-audit")
    out = capsys.readouterr().out
    assert "Restore recorded" in out
    assert "A restore was recorded" in out and "at row 3" in out
    # The lines from before the restore stay in the file.
    assert [line["seq"] for line in lines(keyed)] == [3, 6, 3, 5]


def test_an_altered_checkpoint_line_is_refused(keyed: Path) -> None:
    write_events(2)
    audit_checkpoint()
    audit_checkpoint()
    text = keyed.read_text().splitlines()
    altered = json.loads(text[1])
    altered["seq"] = 1  # to make a rollback to row 1 look expected
    keyed.write_text(text[0] + "\n" + json.dumps(altered) + "\n")
    report = verify_chain()
    assert not report.ok and report.bad_seq is None
    assert "line 2 does not match its HMAC: it was altered or forged" in report.problem
    with pytest.raises(CommandError, match="Audit check failed: the checkpoint file"):
        call_command("verify-audit")


def test_a_line_forged_with_another_key_is_not_compared(keyed: Path) -> None:
    write_events(2)
    audit_checkpoint()
    forged = checkpoint_signed(
        kind="restored",
        at=timezone.now(),
        seq=1,
        hash="f" * 64,
        pruned_seq=0,
        pruned_hash="0" * 64,
        key=os.urandom(32),
    )
    append_checkpoint(keyed, forged)
    report = verify_chain()
    assert report.ok
    assert report.checkpoints is not None
    assert (report.checkpoints.compared, report.checkpoints.unknown_key) == (1, 1)
    assert report.checkpoints.restored is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json\n", "line 1 is not a checkpoint"),
        ('{"seq": 3}\n', "line 1 is not a checkpoint"),
        ('{"v": 1', "line 1 is cut short"),
    ],
)
def test_a_damaged_file_is_reported(keyed: Path, text: str, problem: str) -> None:
    keyed.parent.mkdir(parents=True)
    keyed.write_text(text)
    with pytest.raises(CheckpointFileError, match=problem):
        read_checkpoints(keyed, [SECRET])
    write_events(1)
    report = verify_chain()
    assert not report.ok and problem in report.problem


def test_the_worker_writes_a_checkpoint_at_least_hourly(
    keyed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_events(2)
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "audit checkpoint: row 2" in out.getvalue()
    call_command("worker", "--once", stdout=StringIO())
    assert len(lines(keyed)) == 1  # not again within the hour
    later = timezone.now() + timedelta(minutes=56)
    monkeypatch.setattr(timezone, "now", lambda: later)
    write_events(1)
    call_command("worker", "--once", stdout=StringIO())
    assert [line["seq"] for line in lines(keyed)] == [2, 3]


def test_a_worker_that_cannot_write_the_checkpoint_goes_on(
    settings: Any, db: Any, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.AUDIT_CHECKPOINT = blocker / "audit-checkpoints"  # its folder is a file
    out, err = StringIO(), StringIO()
    call_command("worker", "--once", stdout=out, stderr=err)
    assert "audit checkpoint: could not write" in err.getvalue()
    assert "check_alerts:" in out.getvalue()
    with pytest.raises(CommandError, match="Could not write to"):
        call_command("audit-checkpoint")
