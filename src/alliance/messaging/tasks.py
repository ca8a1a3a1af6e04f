"""Work for the task-queue worker: the e-mail notice of a new message.

``services.message_send`` queues it; this module imports nothing from ``services``, so
the two import one way only."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from alliance.care import access
from alliance.mail import send_in_language
from alliance.messaging.models import Message, MessageKind, MessageNotice

# At most one e-mail per person per thread in this interval, so that a conversation does
# not flood anyone's inbox.
NOTICE_INTERVAL = timedelta(minutes=30)


@task()
def send_message_notice(message_id: int, link: str) -> str:
    return message_notice_send(message_id, link)


def message_notice_send(message_id: int, link: str, now: datetime | None = None) -> str:
    """E-mail the other participant that a message is waiting: fixed text, no name, no
    content, nothing about health. Throttled per person and thread (NOTICE_INTERVAL).
    Returns what happened: "sent", "automatic", "throttled", "inactive" or "failed"."""
    message = Message.objects.select_related("episode__client", "episode__therapist").get(
        pk=message_id
    )
    episode = message.episode
    if message.kind != MessageKind.PERSON:
        return "automatic"
    from_client = access.same_person(message.sender_id, episode.client_id)
    recipient = episode.therapist if from_client else episode.client
    if not recipient.is_active:
        return "inactive"
    now = now or timezone.now()
    # get_or_create itself copes with a concurrent create (the unique constraint).
    notice, _created = MessageNotice.objects.get_or_create(episode=episode, user=recipient)
    previous = notice.last_sent_at
    # A conditional update claims the notice, so two workers never both send it.
    claimed = (
        MessageNotice.objects.filter(pk=notice.pk)
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=now - NOTICE_INTERVAL))
        .update(last_sent_at=now)
    )
    if not claimed:
        return "throttled"
    if not send_in_language(
        address=recipient.email,
        language=recipient.language,
        subject=lambda: _("You have a new message"),
        body=lambda: render_to_string("messaging/email/new_message.txt", {"link": link}),
        what=f"message notice for message {message_id}",
    ):
        # Not sent, so the next message may try again.
        MessageNotice.objects.filter(pk=notice.pk, last_sent_at=now).update(last_sent_at=previous)
        return "failed"
    return "sent"
