"""Message bodies and automatic replies never reach the database file in plain text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")

SCRIPT = """
from datetime import time
from alliance.care.services import episode_open
from alliance.messaging.models import Message, OfficeHours
from alliance.messaging.services import message_send, office_hours_set
from tests.conftest import make_user
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
# No office days at all: the client's message brings the automatic reply.
office_hours_set(
    actor=therapist, days=[0], starts_at=time(0), ends_at=time(0, 1),
    auto_reply="SENTINEL-reply-" + "31c9",
)
OfficeHours.objects.filter(therapist=therapist).update(days=[])
message_send(actor=client, episode=episode, body="SENTINEL-body-" + "77ab", notify=False)
message_send(actor=therapist, episode=episode, body="SENTINEL-answer-" + "e04d", notify=False)
bodies = [m.body for m in Message.objects.order_by("pk")]
assert bodies == ["SENTINEL-body-77ab", "SENTINEL-reply-31c9", "SENTINEL-answer-e04d"], bodies
assert OfficeHours.objects.get().auto_reply == "SENTINEL-reply-31c9"
print("stored")
"""


def test_sqlite_file_holds_no_plaintext_of_messages(tmp_path: Any) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(LOCAL_SETTINGS)},
        "ALLIANCE_DEBUG": "true",
        "ALLIANCE_VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    for args in (["migrate", "-v", "0"], ["shell", "-c", SCRIPT]):
        done = subprocess.run(
            [sys.executable, "-m", "alliance", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert "stored" in done.stdout
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("alliance.sqlite3*"))
    assert raw
    for sentinel in (b"SENTINEL-body-", b"SENTINEL-reply-", b"SENTINEL-answer-"):
        assert sentinel not in raw
