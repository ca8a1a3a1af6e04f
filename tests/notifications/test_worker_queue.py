"""The worker's queue under a round slower than its interval (10,000 clients: over a minute;
benchmarks/README.md): a risk alert's e-mail goes before the round's work, and a round still
queued or running is not queued again, by this worker or another."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from alliance.lib.claims import CLAIM_TIMEOUT
from alliance.notifications.tasks import check_alerts, send_alert_notification, send_due_reminders
from alliance.web.management.commands.worker import Command

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

pytestmark = pytest.mark.django_db


def queue_a_round() -> str:
    out = StringIO()
    command = Command(stdout=out)
    with override_settings(TASKS=DB_TASKS):
        command._queue_round()
    return out.getvalue()


def queued(task: Any) -> int:
    return DBTaskResult.objects.filter(
        task_path=task.module_path, status=TaskResultStatus.READY
    ).count()


def test_a_risk_alerts_email_goes_before_the_rounds_work() -> None:
    queue_a_round()
    with override_settings(TASKS=DB_TASKS):
        send_alert_notification.enqueue(1)  # queued last
    assert DBTaskResult.objects.ready().first().task_path == send_alert_notification.module_path


def test_a_round_still_queued_is_not_queued_again() -> None:
    first = queue_a_round()
    assert "queued send_due_reminders, check_alerts" in first
    # The next interval comes while the round still waits (or another worker's does).
    second = queue_a_round()
    assert "queued" not in second.replace("not queued", "")
    assert "not queued again: bulk_exports_due, check_alerts" in second
    assert queued(check_alerts) == queued(send_due_reminders) == 1


def test_a_round_running_is_not_queued_again_unless_its_worker_died() -> None:
    queue_a_round()
    DBTaskResult.objects.filter(task_path=check_alerts.module_path).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    DBTaskResult.objects.exclude(task_path=check_alerts.module_path).update(
        status=TaskResultStatus.SUCCESSFUL
    )
    text = queue_a_round()
    assert "not queued again: check_alerts" in text and queued(check_alerts) == 0
    assert queued(send_due_reminders) == 1  # the finished ones are queued for this round
    # Running for longer than a claim lasts: its worker died (the queue leaves it
    # "running"), and the task is queued again.
    DBTaskResult.objects.filter(task_path=check_alerts.module_path).update(
        started_at=timezone.now() - CLAIM_TIMEOUT - timedelta(minutes=1)
    )
    DBTaskResult.objects.filter(task_path=send_due_reminders.module_path).update(
        status=TaskResultStatus.SUCCESSFUL
    )
    assert "queued send_due_reminders, check_alerts" in queue_a_round()
    assert queued(check_alerts) == 1
