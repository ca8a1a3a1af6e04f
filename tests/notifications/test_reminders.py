"""Reminders sent by the worker: once each, only to clients who want them, and with no
health information."""

from __future__ import annotations

import os
import signal
from datetime import timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from alliance.alerts.models import Alert, AlertKind
from alliance.care.models import Session
from alliance.care.services import episode_close
from alliance.measures.models import Administration, When
from alliance.measures.schedules import schedule_for
from alliance.notifications.models import ReminderSent
from alliance.notifications.tasks import (
    MAX_ATTEMPTS,
    check_alerts,
    send_alert_notification,
    send_due_reminders,
)

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
HEALTH_WORDS = ["phq", "gad", "depress", "anxi", "risk", "alice", "session-feedback", "pcl"]


class FailForDana(EmailBackend):
    """Delivers every message except those to Dana, which fail as an SMTP error would."""

    def send_messages(self, messages: Any) -> int:
        if any("dana@" in address for message in messages for address in message.to):
            raise ConnectionRefusedError("no mail server")
        return super().send_messages(messages)


class AlwaysFail(EmailBackend):
    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("no mail server")


def session_in(episode: Any, delta: timedelta, number: int = 1) -> Session:
    return Session.objects.create(episode=episode, number=number, starts_at=timezone.now() + delta)


def overdue_checkin(episode: Any, instrument: str = "phq-9", hours: int = 2) -> Administration:
    return Administration.objects.create(
        episode=episode,
        instrument_id=instrument,
        instrument_version="1",
        when=When.WEEKLY,
        due_at=timezone.now() - timedelta(hours=hours),
    )


def run() -> dict[str, int]:
    return send_due_reminders.call()


def test_session_tomorrow_is_reminded_once(cast: Any) -> None:
    session = session_in(cast.dana_episode, timedelta(hours=20))

    assert run() == {"sessions": 1, "checkins": 0, "failed": 0}
    assert [m.to for m in mail.outbox] == [["dana@example.test"]]
    assert "You have a session on" in mail.outbox[0].body
    log = ReminderSent.objects.get()
    assert (log.kind, log.object_id, log.user, log.status) == (
        "session",
        session.pk,
        cast.dana,
        "sent",
    )

    assert run() == {"sessions": 0, "checkins": 0, "failed": 0}
    assert len(mail.outbox) == 1


def test_a_session_reminder_gives_the_time_on_the_clients_own_clock(cast: Any) -> None:
    from alliance.accounts.models import User

    User.objects.filter(pk=cast.eve.pk).update(time_zone="Asia/Tokyo")
    session = session_in(cast.eve_episode, timedelta(hours=20))
    run()
    (message,) = mail.outbox
    there = session.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{there:%H:%M} (zona horaria de Tokyo)" in message.body
    assert "Tiene una sesión el " in message.body


def test_sessions_outside_the_next_day_are_not_reminded(cast: Any) -> None:
    session_in(cast.dana_episode, timedelta(hours=30))
    session_in(cast.eve_episode, -timedelta(hours=1))
    assert run()["sessions"] == 0
    assert mail.outbox == []


@pytest.mark.parametrize("why", ["reminders off", "inactive", "episode closed"])
def test_no_reminder_for_clients_who_should_not_get_one(cast: Any, why: str) -> None:
    if why == "reminders off":
        cast.dana.reminders_enabled = False
        cast.dana.save()
    elif why == "inactive":
        cast.dana.is_active = False
        cast.dana.save()
    else:
        episode_close(actor=cast.alice, episode=cast.dana_episode)
    session_in(cast.dana_episode, timedelta(hours=3))
    overdue_checkin(cast.dana_episode)

    assert run() == {"sessions": 0, "checkins": 0, "failed": 0}
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_overdue_checkin_is_reminded_once_per_client(cast: Any) -> None:
    first = overdue_checkin(cast.dana_episode, "phq-9")
    second = overdue_checkin(cast.dana_episode, "gad-7")
    overdue_checkin(cast.dana_episode, "phq-9", hours=24 * 30)  # too old to remind
    done = overdue_checkin(cast.eve_episode)
    done.completed_at = timezone.now()
    done.save()
    Administration.objects.create(  # not due yet
        episode=cast.eve_episode,
        instrument_id="gad-7",
        instrument_version="1",
        due_at=timezone.now() + timedelta(days=1),
    )

    assert run() == {"sessions": 0, "checkins": 1, "failed": 0}
    assert [m.to for m in mail.outbox] == [["dana@example.test"]]
    assert "You have a check-in waiting. Please sign in when you can." in mail.outbox[0].body
    assert set(ReminderSent.objects.values_list("kind", "object_id")) == {
        ("checkin", first.pk),
        ("checkin", second.pk),
    }
    assert run()["checkins"] == 0
    assert len(mail.outbox) == 1


