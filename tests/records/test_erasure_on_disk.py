"""After an erasure, nothing of the client is left in the SQLite file or its write-ahead log.

Names and e-mail addresses are stored in plain text (SECURITY.md), so this is the test
that the erasure really overwrites them: the old name the client changed away from too,
which an ordinary delete would leave in the file's free space.
"""

from __future__ import annotations

from typing import Any

from tests.sentinel import run_on_database_file

SCRIPT = """
from django.db import connection
# As on an SQLite built without SQLITE_SECURE_DELETE (Debian's has it on by default):
# ordinary deletes and updates leave the old bytes in the file's free space.
with connection.cursor() as cursor:
    cursor.execute("PRAGMA secure_delete = OFF")
from alliance.accounts.services import user_update_profile
from alliance.care.services import episode_open
from alliance.messaging.services import message_send
from alliance.plans.services import goal_propose
from alliance.preferences.services import agenda_item_add
from alliance.records.erasure import client_erase
from tests.conftest import make_user
alice = make_user("alice@example.test", "Alice", "therapist")
ada = make_user("ada@example.test", "Ada", "admin")
dana = make_user("qx" + "sentinel-mail@example.test", "Qxoldname" + "Sentinel", "client")
user_update_profile(actor=dana, preferred_name="Qxname" + "Sentinel", pronouns="qx/" + "sentinel",
                    language="en")
eve = make_user("eve-keeps@example.test", "Evekeeps" + "Herself", "client")
dana_episode = episode_open(actor=alice, client=dana, therapist=alice)
eve_episode = episode_open(actor=alice, client=eve, therapist=alice)
message_send(actor=dana, episode=dana_episode, body="Qxmessage" + "Sentinel", notify=False)
goal_propose(actor=dana, episode=dana_episode, text="Qxgoal" + "Sentinel")
agenda_item_add(actor=dana, episode=dana_episode, text="Qxagenda" + "Sentinel")
message_send(actor=eve, episode=eve_episode, body="Eve writes", notify=False)
result = client_erase(actor=ada, client=dana)
print("compacted" if result.compacted else "not compacted")
"""

SENTINELS = (
    b"qxsentinel-mail",
    b"QxoldnameSentinel",
    b"QxnameSentinel",
    b"qx/sentinel",
    b"QxmessageSentinel",
    b"QxgoalSentinel",
    b"QxagendaSentinel",
)


def test_the_erased_clients_name_email_and_words_are_gone_from_the_file(tmp_path: Any) -> None:
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "compacted" in stdout and "not compacted" not in stdout
    found = [sentinel for sentinel in SENTINELS if sentinel in raw]
    assert not found, found
    # The check can see a name when there is one: the other client's is still there.
    assert b"EvekeepsHerself" in raw
    assert b"eve-keeps@example.test" in raw
