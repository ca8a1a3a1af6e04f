"""Two `alliance worker` processes, one database: every background e-mail is sent
exactly once — session and check-in reminders, alert e-mails, message notices, and the
reminders and alert e-mails a dead worker left claimed — none missed, none twice, no
alert raised twice, and each open episode visited by one worker's round.

The workers are real processes (`alliance worker --once`, started together), with Django's
file-based e-mail backend writing to one directory that is counted afterwards. The
database is a SQLite file of their own (one writer at a time, so the claims there are
checked but the race is milder), and a new database on the PostgreSQL server that
ALLIANCE_TEST_POSTGRES_URL or (in CI's PostgreSQL pass) DATABASE_URL points at, dropped
afterwards; with neither set, the PostgreSQL case is skipped.
"""

from __future__ import annotations

import base64
import email
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest

from tests.test_move_database import _server_url

ROOT = Path(__file__).resolve().parents[1]
KEY = base64.urlsafe_b64encode(b"w" * 32).decode()

SESSIONS = 12  # clients with a session tomorrow: one reminder each
CHECKINS = 12  # clients with three overdue check-ins: one reminder each
ALERTS = 12  # risk answers, each to its own therapist: one alert e-mail each
MESSAGES = 8  # client messages, each to its own therapist: one notice each
DEAD_REMINDERS = 4  # session reminders a dead worker claimed an hour ago
DEAD_ALERTS = 4  # alert e-mails a dead worker claimed an hour ago
EPISODES = SESSIONS + CHECKINS + ALERTS + MESSAGES + DEAD_REMINDERS + DEAD_ALERTS  # all open

SETTINGS = """
from alliance.settings import *  # noqa: F403
import os
EMAIL_BACKEND = "two_workers_mail.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["TWO_WORKERS_MAIL_DIR"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""

# A mail server that takes its time, as real ones do: the workers' rounds overlap, so the
# second looks for due reminders while the first is still sending them.
MAIL = """
import time
from django.core.mail.backends.filebased import EmailBackend

class SlowFileBackend(EmailBackend):
    def send_messages(self, messages):
        time.sleep(0.05)
        return super().send_messages(messages)
"""

SEED = f"""
from datetime import timedelta
from django.utils import timezone
from alliance.accounts.mfa import totp_activate
from alliance.accounts.services import user_create
from alliance.alerts.models import Alert
from alliance.care.models import Session
from alliance.care.services import episode_open
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, When
from alliance.measures.services import administration_request
from alliance.messaging.services import message_send
from alliance.notifications.models import ReminderSent

def user(email, role):
    made = user_create(
        actor=None, email=email, password="pw-two-workers", preferred_name="P", role=role
    )
    if role == "therapist":
        totp_activate(user=made, secret="JBSWY3DPEHPK3PXP")
    return made

now = timezone.now()
def episode(prefix, n, therapist=None):
    client = user(f"{{prefix}}-{{n}}@example.test", "client")
    therapist = therapist or user(f"t{{prefix}}-{{n}}@example.test", "therapist")
    return client, therapist, episode_open(actor=therapist, client=client, therapist=therapist)

shared = user("t-shared@example.test", "therapist")
for n in range({SESSIONS}):
    _c, _t, ep = episode("session", n, shared)
    Session.objects.create(episode=ep, number=1, starts_at=now + timedelta(hours=5))
for n in range({CHECKINS}):
    _c, _t, ep = episode("checkin", n, shared)
    for hours in (2, 3, 4):
        Administration.objects.create(episode=ep, instrument_id="phq-9", instrument_version="1",
            when=When.WEEKLY, due_at=now - timedelta(hours=hours))
for n in range({ALERTS}):
    client, therapist, ep = episode("alert", n)
    administration = administration_request(actor=therapist, episode=ep, instrument_id="phq-9")
    response_submit(actor=client, administration=administration, answers=[0] * 8 + [2])
for n in range({MESSAGES}):
    client, _t, ep = episode("message", n)
    message_send(actor=client, episode=ep, body="Hello")
for n in range({DEAD_REMINDERS}):
    client, _t, ep = episode("dead-reminder", n, shared)
    session = Session.objects.create(episode=ep, number=1, starts_at=now + timedelta(hours=5))
    ReminderSent.objects.create(kind="session", object_id=session.pk, user=client, attempts=1,
        claimed_at=now - timedelta(hours=1), claimed_by="gone:1")
for n in range({DEAD_ALERTS}):
    client, therapist, ep = episode("dead-alert", n)
    Alert.objects.create(episode=ep, client=client, kind="risk",
        created_at=now - timedelta(hours=2), notification="sending",
        notification_attempted_at=now - timedelta(hours=1),
        notification_claimed_by="gone:1")
