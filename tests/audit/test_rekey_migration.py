"""An installation whose chain predates the key is signed again in place by `alliance
migrate` (audit 0003), under the key in its environment, and says so in an event of its
own; a chain that does not hold stops the upgrade instead of being signed. Each test runs
the real command in a subprocess on a SQLite file of its own, as an upgrade does."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from alliance.audit.chain import key_id
from tests.fixtures.make_upgrade_fixture import alliance, environment

KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


def unkeyed(row: dict[str, Any]) -> str:
    """How events were hashed before audit 0003."""
    fields = {name: value for name, value in row.items() if name not in ("hash", "key_id")}
    fields["occurred_at"] = (
        datetime.fromisoformat(row["occurred_at"])
        .replace(tzinfo=UTC)
        .isoformat(timespec="microseconds")
    )
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def old_chain(database: Path, count: int) -> str:
    """``count`` events as the code before audit 0003 wrote them; the head hash."""
    start = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    prev = "0" * 64
    with sqlite3.connect(database) as db:
        for seq in range(1, count + 1):
            row = {
                "seq": seq,
                "occurred_at": (start + timedelta(minutes=seq)).strftime("%Y-%m-%d %H:%M:%S.%f"),
                "actor_id": None,
                "actor_role": "",
                "action": "login_failed",
                "client_id": 7 if seq % 2 else None,
                "target_type": "",
                "target_id": None,
                "ip_address": "192.0.2.1",
                "prev_hash": prev,
            }
            row["hash"] = prev = unkeyed(row)
            db.execute(
                f"INSERT INTO audit_auditevent ({', '.join(row)}) "
                f"VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        db.execute("UPDATE audit_auditchainhead SET seq = ?, hash = ?", [count, prev])
    db.close()
    return prev


def rows(database: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        found = [dict(r) for r in db.execute("SELECT * FROM audit_auditevent ORDER BY seq")]
    db.close()
    return found


def audit_migration(database: Path) -> str:
    with sqlite3.connect(database) as db:
        (name,) = db.execute(
            "SELECT max(name) FROM django_migrations WHERE app = 'audit'"
        ).fetchone()
    db.close()
    return str(name)


@pytest.fixture
def installation(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A database at the last release's audit migration, and the key the upgrade is given."""
    database = tmp_path / "practice.sqlite3"
    env = {**environment(database, tmp_path / "var"), "ALLIANCE_AUDIT_KEYS": b64(KEY)}
    alliance(env, "migrate", "audit", "0002", "-v", "0")
    return env, database


def test_the_upgrade_signs_the_old_chain_and_it_verifies_and_going_back_undoes_it(
    installation: tuple[dict[str, str], Path],
) -> None:
    env, database = installation
    old_chain(database, 5)
    before = rows(database)
    alliance(env, "migrate", "-v", "0")
    after = rows(database)
    assert len(after) == 6
    # The events are the same events; only their hashes (now keyed) changed.
    content = ("seq", "occurred_at", "actor_id", "action", "client_id", "ip_address")
    assert [[r[c] for c in content] for r in after[:5]] == [[r[c] for c in content] for r in before]
    assert {r["key_id"] for r in after} == {key_id(KEY)}
    assert all(a["hash"] != b["hash"] for a, b in zip(after, before, strict=False))
    marker = after[-1]
    assert (marker["action"], marker["target_type"], marker["target_id"]) == (
        "chain_rekeyed",
        "audit_event",
        5,
    )
    alliance(env, "audit-checkpoint")
    done = alliance(env, "verify-audit")
    assert "Audit chain holds: 6 rows" in done.stdout
    assert f"Key {key_id(KEY)} signed 6 rows (1 to 6)." in done.stdout
    # Under another key, the same rows do not verify.
    wrong = alliance({**env, "ALLIANCE_AUDIT_KEYS": b64(OTHER_KEY)}, "verify-audit", check=False)
    assert wrong.returncode == 1
    assert "ALLIANCE_AUDIT_KEYS does not hold" in wrong.stderr

    # Going back (a downgrade) chains every event again the old way, its own event too.
    alliance(env, "migrate", "audit", "0002", "-v", "0")
    back = rows(database)
    assert len(back) == 6
    prev = "0" * 64
    for row in back:
        assert row["prev_hash"] == prev
        assert unkeyed({k: v for k, v in row.items() if k != "id"}) == row["hash"]
        prev = row["hash"]


def test_a_chain_that_does_not_hold_stops_the_upgrade(
    installation: tuple[dict[str, str], Path],
) -> None:
    env, database = installation
    old_chain(database, 4)
    with sqlite3.connect(database) as db:
        db.execute("UPDATE audit_auditevent SET action = 'viewed' WHERE seq = 2")
    db.close()
    before = rows(database)
    refused = alliance(env, "migrate", "-v", "0", check=False)
    assert refused.returncode != 0
    assert "The audit chain does not hold (row 2" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert audit_migration(database) == "0002_alter_auditevent_action"
    assert rows(database) == before