def test_reminders_carry_no_health_information(cast: Any) -> None:
    session_in(cast.dana_episode, timedelta(hours=2))
    session_in(cast.eve_episode, timedelta(hours=5))
    for instrument in ["phq-9", "gad-7", "session-feedback", "pcl-5"]:
        overdue_checkin(cast.dana_episode, instrument)
        overdue_checkin(cast.eve_episode, instrument)
    Alert.objects.create(episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK)

    assert run() == {"sessions": 2, "checkins": 2, "failed": 0}
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}".lower()
        assert message.subject.startswith("A reminder from") or message.subject.startswith(
            "Un recordatorio"
        )
        for word in HEALTH_WORDS:
            assert word not in text, (word, text)
        assert message.to[0] in ("dana@example.test", "eve@example.test")


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.FailForDana")
def test_a_failed_email_is_recorded_and_the_rest_still_go(
    cast: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dana_session = session_in(cast.dana_episode, timedelta(hours=2))
    eve_session = session_in(cast.eve_episode, timedelta(hours=3))
    overdue_checkin(cast.eve_episode)

    assert run() == {"sessions": 1, "checkins": 1, "failed": 1}
    assert sorted(m.to[0] for m in mail.outbox) == ["eve@example.test"] * 2
    status = dict(ReminderSent.objects.values_list("object_id", "status").filter(kind="session"))
    assert status == {dana_session.pk: "failed", eve_session.pk: "sent"}
    # The log names no address and nothing about the session.
    assert "dana@" not in caplog.text

    # A failed reminder is tried again on the next round, up to MAX_ATTEMPTS in all.
    for _ in range(MAX_ATTEMPTS + 2):
        run()
    assert ReminderSent.objects.get(object_id=dana_session.pk, kind="session").attempts == (
        MAX_ATTEMPTS
    )


def test_failed_reminder_is_sent_on_a_later_round(cast: Any) -> None:
    session_in(cast.dana_episode, timedelta(hours=2))
    with override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.AlwaysFail"):
        assert run()["failed"] == 1
    assert run()["sessions"] == 1
    log = ReminderSent.objects.get()
    assert (log.status, log.attempts) == ("sent", 2)


def test_worker_once_runs_both_jobs(cast: Any) -> None:
    session_in(cast.dana_episode, timedelta(hours=2))
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "send_due_reminders: 1 session and 0 check-in reminders sent" in out.getvalue()
    assert "check_alerts: 2 due open episodes checked, " in out.getvalue()
    assert ", 0 disengagement alerts raised" in out.getvalue()
    assert len(mail.outbox) == 1


def test_check_alerts_raises_disengagement(cast: Any) -> None:
    # Eve's schedule asks for a weekly PHQ-9 (the round withdraws check-ins that are not
    # on the schedule); the last two were not completed.
    schedule = schedule_for(cast.eve_episode)
    schedule.weekly = ["phq-9"]
    schedule.save()
    for days in (3, 10):
        overdue_checkin(cast.eve_episode, hours=24 * days)
    result = check_alerts.call()
    assert (result["episodes"], result["raised"]) == (2, 1)
    assert Alert.objects.get().kind == AlertKind.DISENGAGEMENT


def test_alert_notification_task_records_sent(cast: Any) -> None:
    alert = Alert.objects.create(episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK)
    send_alert_notification.enqueue(alert.pk)  # immediate backend in tests
    alert.refresh_from_db()
    assert alert.notification == "sent"
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]


@override_settings(EMAIL_BACKEND="tests.notifications.test_reminders.AlwaysFail")
def test_alert_notification_task_records_failure_and_the_alert_stands(cast: Any) -> None:
    alert = Alert.objects.create(episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK)
    send_alert_notification.enqueue(alert.pk)
    alert.refresh_from_db()
    assert (alert.notification, alert.status) == ("failed", "open")
    assert alert.notification_attempted_at is not None


@pytest.mark.django_db(transaction=True)
def test_alert_notification_goes_through_the_database_queue(cast: Any) -> None:
    # Transactional: the worker closes its database connection between tasks, as a real
    # worker process does, which a test wrapped in one transaction cannot survive.
    alert = Alert.objects.create(episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK)
    with override_settings(TASKS=DB_TASKS):
        send_alert_notification.enqueue(alert.pk)
        alert.refresh_from_db()
        assert alert.notification == "pending"  # queued, not sent yet
        out = StringIO()
        call_command("worker", "--once", stdout=out)
    alert.refresh_from_db()
    assert alert.notification == "sent"
    assert "send_alert_notification: done" in out.getvalue()


def test_worker_needs_the_database_queue(cast: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="database task queue"):
        call_command("worker")