print("seeded")
"""

REMINDER = "A reminder from"
ALERT = "A client needs your attention"
NOTICE = "You have a new message"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new database for the two workers: a SQLite file of their own (its writers take
    turns), or a new database on the PostgreSQL server named for the tests."""
    if request.param == "sqlite":
        yield ""  # the default file in the test's ALLIANCE_VAR_DIR
        return
    server = _server_url()
    if not server:
        pytest.skip(
            "no PostgreSQL for two workers to share: set ALLIANCE_TEST_POSTGRES_URL=postgres://… "
            "(CI runs this in its PostgreSQL pass, with DATABASE_URL)"
        )
    import psycopg

    name = f"alliance_workers_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def alliance(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "alliance", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def sent(mail_dir: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every e-mail the file backend wrote, from every process."""
    found = []
    for path in mail_dir.iterdir():
        for text in path.read_text().split("\n" + "-" * 79 + "\n"):
            if not text.strip():
                continue
            message = email.message_from_string(text)
            subject = str(make_header(decode_header(message["Subject"])))
            found.append((str(message["To"]), subject))
    return found


def test_two_workers_send_every_email_exactly_once(database: str, tmp_path: Path) -> None:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    (tmp_path / "two_workers_settings.py").write_text(SETTINGS)
    (tmp_path / "two_workers_mail.py").write_text(MAIL)
    env: dict[str, Any] = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ALLIANCE_", "DJANGO_")) and k != "DATABASE_URL"
        },
        "ALLIANCE_DEBUG": "true",
        "ALLIANCE_VAR_DIR": str(tmp_path / "var"),
        "ALLIANCE_FIELD_KEYS": KEY,
        "DJANGO_SETTINGS_MODULE": "two_workers_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src")]),
        "TWO_WORKERS_MAIL_DIR": str(mail_dir),
    }
    if database:
        env["DATABASE_URL"] = database
    alliance(env, "migrate", "-v", "0")
    assert "seeded" in alliance(env, "shell", "-v", "0", "-c", SEED)
    assert sent(mail_dir) == []  # queued, not sent: that is the workers' job

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "alliance", "worker", "--once"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    reported = Counter[str]()
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err + out
        found = re.search(r"(\d+) session and (\d+) check-in reminders sent", out)
        assert found, out
        reported.update(sessions=int(found[1]), checkins=int(found[2]))
        visits = re.search(r"check_alerts: (\d+) due open episodes checked", out)
        assert visits, out
        reported.update(episodes=int(visits[1]))
    # What the two said they sent adds up: each reminder was sent by one of them. And
    # the round over open episodes (all due: new) visited each once, between them.
    assert reported == {
        "sessions": SESSIONS + DEAD_REMINDERS,
        "checkins": CHECKINS,
        "episodes": EPISODES,
    }

    emails = Counter(sent(mail_dir))
    twice = {key: count for key, count in emails.items() if count > 1}
    assert twice == {}
    by_subject = Counter(
        (subject.split(" ")[0] if subject.startswith(REMINDER) else subject)
        for _to, subject in emails
    )

    def to(prefix: str, count: int, subject: str) -> set[tuple[str, str]]:
        return {(f"{prefix}-{n}@example.test", subject) for n in range(count)}

    reminder = next(subject for _to, subject in emails if subject.startswith(REMINDER))
    expected = (
        to("session", SESSIONS, reminder)
        | to("checkin", CHECKINS, reminder)
        | to("dead-reminder", DEAD_REMINDERS, reminder)
        | to("talert", ALERTS, ALERT)
        | to("tdead-alert", DEAD_ALERTS, ALERT)
        | to("tmessage", MESSAGES, NOTICE)
    )
    assert set(emails) == expected, by_subject

    # And in the database: every claim finished, every queued task run once, no alert twice.
    check = alliance(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from collections import Counter\n"
        "from alliance.alerts.models import Alert\n"
        "from alliance.notifications.models import ReminderSent\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "print(sorted(Counter(ReminderSent.objects.values_list('status', flat=True)).items()))\n"
        "print(sorted(Counter(DBTaskResult.objects.values_list('status', flat=True)).items()))\n"
        "print(max(Counter(Alert.objects.filter(status='open').exclude(kind='risk')"
        ".values_list('episode_id', 'kind')).values(), default=0))\n"
        "print(sorted(Counter(Alert.objects.filter(kind='risk')"
        ".values_list('notification', flat=True)).items()))\n",
    ).splitlines()
    reminders = SESSIONS + CHECKINS * 3 + DEAD_REMINDERS
    assert check[0] == str([("sent", reminders)])
    assert check[1] == str([("SUCCESSFUL", ALERTS + MESSAGES)])
    assert int(check[2]) <= 1
    assert check[3] == str([("sent", ALERTS + DEAD_ALERTS)])
