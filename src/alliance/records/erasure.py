"""Erasing a client's whole record at their request: explicit, audited, complete, all at once.

A practice admin (or someone on the server, ``alliance erase-client``) erases a client.
In one transaction this removes every row about them: questionnaire responses and their
scores, alerts, plans, goals, wordings and ratings, preferences, agenda, cultural profile,
exercises and entries, the whole message thread of each of their episodes, the safety
plan and its versions, sessions, check-in schedules, episodes (an open one ends with the
erasure), reminders and queued e-mail tasks about them, invitations to their address,
their requests (for a copy, for the erasure), their sign-in factors, e-mail addresses
and sessions, and finally the account itself.
If any step fails, nothing changes.

What stays:

- The audit log. Its events hold ids, action names, times and IP addresses, never
  content, and each is hashed into the chain (``alliance.audit.chain``), so removing or
  editing one would break ``alliance verify-audit``. They are kept whole; the id they
  name now belongs to nobody (ids are never reused).
- An ``Erasure`` row (the tombstone): that id, when, by whom, and the date until which
  the practice holds the audit events about it — ``ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS``
  (default 6, after HIPAA's six years for required documentation, 45 CFR
  164.316(b)(2)(i)). Alliance itself never removes audit events (SECURITY.md).

On disk: on SQLite the transaction runs with ``PRAGMA secure_delete`` (freed space is
overwritten with zeros), then the file is rebuilt with ``VACUUM`` (which also clears what
earlier, ordinary deletes and updates left behind) and the write-ahead log is checkpointed
and truncated. On PostgreSQL deleted rows stay in the data files until vacuumed and
overwritten (SECURITY.md says what to run). Backups made before the erasure still hold
the record until they expire.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session as DjangoSession
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import Invitation, User
from alliance.alerts.models import Alert, ReportSnapshot, ScoreSummary
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care.access import is_client, may_handle_client_records
from alliance.care.models import Episode, Session
from alliance.exercises.models import Assignment, Entry
from alliance.measures.models import Administration, CheckinSchedule, CheckinTally, Response
from alliance.messaging.models import Message, MessageNotice, ReadMarker
from alliance.notes.models import (
    PrivateNote,
    PrivateNoteAddendum,
    SessionSummary,
    SummaryAddendum,
    SummaryReply,
)
from alliance.notifications.models import ReminderKind, ReminderSent
from alliance.plans.models import Goal, GoalRating, GoalVersion, Plan, PlanSummaryVersion
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.records.models import CopyRequest, Erasure, ErasureRequest
from alliance.safety.models import SafetyPlan, SafetyPlanVersion

if TYPE_CHECKING:
    from django.db.models import Model

logger = logging.getLogger(__name__)


class ErasureRefused(Exception):
    """This erasure cannot go ahead; nothing was changed. The message says why."""


@dataclass(frozen=True)
class ErasureResult:
    erasure: Erasure
    # What was removed, by kind of row ("messages": 12, …): numbers only.
    removed: dict[str, int]
    # The database file was rebuilt afterwards (SQLite), so no remnant stays on disk.
    compacted: bool


@dataclass
class _Scope:
    """The ids of everything about one client, read before anything is removed."""

    client_id: int
    email: str
    episode_ids: list[int]
    session_ids: list[int]
    administration_ids: list[int]
    alert_ids: list[int]
    message_ids: list[int]
    removed: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, client: User) -> _Scope:
        episodes = list(Episode.objects.filter(client=client).values_list("pk", flat=True))
        return cls(
            client_id=client.pk,
            email=client.email,
            episode_ids=episodes,
            session_ids=list(
                Session.objects.filter(episode__in=episodes).values_list("pk", flat=True)
            ),
            administration_ids=list(
                Administration.objects.filter(episode__in=episodes).values_list("pk", flat=True)
            ),
            alert_ids=list(
                Alert.objects.filter(Q(episode__in=episodes) | Q(client=client)).values_list(
                    "pk", flat=True
                )
            ),
            message_ids=list(
                Message.objects.filter(episode__in=episodes).values_list("pk", flat=True)
            ),
        )

    def delete(self, queryset: QuerySet[Any]) -> None:
        _total, by_model = queryset.delete()
        self.removed.update(by_model)


def erasure_refusal(client: User) -> str | None:
    """Why this account cannot be erased through this path, if it cannot."""
    if not is_client(client):
        return _(
            "Only a client's record can be erased. A member of staff's account is deactivated "
            "instead, so that what they did stays attributable."
        )
    return None


def client_erase(
    *, actor: User | None, client: User, context: AuditContext | None = None
) -> ErasureResult:
    """Erase the client's whole record (see the module docstring); ``actor`` None is the CLI."""
    refusal = erasure_refusal(client)
    if refusal:
        raise ErasureRefused(refusal)
    if actor is not None and not may_handle_client_records(actor):
        raise ErasureRefused(_("Only a practice admin can erase a client's record."))
    retention = int(settings.ERASURE_AUDIT_RETENTION_YEARS)
    if retention < 0:
        raise ErasureRefused("ALLIANCE_ERASURE_AUDIT_RETENTION_YEARS must be 0 or more.")
    try:
        with _secure_delete(), transaction.atomic():
            erasure, removed = _erase(
                actor=actor, client=client, retention=retention, context=context
            )
    except ProtectedError as error:
        kinds = sorted({type(obj)._meta.label for obj in error.protected_objects})
        raise ErasureRefused(
            _("Something else still refers to this person (%(kinds)s), so nothing was erased.")
            % {"kinds": ", ".join(kinds)}
        ) from None
    return ErasureResult(erasure=erasure, removed=removed, compacted=_compact())


