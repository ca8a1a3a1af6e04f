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

from alliance.accounts.models import User
from alliance.care import access
from alliance.lib.claims import CLAIM_TIMEOUT, worker_name
from alliance.mail import send_in_language
from alliance.messaging.models import Message, MessageKind, MessageNotice, ReadMarker

# At most one e-mail per person per thread in this interval, so that a conversation does
# not flood anyone's inbox.
NOTICE_INTERVAL = timedelta(minutes=30)
# A notice owed for longer than this is dropped rather than sent late (as alert e-mails).
RESUME_LOOKBACK = timedelta(days=2)


@task()
def send_message_notice(message_id: int, link: str) -> str:
    return message_notice_send(message_id, link)


def notice_recipient(message: Message) -> User:
    """Who a person's message is news to: the other participant of the thread."""
    episode = message.episode
    from_client = access.same_person(message.sender_id, episode.client_id)
    return episode.therapist if from_client else episode.client


def message_notice_owed(message: Message, link: str) -> None:
    """Record, with the message, that its recipient is owed a notice (in the caller's
    transaction): if the queued task is lost, the worker's round still finds it."""
    recipient = notice_recipient(message)
    notice, _created = MessageNotice.objects.get_or_create(episode=message.episode, user=recipient)
    MessageNotice.objects.filter(pk=notice.pk, waiting_since__isnull=True).update(
        waiting_since=message.sent_at, link=link[:200]
    )


def message_notice_send(message_id: int, link: str, now: datetime | None = None) -> str:
    """E-mail the other participant that a message is waiting: fixed text, no name, no
    content, nothing about health. Throttled per person and thread (NOTICE_INTERVAL).
    Returns what happened: "sent", "automatic", "throttled", "inactive" or "failed"."""
    message = Message.objects.select_related("episode__client", "episode__therapist").get(
        pk=message_id
    )
    if message.kind != MessageKind.PERSON:
        return "automatic"
    recipient = notice_recipient(message)
    # get_or_create itself copes with a concurrent create (the unique constraint).
    notice, _created = MessageNotice.objects.get_or_create(episode=message.episode, user=recipient)
    return _deliver(
        notice,
        recipient,
        link,
        now or timezone.now(),
        what=f"message notice for message {message_id}",
    )


def _deliver(notice: MessageNotice, recipient: User, link: str, now: datetime, *, what: str) -> str:
    """Claim, send, record. The claim is a conditional update only one worker wins: the
    throttle allows a notice, or an earlier claim is older than CLAIM_TIMEOUT (its worker
    died mid-send; the recipient may then get the notice twice, never none)."""
    if not recipient.is_active:
        MessageNotice.objects.filter(pk=notice.pk).update(waiting_since=None)
        return "inactive"
    previous = notice.last_sent_at
    claimed = (
        MessageNotice.objects.filter(pk=notice.pk)
        .filter(
            Q(sending_since__isnull=True, last_sent_at__isnull=True)
            | Q(sending_since__isnull=True, last_sent_at__lte=now - NOTICE_INTERVAL)
            | Q(sending_since__lt=now - CLAIM_TIMEOUT)
        )
        .update(last_sent_at=now, sending_since=now, claimed_by=worker_name())
    )
    if not claimed:
        # A notice went out lately (or is going out): it covers this message too.
        MessageNotice.objects.filter(pk=notice.pk, sending_since__isnull=True).update(
            waiting_since=None
        )
        return "throttled"
    sent = send_in_language(
        address=recipient.email,
        language=recipient.language,
        subject=lambda: _("You have a new message"),
        body=lambda: render_to_string("messaging/email/new_message.txt", {"link": link}),
        what=what,
    )
    mine = MessageNotice.objects.filter(pk=notice.pk, sending_since=now)
    if not sent:
        # Not sent, so the next message may try again.
        mine.update(last_sent_at=previous, sending_since=None, claimed_by="", waiting_since=None)
        return "failed"
    mine.update(sending_since=None, claimed_by="", waiting_since=None)
    return "sent"


def message_notices_resume(now: datetime | None = None) -> int:
    """Notices owed for CLAIM_TIMEOUT whose task was lost with a killed worker (or is that
    far behind), and those a worker claimed and died before sending. The worker's periodic
    round calls this. One whose thread the recipient has read since is dropped; one older
    than RESUME_LOOKBACK too (the person has long since been in). Returns how many went."""
    now = now or timezone.now()
    stale = now - CLAIM_TIMEOUT
    owed = MessageNotice.objects.filter(
        Q(sending_since__isnull=True, waiting_since__lt=stale) | Q(sending_since__lt=stale)
    ).select_related("user")
    sent = 0
    for notice in owed:
        waiting = notice.waiting_since or notice.sending_since
        read = ReadMarker.objects.filter(
            episode_id=notice.episode_id, user_id=notice.user_id, read_at__gte=waiting
        ).exists()
        if read or waiting is None or waiting < now - RESUME_LOOKBACK:
            MessageNotice.objects.filter(pk=notice.pk, sending_since=notice.sending_since).update(
                waiting_since=None, sending_since=None, claimed_by=""
            )
            continue
        what = f"late message notice {notice.pk}"
        sent += _deliver(notice, notice.user, notice.link, now, what=what) == "sent"
    return sent
