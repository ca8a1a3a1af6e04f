"""Work done by the task-queue worker (`alliance worker`).

Every e-mail here is free of health information: no instrument, score, answer, alert or
therapist is named, only "you have a session on …" or "a check-in is waiting". Logs name
only ids and the kind of error.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.base import Task

from alliance.alerts.rules import disengagement_check_open_episodes
from alliance.alerts.services import alert_notifications_resume, alert_notify
from alliance.care.models import EpisodeStatus, Session
from alliance.lib.claims import CLAIM_TIMEOUT, worker_name
from alliance.localtime import when, zone_label, zone_of
from alliance.mail import send_in_language
from alliance.measures.models import Administration
from alliance.messaging.tasks import message_notices_resume
from alliance.notifications.models import ReminderKind, ReminderSent, ReminderStatus

if TYPE_CHECKING:
    from datetime import datetime

    from alliance.accounts.models import User


# A session is reminded once, within the day before it starts.
SESSION_WINDOW = timedelta(hours=24)
# Check-ins overdue for longer than this are not reminded (nor, on the first run, a backlog).
CHECKIN_LOOKBACK = timedelta(days=7)
# A reminder whose e-mail failed is tried again on later rounds, this many times in all.
MAX_ATTEMPTS = 3


def enqueue_in_transaction(work: Task[..., Any], *args: Any) -> None:
    """Queue ``work`` so that it is stored if and only if the caller's transaction is.

    With the database queue (production) the task row is written in the same transaction:
    a process killed between the commit and a later enqueue cannot leave, say, a risk alert
    whose e-mail is never sent (tests/durability). Other backends (the immediate one the
    test suite uses) run or send the task at once, so they wait for the commit.
    """
    from django_tasks import task_backends
    from django_tasks_db import DatabaseBackend

    if isinstance(task_backends[work.backend], DatabaseBackend):
        work.enqueue(*args)
    else:
        transaction.on_commit(lambda: work.enqueue(*args))


# The queue runs higher priorities first. A risk alert's e-mail must never wait behind the
# periodic round, which at 10,000 clients takes over a minute (benchmarks/README.md).
ALERT_EMAIL_PRIORITY = 50


@task(priority=ALERT_EMAIL_PRIORITY)
def send_alert_notification(alert_id: int) -> None:
    """The risk-alert e-mail to the therapist; `alert_notify` records sent or failed."""
    alert_notify(alert_id)


@task()
def resume_alert_notifications() -> int:
    """Alert e-mails whose task was lost (a worker killed mid-task) or is far behind."""
    return alert_notifications_resume()


@task()
def resume_message_notices() -> int:
    """Message notices whose task was lost (a worker killed mid-task) or is far behind."""
    return message_notices_resume()


@task()
def send_due_reminders() -> dict[str, int]:
    return due_reminders_send()


@task()
def check_alerts() -> dict[str, int]:
    return disengagement_check_open_episodes()


def due_reminders_send(now: datetime | None = None) -> dict[str, int]:
    """Remind clients of sessions in the next 24 hours and of overdue check-ins.

    Each session or check-in is reminded once, however many workers run this round at the
    same time; a failed e-mail is recorded and the rest still go.

    Claim, commit, send, record: the claim (a ``ReminderSent`` row in state "sending") is
    committed before the e-mail goes, so no lock is held while the mail server is slow, and
    a second worker that finds the claim leaves the reminder alone. A worker that dies
    after claiming and before recording leaves the claim "sending"; after CLAIM_TIMEOUT a
    later round claims it again and sends it. So delivery is at-least-once, not
    exactly-once: if the death came after the mail server accepted the e-mail but before
    the outcome was recorded, the client gets it twice. No e-mail is sent twice otherwise,
    and none is lost (README, "Deploying").
    """
    now = now or timezone.now()
    counts = {"sessions": 0, "checkins": 0, "failed": 0}

    for session in _sessions_due(now):
        client = session.episode.client
        with transaction.atomic():
            if not _claim(ReminderKind.SESSION, session.pk, client, now):
                continue
        ok = _send(client, "notifications/email/session.txt", {"when": session.starts_at})
        _finish(ReminderKind.SESSION, [session.pk], ok, now)
        counts["sessions" if ok else "failed"] += 1

    # One e-mail per client, however many of their questionnaires are waiting.
    by_client: dict[int, list[Administration]] = defaultdict(list)
    for administration in _checkins_overdue(now):
        by_client[administration.episode.client_id].append(administration)
    for administrations in by_client.values():
        client = administrations[0].episode.client
        # The client's check-ins are claimed together, in one transaction and in id order:
        # a second worker's claim waits on the first's uncommitted rows and then finds them
        # all taken, so the client never gets one e-mail from each worker.
        with transaction.atomic():
            claimed = [
                pk
                for pk in sorted(a.pk for a in administrations)
                if _claim(ReminderKind.CHECKIN, pk, client, now)
            ]
        if not claimed:
            continue
        ok = _send(client, "notifications/email/checkin.txt", {})
        _finish(ReminderKind.CHECKIN, claimed, ok, now)
        counts["checkins" if ok else "failed"] += 1
    return counts


def _reminded(kind: str, now: datetime) -> QuerySet[ReminderSent, int]:
    """Ids already reminded (or being reminded, or given up on after MAX_ATTEMPTS)."""
    return (
        ReminderSent.objects.filter(kind=kind)
        .filter(
            Q(status=ReminderStatus.SENT)
            | Q(status=ReminderStatus.SENDING, claimed_at__gte=now - CLAIM_TIMEOUT)
            | Q(attempts__gte=MAX_ATTEMPTS)
        )
        .values_list("object_id", flat=True)
    )


def _reachable() -> Q:
    """An open episode whose client is active and wants reminders."""
    return Q(
        episode__status=EpisodeStatus.OPEN,
        episode__client__is_active=True,
        episode__client__reminders_enabled=True,
    )


def _sessions_due(now: datetime) -> QuerySet[Session]:
    return (
        Session.objects.filter(_reachable(), starts_at__gt=now, starts_at__lte=now + SESSION_WINDOW)
        .exclude(pk__in=_reminded(ReminderKind.SESSION, now))
        .select_related("episode__client")
        .order_by("starts_at", "pk")
    )


def _checkins_overdue(now: datetime) -> QuerySet[Administration]:
    return (
        Administration.objects.filter(
            _reachable(),
            Q(available_from__isnull=True) | Q(available_from__lte=now),
            completed_at__isnull=True,
            cancelled_at__isnull=True,
            due_at__lt=now,
            due_at__gte=now - CHECKIN_LOOKBACK,
        )
        .exclude(pk__in=_reminded(ReminderKind.CHECKIN, now))
        .select_related("episode__client")
        .order_by("due_at", "pk")
    )


def _claim(kind: str, object_id: int, user: User, now: datetime) -> bool:
    """Take the reminder for this worker, so that two workers never both send it.

    Called inside the caller's transaction. A new reminder is claimed by inserting its row
    (the unique constraint on kind and object makes a concurrent insert wait, then fail);
    an existing one by a conditional UPDATE, which PostgreSQL re-checks once the row lock
    is free, so of two workers exactly one changes the row. SQLite runs one writer at a
    time, which gives the same. The attempt is counted here, at the claim, so that a
    reminder whose sending kills the worker is not retried for ever.
    """
    me = worker_name()
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                kind=kind,
                object_id=object_id,
                user=user,
                sent_at=now,
                attempts=1,
                claimed_at=now,
                claimed_by=me,
            )
    except IntegrityError:
        # Already there: ours to retry only if it failed, or its claim is stale, and it
        # has attempts left.
        retried = (
            ReminderSent.objects.filter(kind=kind, object_id=object_id, attempts__lt=MAX_ATTEMPTS)
            .filter(
                Q(status=ReminderStatus.FAILED)
                | Q(status=ReminderStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
            )
            .update(
                status=ReminderStatus.SENDING,
                attempts=F("attempts") + 1,
                claimed_at=now,
                claimed_by=me,
            )
        )
        return retried == 1
    return True


def _finish(kind: str, object_ids: list[int], ok: bool, now: datetime) -> None:
    """Record the outcome of this worker's claim (and of no one else's)."""
    ReminderSent.objects.filter(
        kind=kind,
        object_id__in=object_ids,
        status=ReminderStatus.SENDING,
        claimed_by=worker_name(),
        claimed_at=now,
    ).update(status=ReminderStatus.SENT if ok else ReminderStatus.FAILED, sent_at=now)


def _send(user: User, template: str, context: dict[str, Any]) -> bool:
    def body() -> str:
        shown = {**context, "name": user.preferred_name, "practice_name": settings.PRACTICE_NAME}
        if "when" in shown:
            # In the person's own time zone, named: the worker runs in the practice's.
            zone = zone_of(user)
            with timezone.override(zone):
                shown["when"] = when(shown["when"], "weekday_date_time")
            shown["zone"] = zone_label(zone.key)
        return render_to_string(template, shown)

    return send_in_language(
        address=user.email,
        language=user.language,
        subject=lambda: _("A reminder from %(practice)s") % {"practice": settings.PRACTICE_NAME},
        body=body,
        what=f"reminder to user {user.pk}",
    )