def _erase(
    *, actor: User | None, client: User, retention: int, context: AuditContext | None
) -> tuple[Erasure, dict[str, int]]:
    # Lock the account: nobody adds to the record while it is being erased.
    client = User.objects.select_for_update().get(pk=client.pk)
    scope = _Scope.of(client)
    requested_at = (
        ErasureRequest.objects.filter(client=client).values_list("requested_at", flat=True).first()
    )
    _erase_notes(scope)
    _erase_messages(scope)
    _erase_exercises(scope)
    _erase_plans(scope)
    _erase_preferences(scope)
    _erase_alerts(scope)
    _erase_measures(scope)
    _erase_reminders_and_tasks(scope)
    _erase_care(scope)
    _erase_safety_plan(scope)
    _erase_account(scope)
    now = timezone.now()
    erasure = Erasure.objects.create(
        client_id=scope.client_id,
        erased_at=now,
        erased_by_id=actor.pk if actor is not None else None,
        requested_at=requested_at,
        audit_kept_until=years_after(timezone.localdate(now), retention),
    )
    audit_record(
        actor=actor,
        action=Action.CLIENT_ERASED,
        client_id=scope.client_id,
        target_type="erasure",
        target_id=erasure.pk,
        context=context,
    )
    return erasure, _plain_counts(scope.removed)


def _erase_notes(scope: _Scope) -> None:
    """The private notes and the shared summaries of the client's sessions, with their
    addenda, the client's replies to them (and the summaries' links to goals and
    exercises)."""
    sessions = scope.session_ids
    scope.delete(PrivateNoteAddendum.objects.filter(note__session__in=sessions))
    scope.delete(PrivateNote.objects.filter(session__in=sessions))
    scope.delete(SummaryAddendum.objects.filter(summary__session__in=sessions))
    scope.delete(SummaryReply.objects.filter(summary__session__in=sessions))
    scope.delete(SessionSummary.objects.filter(session__in=sessions))


def _erase_messages(scope: _Scope) -> None:
    episodes = scope.episode_ids
    scope.delete(ReadMarker.objects.filter(Q(episode__in=episodes) | Q(user=scope.client_id)))
    scope.delete(MessageNotice.objects.filter(Q(episode__in=episodes) | Q(user=scope.client_id)))
    removed = Message.objects.filter(episode__in=episodes).erase_at_clients_request()
    scope.removed["messaging.Message"] += removed


def _erase_exercises(scope: _Scope) -> None:
    scope.delete(Entry.objects.filter(episode__in=scope.episode_ids))
    scope.delete(Assignment.objects.filter(episode__in=scope.episode_ids))


def _erase_plans(scope: _Scope) -> None:
    goals = Goal.objects.filter(episode__in=scope.episode_ids)
    scope.delete(GoalRating.objects.filter(goal__in=goals))
    scope.delete(GoalVersion.objects.filter(goal__in=goals))
    scope.delete(goals)
    scope.delete(PlanSummaryVersion.objects.filter(plan__episode__in=scope.episode_ids))
    scope.delete(Plan.objects.filter(episode__in=scope.episode_ids))


def _erase_preferences(scope: _Scope) -> None:
    scope.delete(TreatmentPreferences.objects.filter(episode__in=scope.episode_ids))
    scope.delete(AgendaItem.objects.filter(episode__in=scope.episode_ids))
    scope.delete(CulturalProfile.objects.filter(episode__in=scope.episode_ids))


def _erase_alerts(scope: _Scope) -> None:
    scope.delete(Alert.objects.filter(pk__in=scope.alert_ids))
    scope.delete(ScoreSummary.objects.filter(episode__in=scope.episode_ids))
    # The practice reports' kept figures counted the client's scores among everyone's (no
    # row names them): forgotten now, so the next page or round works them out without.
    ReportSnapshot.objects.all().delete()


def _erase_measures(scope: _Scope) -> None:
    scope.delete(
        Response.objects.filter(Q(episode__in=scope.episode_ids) | Q(client=scope.client_id))
    )
    scope.delete(Administration.objects.filter(episode__in=scope.episode_ids))
    scope.delete(CheckinTally.objects.filter(episode__in=scope.episode_ids))
    scope.delete(CheckinSchedule.objects.filter(episode__in=scope.episode_ids))


