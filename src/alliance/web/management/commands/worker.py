"""`alliance worker`: the database-backed task worker, plus the periodic round.

It lives in `web`, the top layer, because it runs the work of many apps (notifications,
alerts, webhooks, the API's tokens): in one of them it would make the apps import each other
round in a circle.
"""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import (
    DEFAULT_TASK_BACKEND_ALIAS,
    DEFAULT_TASK_QUEUE_NAME,
    TaskResultStatus,
    task_backends,
)
from django_tasks.signals import task_finished

from alliance.alerts.tasks import refresh_reports
from alliance.api.tasks import bulk_exports_due, clear_expired_oauth_tokens
from alliance.audit.services import audit_checkpoint_if_due
from alliance.lib.claims import CLAIM_TIMEOUT
from alliance.notifications.tasks import (
    check_alerts,
    resume_alert_notifications,
    resume_message_notices,
    send_due_reminders,
)
from alliance.webhooks.tasks import send_due_webhooks

# The periodic round, in the order it runs.
ROUND_TASKS = (
    send_due_reminders,
    check_alerts,
    resume_alert_notifications,
    resume_message_notices,
    send_due_webhooks,
    clear_expired_oauth_tokens,
    bulk_exports_due,
    refresh_reports,
)

# How often the queue is looked at for work (alert e-mails) between periodic rounds.
POLL_SECONDS = 1.0


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run the background worker: it sends queued e-mails (alerts) and, every --interval "
        "seconds, queues the session and check-in reminders, the disengagement check and the "
        "alert e-mails a stopped worker left unsent, removes apps' expired tokens and FHIR "
        "exports past their time (running those left behind), brings the practice reports' "
        "figures up to date (every four minutes), and "
        "appends a checkpoint of the audit chain to ALLIANCE_AUDIT_CHECKPOINT when the last "
        "is an hour old. Stops cleanly on "
        "Ctrl+C or SIGTERM. --once runs one round and exits (for cron). Any number of "
        "workers may share one PostgreSQL database: each e-mail is claimed by one of them "
        "(README, Deploying)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=_positive,
            default=60.0,
            help="Seconds between reminder rounds (default 60).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run one round now (reminders, disengagement check, queued tasks) and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stopping = False
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        from django_tasks_db import DatabaseBackend

        has_queue = isinstance(backend, DatabaseBackend)
        if options["once"]:
            self._round_now()
            if has_queue:
                self._drain()
            return
        if not has_queue:
            raise CommandError(
                "`alliance worker` needs the database task queue: set TASKS to "
                '{"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}.'
            )
        self._serve(options["interval"])

    def _round_now(self) -> None:
        """One round, run here and now rather than through the queue."""
        for work in ROUND_TASKS:
            self._report(work.name, work.call())
        self._checkpoint()

    def _checkpoint(self) -> None:
        """The audit chain's head, anchored outside the database at least hourly. Here, not
        through the queue: a queue behind on its work must not delay it. A checkpoint that
        cannot be written is said, and the worker goes on with its other work."""
        try:
            checkpoint = audit_checkpoint_if_due()
        except (DatabaseError, ObjectDoesNotExist) as error:
            self.stderr.write(f"audit checkpoint: could not read the chain's head ({error})")
            return
        except OSError as error:
            self.stderr.write(
                f"audit checkpoint: could not write {settings.AUDIT_CHECKPOINT}: "
                f"{error.strerror or error}"
            )
            return
        if checkpoint is not None:
            self.stdout.write(
                f"audit checkpoint: row {checkpoint.seq} written to {settings.AUDIT_CHECKPOINT}"
            )

    def _report(self, name: str, result: Any) -> None:
        if name == "send_due_reminders" and isinstance(result, dict):
            self.stdout.write(
                f"send_due_reminders: {result.get('sessions', 0)} session and "
                f"{result.get('checkins', 0)} check-in reminders sent, "
                f"{result.get('failed', 0)} could not be sent"
            )
        elif name == "check_alerts" and isinstance(result, dict):
            self.stdout.write(
                f"check_alerts: {result.get('episodes', 0)} due open episodes checked, "
                f"{result.get('checkins_changed', 0)} check-ins added or withdrawn to follow "
                f"their schedules, {result.get('raised', 0)} disengagement alerts raised"
            )
        elif name == "resume_alert_notifications" and isinstance(result, int):
            if result:
                self.stdout.write(f"resume_alert_notifications: {result} late alert e-mails sent")
        elif name == "resume_message_notices" and isinstance(result, int):
            if result:
                self.stdout.write(f"resume_message_notices: {result} late message notices sent")
        elif name == "send_due_webhooks" and isinstance(result, dict):
            if result.get("delivered") or result.get("failed"):
                self.stdout.write(
                    f"send_due_webhooks: {result.get('delivered', 0)} webhook deliveries "
                    f"made, {result.get('failed', 0)} not delivered (tried again later)"
                )
        elif name == "refresh_reports" and isinstance(result, int):
            if result:
                self.stdout.write(f"refresh_reports: {result} practice reports brought up to date")
        elif name == "clear_expired_oauth_tokens" and isinstance(result, int):
            if result:
                self.stdout.write(
                    f"clear_expired_oauth_tokens: {result} expired app tokens removed"
                )
        elif name == "bulk_exports_due" and isinstance(result, dict):
            if result.get("removed") or result.get("ran"):
                self.stdout.write(
                    f"bulk_exports_due: {result.get('removed', 0)} FHIR exports past their "
                    f"time removed, {result.get('ran', 0)} left behind run"
                )
        elif name == "run_bulk_export":
            self.stdout.write(f"run_bulk_export: {'written' if result else 'not run here'}")
        else:
            self.stdout.write(f"{name}: done")

    def _on_task_finished(self, sender: Any, task_result: Any, **kwargs: Any) -> None:
        name = task_result.task.name
        if task_result.status == "SUCCESSFUL":
            self._report(name, task_result.return_value)
        else:
            # The traceback is stored with the task result; nothing about a client here.
            self.stderr.write(f"{name}: failed (task {task_result.id})")

    def _worker(self) -> Any:
        from django_tasks_db.management.commands.db_worker import Worker

        return Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=0,
            batch=True,  # run() returns once the queue is empty
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )

    def _drain(self, worker: Any | None = None) -> None:
        worker = worker or self._worker()
        task_finished.connect(self._on_task_finished, dispatch_uid="alliance-worker-report")
        try:
            worker.running = not self.stopping
            worker.run()
        finally:
            task_finished.disconnect(dispatch_uid="alliance-worker-report")

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            raise SystemExit(1)  # asked twice: stop now
        self.stdout.write(
            f"{signal.strsignal(signum)}: stopping after the current task "
            "(press Ctrl+C again to force)"
        )
        self.stopping = True
        if self.worker is not None:
            self.worker.running = False

    def _queue_round(self) -> None:
        """Queue the round's tasks, each unless the same task is still queued or running
        (from this worker's last round or another worker's): a round that takes longer
        than the interval, as at 10,000 clients, must not pile up in the queue."""
        from django_tasks_db.models import DBTaskResult

        # Running since before CLAIM_TIMEOUT: its worker died mid-task (the queue leaves
        # such a task "running"); queue the task again.
        waiting = set(
            DBTaskResult.objects.filter(task_path__in=[work.module_path for work in ROUND_TASKS])
            .filter(
                Q(status=TaskResultStatus.READY)
                | Q(
                    status=TaskResultStatus.RUNNING,
                    started_at__gt=timezone.now() - CLAIM_TIMEOUT,
                )
            )
            .values_list("task_path", flat=True)
        )
        queued = [work for work in ROUND_TASKS if work.module_path not in waiting]
        for work in queued:
            work.enqueue()
        if queued:
            self.stdout.write("queued " + ", ".join(work.name for work in queued))
        if waiting:
            self.stdout.write(
                "still waiting from an earlier round, not queued again: "
                + ", ".join(sorted(path.rsplit(".", 1)[1] for path in waiting))
            )

    def _serve(self, interval: float) -> None:
        self.worker = self._worker()
        previous = {
            signum: signal.signal(signum, self._stop) for signum in (signal.SIGINT, signal.SIGTERM)
        }
        self.stdout.write(f"Worker started; reminder rounds every {interval:g} s.")
        next_round = time.monotonic()
        while not self.stopping:
            if time.monotonic() >= next_round:
                self._queue_round()
                self._checkpoint()
                next_round = time.monotonic() + interval
            self._drain(self.worker)
            wait_until = time.monotonic() + min(POLL_SECONDS, interval)
            while not self.stopping and time.monotonic() < wait_until:
                time.sleep(0.1)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        self.stdout.write("Worker stopped.")

    worker: Any = None
