"""Message bodies and automatic replies never reach the database file in plain text."""

from __future__ import annotations

from typing import Any

from tests.sentinel import run_on_database_file

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
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert raw
    for sentinel in (b"SENTINEL-body-", b"SENTINEL-reply-", b"SENTINEL-answer-"):
        assert sentinel not in raw