def _erase_reminders_and_tasks(scope: _Scope) -> None:
    scope.delete(
        ReminderSent.objects.filter(
            Q(user=scope.client_id)
            | Q(kind=ReminderKind.SESSION, object_id__in=scope.session_ids)
            | Q(kind=ReminderKind.CHECKIN, object_id__in=scope.administration_ids)
        )
    )
    # Queued or finished e-mail tasks name an alert or a message by id.
    from django_tasks_db.models import DBTaskResult

    from alliance.messaging.tasks import send_message_notice
    from alliance.notifications.tasks import send_alert_notification
    from alliance.webhooks.models import WebhookDelivery
    from alliance.webhooks.tasks import send_webhook

    # Webhook deliveries name the alert and its episode by id (and nothing else).
    deliveries = WebhookDelivery.objects.filter(alert_id__in=scope.alert_ids)
    about: dict[str, set[Any]] = {
        send_alert_notification.module_path: set(scope.alert_ids),
        send_message_notice.module_path: set(scope.message_ids),
        send_webhook.module_path: {str(pk) for pk in deliveries.values_list("pk", flat=True)},
    }
    scope.delete(deliveries)
    doomed = [
        task.pk
        for task in DBTaskResult.objects.filter(task_path__in=list(about)).only(
            "pk", "task_path", "args_kwargs"
        )
        if _first_argument(task.args_kwargs) in about[task.task_path]
    ]
    scope.delete(DBTaskResult.objects.filter(pk__in=doomed))


def _first_argument(args_kwargs: Any) -> Any:
    args = args_kwargs.get("args") if isinstance(args_kwargs, dict) else None
    return args[0] if args else None


def _erase_care(scope: _Scope) -> None:
    scope.delete(Session.objects.filter(pk__in=scope.session_ids))
    scope.delete(Episode.objects.filter(pk__in=scope.episode_ids))


def _erase_safety_plan(scope: _Scope) -> None:
    scope.delete(SafetyPlanVersion.objects.filter(plan__client=scope.client_id))
    scope.delete(SafetyPlan.objects.filter(client=scope.client_id))


def _erase_account(scope: _Scope) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession

    from alliance.ehr.models import ExternalIdentifier

    pk = scope.client_id
    scope.delete(ErasureRequest.objects.filter(client=pk))
    scope.delete(CopyRequest.objects.filter(client=pk))
    scope.delete(Invitation.objects.filter(Q(accepted_user=pk) | Q(email__iexact=scope.email)))
    scope.delete(EmailAddress.objects.filter(Q(user=pk) | Q(email__iexact=scope.email)))
    scope.delete(Authenticator.objects.filter(user=pk))
    scope.delete(ExternalIdentifier.objects.filter(person=pk))
    keys = set(UserSession.objects.filter(user=pk).values_list("session_key", flat=True))
    scope.delete(UserSession.objects.filter(user=pk))
    # A signed-in session names its user only inside its encoded data.
    keys |= {
        session.session_key
        for session in DjangoSession.objects.iterator()
        if session.get_decoded().get("_auth_user_id") == str(pk)
    }
    scope.delete(DjangoSession.objects.filter(session_key__in=keys))
    scope.delete(User.objects.filter(pk=pk))


def _plain_counts(removed: Counter[str]) -> dict[str, int]:
    """Rows removed by kind, in the models' own plural names (no content, no ids)."""
    counts: dict[str, int] = {}
    for label, count in sorted(removed.items()):
        if not count:
            continue
        model: type[Model] = apps.get_model(label)
        if model._meta.auto_created:
            continue  # a many-to-many link, removed with what it links (a summary's goals)
        counts[str(model._meta.verbose_name_plural)] = count
    return counts


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year that has none
        return day.replace(year=day.year + years, day=28)


@contextmanager
def _secure_delete() -> Iterator[None]:
    """On SQLite, overwrite what is deleted with zeros for the length of the block."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        was_on = bool(cursor.fetchone()[0])
        cursor.execute("PRAGMA secure_delete = ON")
    try:
        yield
    finally:
        if not was_on:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = OFF")


def _compact() -> bool:
    """Rebuild the SQLite file and empty its write-ahead log, so no erased byte stays on disk.

    Not possible inside an outer transaction (VACUUM refuses), nor on PostgreSQL. When it
    could not be done, the caller says so: on the server, ``alliance dbshell`` then
    ``VACUUM; PRAGMA wal_checkpoint(TRUNCATE);`` finishes the job (SECURITY.md).
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return False
    try:
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
    except DatabaseError as error:
        logger.warning("the database could not be compacted after an erasure (%s)", error)
        return False
    if busy:
        logger.warning("the write-ahead log could not be emptied after an erasure (busy)")
    return not busy
