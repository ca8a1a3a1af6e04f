"""`alliance backup` and `alliance restore`: the demo practice round-trips exactly.

Each test runs the real commands in a subprocess against a database of its own: a SQLite
file, or — when the suite runs against PostgreSQL (DATABASE_URL) — a throwaway database
created beside the test database.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.own_database import with_own_database

ROOT = Path(__file__).resolve().parents[1]
KEY = base64.urlsafe_b64encode(b"b" * 32).decode()
OTHER_KEY = base64.urlsafe_b64encode(b"c" * 32).decode()


def _database(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for an `alliance` subprocess with an empty database of its own."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ALLIANCE_", "DJANGO_"))},
        "ALLIANCE_DEBUG": "true",
        "ALLIANCE_VAR_DIR": str(tmp_path / "var"),
        "ALLIANCE_BACKUP_KEYS": KEY,
        "PYTHONPATH": str(ROOT / "src"),
    }
    yield from with_own_database(env, "alliance_backup")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One demo practice for the module (loading it takes a while); tests leave it usable."""
    for env in _database(tmp_path_factory.mktemp("demo")):
        alliance(env, "migrate", "-v", "0")
        alliance(env, "demo", "--no-serve", "--max-weeks", "4")
        yield env


def alliance(env: dict[str, str], *args: str, check: bool = True) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr + done.stdout
    return done


def export(env: dict[str, str]) -> str:
    """Everything in the database, free text decrypted (dumpdata serialises field values)."""
    return str(alliance(env, "dumpdata", "--indent", "0").stdout)


CHANGE = (
    "from alliance.accounts.models import User; "
    "User.objects.filter(email='client1@demo.test').update(preferred_name='Changed')"
)

# Each client's whole-record export (alliance.records), as a digest per client. The
# export has no generation time in it; sessions are "planned" or "finished" relative to
# ``now``, so the comparison fixes it.
RECORD_EXPORTS = """
import hashlib, json
from datetime import datetime
from alliance.accounts.models import User
from alliance.records.export import record_bundle_json
from alliance.records.selectors import client_record
now = datetime.fromisoformat("2030-01-01T00:00:00+00:00")
clients = User.objects.filter(role="client")
if EMAILS:
    clients = clients.filter(email__in=EMAILS)
digests = {
    client.email: hashlib.sha256(
        record_bundle_json(client_record(client), now=now).encode()
    ).hexdigest()
    for client in clients.order_by("email")
}
print(json.dumps(digests))
"""


def record_exports(env: dict[str, str], *emails: str) -> dict[str, str]:
    """The record export (FHIR JSON) of these clients, or of every client, by e-mail
    address, as SHA-256 digests."""
    script = f"EMAILS = {list(emails)!r}\n{RECORD_EXPORTS}"
    out = alliance(env, "shell", "-c", script).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def test_the_demo_practice_round_trips_exactly(demo: dict[str, str], tmp_path: Path) -> None:
    before = export(demo)
    assert "Dana" in before  # decrypted content is part of what is compared
    records_before = record_exports(demo)
    assert {f"client{n}@demo.test" for n in range(1, 31)} <= records_before.keys()
    backup = tmp_path / "practice.bak"
    made = alliance(demo, "backup", str(backup))
    assert "Backup written" in made.stdout
    assert "Copying the database" in made.stderr or "pg_dump" in made.stderr  # progress
    raw = backup.read_bytes()
    assert b"Dana" not in raw and b"demo.test" not in raw  # sealed, not readable
    alliance(demo, "shell", "-c", CHANGE)
    assert export(demo) != before
    changed = record_exports(demo, "client1@demo.test", "client2@demo.test")
    assert changed["client1@demo.test"] != records_before["client1@demo.test"]
    assert changed["client2@demo.test"] == records_before["client2@demo.test"]
    alliance(demo, "restore", str(backup), "--yes")
    assert export(demo) == before
    # Every client's own export (their whole record, as they would download it) too.
    assert record_exports(demo) == records_before


def test_a_damaged_or_foreign_backup_changes_nothing(demo: dict[str, str], tmp_path: Path) -> None:
    backup = tmp_path / "practice.bak"
    alliance(demo, "backup", str(backup))
    alliance(demo, "shell", "-c", CHANGE)
    changed = export(demo)
    damaged = tmp_path / "damaged.bak"
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    refused = alliance(demo, "restore", str(damaged), "--yes", check=False)
    assert refused.returncode != 0
    assert "changed or damaged" in refused.stderr
    short = tmp_path / "short.bak"
    short.write_bytes(backup.read_bytes()[:-100])
    refused = alliance(demo, "restore", str(short), "--yes", check=False)
    assert "cut short" in refused.stderr
    wrong_key = alliance(
        {**demo, "ALLIANCE_BACKUP_KEYS": OTHER_KEY}, "restore", str(backup), "--yes", check=False
    )
    assert "None of the configured backup keys" in wrong_key.stderr
    assert "Traceback" not in refused.stderr + wrong_key.stderr
    assert export(demo) == changed
    # Key rotation: a new first key, the old one still listed, still opens old backups.
    checked = alliance(
        {**demo, "ALLIANCE_BACKUP_KEYS": f"{OTHER_KEY},{KEY}"}, "restore", str(backup), "--check"
    )
    assert "checks out" in checked.stdout


AUDIT_EVENT = (
    "from alliance.audit.services import audit_record; "
    "audit_record(actor=None, action='login_failed')"
)


def test_a_restored_older_copy_shows_as_a_rollback_until_it_is_recorded(
    demo: dict[str, str], tmp_path: Path
) -> None:
    backup = tmp_path / "practice.bak"
    made = alliance(demo, "backup", str(backup))
    assert "Audit checkpoint: row" in made.stderr  # every backup writes one
    alliance(demo, "shell", "-c", AUDIT_EVENT)
    alliance(demo, "audit-checkpoint")
    assert "Audit chain holds" in alliance(demo, "verify-audit").stdout
    restored = alliance(demo, "restore", str(backup), "--yes")
    assert "alliance audit-checkpoint --restored" in restored.stderr
    rolled_back = alliance(demo, "verify-audit", check=False)
    assert rolled_back.returncode == 1
    assert "rolled back to an older copy" in rolled_back.stderr
    alliance(demo, "audit-checkpoint", "--restored")
    held = alliance(demo, "verify-audit")
    assert "Audit chain holds" in held.stdout and "A restore was recorded" in held.stdout


def test_without_a_backup_key_nothing_is_written(demo: dict[str, str], tmp_path: Path) -> None:
    env = {k: v for k, v in demo.items() if k != "ALLIANCE_BACKUP_KEYS"}
    refused = alliance(env, "backup", str(tmp_path / "x.bak"), check=False)
    assert refused.returncode != 0
    assert "ALLIANCE_BACKUP_KEYS" in refused.stderr
    assert not (tmp_path / "x.bak").exists()