@pytest.mark.django_db(transaction=True)
def test_worker_runs_rounds_and_stops_on_sigterm(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.web.management.commands import worker

    session_in(cast.dana_episode, timedelta(hours=2))
    drains = []
    original = worker.Command._drain

    def drain_then_stop(self: Any, w: Any = None) -> None:
        original(self, w)
        drains.append(1)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(worker.Command, "_drain", drain_then_stop)
    before = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    with override_settings(TASKS=DB_TASKS):
        call_command("worker", "--interval", "5", stdout=out)
    text = out.getvalue()
    assert "queued send_due_reminders, check_alerts, " in text
    assert "send_due_reminders: 1 session and 0 check-in reminders sent" in text
    assert "check_alerts: 2 due open episodes checked" in text
    assert "stopping after the current task" in text
    assert text.rstrip().endswith("Worker stopped.")
    assert len(mail.outbox) == 1
    assert signal.getsignal(signal.SIGTERM) is before


def test_the_open_episode_check_reports_progress(cast: Any) -> None:
    from alliance.alerts.rules import disengagement_check_open_episodes

    seen: list[int] = []
    result = disengagement_check_open_episodes(progress=seen.append, every=1)
    assert result == {"episodes": 2, "raised": 0, "checkins_changed": 0, "checkins_expired": 0}
    assert seen == [1, 2]


def test_a_claim_left_by_a_dead_worker_is_retried_after_the_timeout(cast: Any) -> None:
    """A worker that died between claiming and recording leaves the reminder "sending":
    not sent again while the claim is fresh (another worker may be sending it), sent once
    the claim is older than CLAIM_TIMEOUT."""
    from alliance.notifications.tasks import CLAIM_TIMEOUT, due_reminders_send

    session = session_in(cast.dana_episode, timedelta(hours=5))
    now = timezone.now()
    ReminderSent.objects.create(
        kind="session",
        object_id=session.pk,
        user=cast.dana,
        attempts=1,
        claimed_at=now - timedelta(minutes=1),
        claimed_by="elsewhere:1",
    )
    assert due_reminders_send(now)["sessions"] == 0
    assert mail.outbox == []

    later = now + CLAIM_TIMEOUT
    assert due_reminders_send(later)["sessions"] == 1
    assert [m.to for m in mail.outbox] == [["dana@example.test"]]
    log = ReminderSent.objects.get()
    assert (log.status, log.attempts, log.claimed_at) == ("sent", 2, later)
    assert due_reminders_send(later + CLAIM_TIMEOUT)["sessions"] == 0
    assert len(mail.outbox) == 1


def test_a_stale_claim_is_not_retried_past_max_attempts(cast: Any) -> None:
    from alliance.notifications.tasks import CLAIM_TIMEOUT, due_reminders_send

    session = session_in(cast.dana_episode, timedelta(hours=5))
    now = timezone.now()
    ReminderSent.objects.create(
        kind="session",
        object_id=session.pk,
        user=cast.dana,
        attempts=MAX_ATTEMPTS,
        claimed_at=now - CLAIM_TIMEOUT * 2,
        claimed_by="elsewhere:1",
    )
    assert due_reminders_send(now)["sessions"] == 0
    assert mail.outbox == []


def test_an_alert_email_is_claimed_once(cast: Any) -> None:
    """The task run twice (a requeue, a second worker) sends one e-mail: the second call
    finds the e-mail claimed and sent."""
    from alliance.alerts.services import alert_notify

    alert = Alert.objects.create(episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK)
    assert alert_notify(alert.pk) is True
    assert alert_notify(alert.pk) is False
    assert len(mail.outbox) == 1
    alert.refresh_from_db()
    assert alert.notification == "sent"
    assert alert.notification_claimed_by


def test_alert_emails_lost_with_a_dead_worker_are_sent_by_the_round(cast: Any) -> None:
    """An e-mail whose task died with its worker (still "pending", or "sending" with a
    stale claim) is sent by the periodic round after CLAIM_TIMEOUT; a fresh claim, an old
    alert and a sent one are left alone."""
    from alliance.alerts.services import RESUME_LOOKBACK, alert_notifications_resume
    from alliance.lib.claims import CLAIM_TIMEOUT

    now = timezone.now()

    def alert(**fields: Any) -> Alert:
        return Alert.objects.create(
            episode=cast.dana_episode, client=cast.dana, kind=AlertKind.RISK, **fields
        )

    lost_task = alert(created_at=now - CLAIM_TIMEOUT * 2)
    dead_claim = alert(
        created_at=now - CLAIM_TIMEOUT * 3,
        notification="sending",
        notification_attempted_at=now - CLAIM_TIMEOUT * 2,
    )
    alert(created_at=now - CLAIM_TIMEOUT * 3, notification="sending", notification_attempted_at=now)
    alert(created_at=now)  # its task is simply still queued
    alert(created_at=now - RESUME_LOOKBACK * 2)
    alert(created_at=now - CLAIM_TIMEOUT * 2, notification="sent")

    assert alert_notifications_resume(now) == 2
    assert len(mail.outbox) == 2
    assert set(Alert.objects.filter(notification="sent", pk__in=[lost_task.pk, dead_claim.pk])) == {
        lost_task,
        dead_claim,
    }
    assert alert_notifications_resume(now) == 0
