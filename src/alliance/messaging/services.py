"""Sending messages, reading threads, office hours and the e-mail notice of a new message.

A message commits first; its e-mail notice is enqueued only once the transaction has
committed, so a mail server that is down never loses a message.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record, record_opened
from alliance.care import access
from alliance.care.models import Episode
from alliance.messaging.hours import WEEKDAYS, WeeklyHours, is_within, out_of_hours_since
from alliance.messaging.models import Message, MessageKind, OfficeHours, ReadMarker
from alliance.messaging.selectors import describe_hours, office_hours_of, practice_zone
from alliance.messaging.tasks import message_notice_owed, send_message_notice

if TYPE_CHECKING:
    from alliance.accounts.models import User


MAX_BODY = 5000
MAX_AUTO_REPLY = 2000


def _clean_text(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


@transaction.atomic
def message_send(
    *,
    actor: User,
    episode: Episode,
    body: str,
    sent_at: datetime | None = None,
    notify: bool = True,
    context: AuditContext | None = None,
    base_url: str = "",
) -> Message:
    """Store a message from the client or the treating therapist and, for a client's
    message out of office hours, the automatic reply (once per out-of-hours period).

    ``sent_at`` and ``notify=False`` are for bringing in history (the demo). ``base_url``
    (the site's scheme and host) makes the notice's link absolute."""
    episode = (
        Episode.objects.select_for_update().select_related("client", "therapist").get(pk=episode.pk)
    )
    if not access.is_thread_participant(actor, episode):
        raise PermissionDenied
    if not episode.is_open:
        raise ValidationError(
            _("This episode of care is closed: its messages can be read, but no new ones sent.")
        )
    body = _clean_text(body)
    if not body:
        raise ValidationError(_("Please write a message before sending."))
    if len(body) > MAX_BODY:
        raise ValidationError(
            _(
                "Messages can be up to %(limit)s characters; this one has %(length)s. "
                "Please shorten it or send it in two parts."
            )
            % {"limit": f"{MAX_BODY:,}", "length": f"{len(body):,}"}
        )
    message = Message.objects.create(
        episode=episode,
        kind=MessageKind.PERSON,
        sender=actor,
        body=body,
        sent_at=sent_at or timezone.now(),
    )
    audit_record(
        actor=actor,
        action=Action.MESSAGE_SENT,
        client_id=episode.client_id,
        target_type="message",
        target_id=message.pk,
        context=context,
    )
    latest = message
    if access.is_episode_client(actor, episode):
        latest = _auto_reply_if_out_of_hours(episode, message.sent_at) or message
    # The sender has seen the thread up to their own message (and its automatic reply).
    _mark_read(actor, episode, latest, message.sent_at)
    if notify:
        link = f"{base_url}/"
        message_notice_owed(message, link)
        message_id = message.pk
        transaction.on_commit(lambda: send_message_notice.enqueue(message_id, link), robust=True)
    return message


def default_auto_reply(hours: WeeklyHours) -> str:
    """The standard out-of-hours reply, in the active language."""
    return _(
        "Thank you for your message. It has arrived safely. Messages are read during office "
        "hours (%(hours)s), so the reply may take until then.\n\n"
        "If you are in crisis, don't wait for a reply: the crisis help below lists who you "
        "can call or text right now."
    ) % {"hours": describe_hours(hours)}


def _auto_reply_if_out_of_hours(episode: Episode, moment: datetime) -> Message | None:
    office = office_hours_of(episode.therapist)
    zone = practice_zone()
    if is_within(office.hours, moment, zone):
        return None
    replies = Message.objects.filter(episode=episode, kind=MessageKind.AUTO_REPLY)
    since = out_of_hours_since(office.hours, moment, zone)
    if since is not None:
        replies = replies.filter(sent_at__gte=since)
    if replies.exists():
        return None
    with translation.override(episode.client.language):
        body = office.auto_reply or default_auto_reply(office.hours)
    reply = Message.objects.create(
        episode=episode, kind=MessageKind.AUTO_REPLY, sender=None, body=body, sent_at=moment
    )
    audit_record(
        actor=None,
        action=Action.MESSAGE_SENT,
        client_id=episode.client_id,
        target_type="message",
        target_id=reply.pk,
    )
    return reply


def _mark_read(user: User, episode: Episode, message: Message | None, now: datetime) -> None:
    ReadMarker.objects.update_or_create(
        episode=episode, user=user, defaults={"last_read_message": message, "read_at": now}
    )


@transaction.atomic
def thread_open(*, actor: User, episode: Episode, context: AuditContext | None = None) -> None:
    """Someone opened a thread: audited as a view of the record; a participant's read
    marker moves to the newest message (the supervisor reads without a marker)."""
    record_opened(
        actor=actor,
        client_id=episode.client_id,
        part="thread",
        target_id=episode.pk,
        context=context,
    )
    if not access.is_thread_participant(actor, episode):
        return
    latest = Message.objects.filter(episode=episode).order_by("-pk").first()
    if latest is not None:
        _mark_read(actor, episode, latest, timezone.now())


def thread_mark_read(*, actor: User, episode: Episode, up_to: Message) -> None:
    """For bringing in history (the demo): read up to a given message."""
    if access.is_thread_participant(actor, episode):
        _mark_read(actor, episode, up_to, up_to.sent_at)


@transaction.atomic
def office_hours_set(
    *,
    actor: User,
    days: list[int],
    starts_at: time,
    ends_at: time,
    auto_reply: str = "",
    context: AuditContext | None = None,
) -> OfficeHours:
    if not access.may_set_office_hours(actor):
        raise PermissionDenied
    chosen = sorted({int(day) for day in days})
    if not chosen:
        raise ValidationError(_("Choose at least one day."))
    if any(day not in WEEKDAYS for day in chosen):
        raise ValidationError(_("Choose days from the list."))
    if starts_at == ends_at:
        raise ValidationError(_("The hours need to end at a different time than they start."))
    auto_reply = _clean_text(auto_reply)
    if len(auto_reply) > MAX_AUTO_REPLY:
        raise ValidationError(
            _("The automatic reply can be up to %(limit)s characters.")
            % {"limit": f"{MAX_AUTO_REPLY:,}"}
        )
    office, _created = OfficeHours.objects.update_or_create(
        therapist=actor,
        defaults={
            "days": chosen,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "auto_reply": auto_reply,
            "updated_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        action=Action.OFFICE_HOURS_CHANGED,
        target_type="office_hours",
        target_id=office.pk,
        context=context,
    )
    return office
