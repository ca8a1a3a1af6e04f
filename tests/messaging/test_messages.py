"""Sending, reading and never deleting messages; unread counts; automatic replies; notices."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from alliance.audit.models import Action, AuditEvent
from alliance.care.models import Episode
from alliance.care.services import episode_close
from alliance.lib.claims import CLAIM_TIMEOUT
from alliance.messaging import services
from alliance.messaging.models import Message, MessageKind, MessageNotice, ReadMarker
from alliance.messaging.selectors import (
    threads_for_clinician,
    unread_counts_for,
    unread_messages_subquery,
)
from alliance.messaging.services import (
    MAX_BODY,
    message_send,
    office_hours_set,
    thread_open,
)
from alliance.messaging.tasks import NOTICE_INTERVAL, message_notice_send, message_notices_resume
from tests.conftest import Cast, signed_in

MADRID = ZoneInfo("Europe/Madrid")
ALL_WEEK = list(range(7))


def madrid(*args: int) -> datetime:
    return datetime(*args, tzinfo=MADRID)  # type: ignore[misc]


@pytest.fixture
def always_open(cast: Cast) -> None:
    """Office hours around the clock, so no automatic reply gets in the way (to time.max:
    a test run at 23:59 is inside too)."""
    office_hours_set(actor=cast.alice, days=ALL_WEEK, starts_at=time(0), ends_at=time.max)


def test_client_and_therapist_exchange_messages_oldest_first(cast: Cast, always_open: Any) -> None:
    first = message_send(
        actor=cast.dana, episode=cast.dana_episode, body="  Can we move Thursday?\r\n"
    )
    second = message_send(actor=cast.alice, episode=cast.dana_episode, body="Yes, Friday at 10?")
    thread = list(Message.objects.filter(episode=cast.dana_episode))
    assert thread == [first, second]
    assert thread[0].body == "Can we move Thursday?"
    assert thread[0].sender == cast.dana
    sent = AuditEvent.objects.filter(action=Action.MESSAGE_SENT)
    assert [(e.actor_id, e.client_id, e.target_id) for e in sent] == [
        (cast.dana.pk, cast.dana.pk, first.pk),
        (cast.alice.pk, cast.dana.pk, second.pk),
    ]


@pytest.mark.parametrize("body", ["", "   \n\t "])
def test_an_empty_message_is_refused(cast: Cast, body: str) -> None:
    with pytest.raises(ValidationError, match="Please write a message"):
        message_send(actor=cast.dana, episode=cast.dana_episode, body=body)
    assert not Message.objects.exists()


def test_a_message_over_5000_characters_is_refused_with_the_count(
    cast: Cast, always_open: Any
) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="a" * MAX_BODY)
    with pytest.raises(ValidationError, match="up to 5,000 characters; this one has 5,001"):
        message_send(actor=cast.dana, episode=cast.dana_episode, body="a" * (MAX_BODY + 1))
    assert Message.objects.count() == 1


@pytest.mark.parametrize("who", ["sam", "charlie", "ada", "eve"])
def test_only_the_client_and_the_treating_therapist_may_send(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        message_send(actor=getattr(cast, who), episode=cast.dana_episode, body="hello")
    assert not Message.objects.exists()


def test_nobody_sends_in_a_closed_episode(cast: Cast) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    for actor in (cast.dana, cast.alice):
        with pytest.raises(ValidationError, match="closed"):
            message_send(actor=actor, episode=cast.dana_episode, body="hello")
    assert not Message.objects.exists()


def test_a_sent_message_can_be_neither_changed_nor_deleted(cast: Cast, always_open: Any) -> None:
    message = message_send(actor=cast.dana, episode=cast.dana_episode, body="as written")
    with pytest.raises(PermissionError):
        Message.objects.filter(pk=message.pk).update(body="rewritten")
    with pytest.raises(PermissionError):
        Message.objects.filter(pk=message.pk).delete()
    with pytest.raises(PermissionError):
        Message.objects.all().delete()
    message.body = "rewritten"
    with pytest.raises(PermissionError):
        message.save()
    with pytest.raises(PermissionError), transaction.atomic():
        Message.objects.bulk_update([message], ["body"])
    with pytest.raises(PermissionError):
        message.delete()
    assert Message.objects.get().body == "as written"


def test_unread_counts_follow_each_participants_read_marker(
    cast: Cast, always_open: Any, django_assert_num_queries: Any
) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="one")
    message_send(actor=cast.dana, episode=cast.dana_episode, body="two")
    message_send(actor=cast.eve, episode=cast.eve_episode, body="uno")
    with django_assert_num_queries(1):
        counts = unread_counts_for(cast.alice)
    assert counts == {cast.dana_episode.pk: 2, cast.eve_episode.pk: 1}
    # Their own messages are not unread for the sender; the supervisor is no participant.
    assert unread_counts_for(cast.dana) == {}
    assert unread_counts_for(cast.sam) == {}
    assert unread_counts_for(cast.charlie) == {}

    thread_open(actor=cast.alice, episode=cast.dana_episode)
    assert unread_counts_for(cast.alice) == {cast.eve_episode.pk: 1}
    message_send(actor=cast.alice, episode=cast.dana_episode, body="reply")
    assert unread_counts_for(cast.dana) == {cast.dana_episode.pk: 1}
    thread_open(actor=cast.dana, episode=cast.dana_episode)
    assert unread_counts_for(cast.dana) == {}


def test_the_caseload_annotation_agrees_with_the_counts(cast: Cast, always_open: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="one")
    annotated = {
        e.pk: e.unread_messages
        for e in Episode.objects.annotate(unread_messages=unread_messages_subquery(cast.alice))
    }
    assert annotated == {cast.dana_episode.pk: 1, cast.eve_episode.pk: 0}
    # Sam supervises Dana's episode but is no participant: nothing is unread for him.
    for_sam = Episode.objects.annotate(unread_messages=unread_messages_subquery(cast.sam))
    assert {e.unread_messages for e in for_sam} == {0}


def test_threads_list_puts_unread_first(cast: Cast, always_open: Any) -> None:
    message_send(actor=cast.alice, episode=cast.dana_episode, body="to Dana")
    message_send(actor=cast.eve, episode=cast.eve_episode, body="de Eve")
    message_send(actor=cast.alice, episode=cast.dana_episode, body="later to Dana")
    threads = threads_for_clinician(cast.alice)
    assert [e.pk for e in threads] == [cast.eve_episode.pk, cast.dana_episode.pk]
    assert threads[0].unread_messages == 1
    # Sam supervises Dana's episode: listed, without unread counts of his own.
    (supervised,) = threads_for_clinician(cast.sam)
    assert supervised.pk == cast.dana_episode.pk
    assert supervised.unread_messages is None
    assert supervised.message_count == 2


def test_the_supervisor_reads_without_leaving_a_marker(cast: Cast, always_open: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="hello")
    thread_open(actor=cast.sam, episode=cast.dana_episode)
    assert not ReadMarker.objects.filter(user=cast.sam).exists()
    viewed = AuditEvent.objects.filter(action=Action.VIEWED, actor_id=cast.sam.pk).get()
    assert viewed.client_id == cast.dana.pk


# --- office hours and the automatic reply ---


@pytest.fixture
def madrid_weekdays(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    office_hours_set(actor=cast.alice, days=[0, 1, 2, 3, 4], starts_at=time(9), ends_at=time(17))


def automatic() -> list[Message]:
    return list(Message.objects.filter(kind=MessageKind.AUTO_REPLY))


def test_no_automatic_reply_within_office_hours(cast: Cast, madrid_weekdays: Any) -> None:
    message_send(
        actor=cast.dana, episode=cast.dana_episode, body="hi", sent_at=madrid(2026, 11, 23, 10, 0)
    )
    assert automatic() == []


def test_one_automatic_reply_per_out_of_hours_period(cast: Cast, madrid_weekdays: Any) -> None:
    def send(*when: int, actor: Any = None) -> None:
        message_send(
            actor=actor or cast.dana, episode=cast.dana_episode, body="hi", sent_at=madrid(*when)
        )

    send(2026, 11, 27, 18, 0)  # Friday evening: a reply
    send(2026, 11, 28, 11, 0)  # Saturday: the same weekend, no second reply
    send(2026, 11, 30, 8, 30)  # Monday before nine: still the same period
    assert len(automatic()) == 1
    send(2026, 11, 30, 10, 0)  # Monday in hours: none
    send(2026, 11, 30, 19, 0)  # Monday evening: a new period, a new reply
    replies = automatic()
    assert [r.sent_at for r in replies] == [
        madrid(2026, 11, 27, 18, 0),
        madrid(2026, 11, 30, 19, 0),
    ]
    reply = replies[0]
    assert reply.sender is None
    assert "If you are in crisis, don't wait for a reply" in reply.body
    assert "Monday, Tuesday, Wednesday, Thursday, Friday, 09:00\u201317:00" in reply.body
    # It sits right after the client's message that brought it.
    thread = list(Message.objects.filter(episode=cast.dana_episode))
    assert thread[1] == reply
    # A therapist writing late gets none.
    send(2026, 11, 30, 23, 0, actor=cast.alice)
    assert len(automatic()) == 2


def test_the_therapists_own_reply_text_is_used(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    office_hours_set(
        actor=cast.alice,
        days=[0],
        starts_at=time(9),
        ends_at=time(10),
        auto_reply="I read messages on Monday mornings.",
    )
    message_send(
        actor=cast.dana, episode=cast.dana_episode, body="hi", sent_at=madrid(2026, 11, 24, 12, 0)
    )
    assert [m.body for m in automatic()] == ["I read messages on Monday mornings."]


def test_the_standard_reply_is_written_in_the_clients_language(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    office_hours_set(actor=cast.alice, days=[0], starts_at=time(9), ends_at=time(10))
    with translation.override("es"):
        expected = services.default_auto_reply(services.office_hours_of(cast.alice).hours)
    message_send(
        actor=cast.eve, episode=cast.eve_episode, body="hola", sent_at=madrid(2026, 11, 24, 12, 0)
    )
    assert [m.body for m in automatic()] == [expected]


@pytest.mark.parametrize(
    ("days", "starts", "ends", "error"),
    [
        ([], time(9), time(17), "at least one day"),
        ([7], time(9), time(17), "from the list"),
        ([0], time(9), time(9), "different time"),
    ],
)
def test_office_hours_are_checked(
    cast: Cast, days: list[int], starts: time, ends: time, error: str
) -> None:
    with pytest.raises(ValidationError, match=error):
        office_hours_set(actor=cast.alice, days=days, starts_at=starts, ends_at=ends)


@pytest.mark.parametrize("who", ["sam", "dana", "ada"])
def test_only_therapists_have_office_hours(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        office_hours_set(actor=getattr(cast, who), days=[0], starts_at=time(9), ends_at=time(17))


def test_office_hours_change_is_audited(cast: Cast) -> None:
    office = office_hours_set(actor=cast.alice, days=[1, 3], starts_at=time(8), ends_at=time(12))
    event = AuditEvent.objects.get(action=Action.OFFICE_HOURS_CHANGED)
    assert (event.actor_id, event.target_id, event.client_id) == (cast.alice.pk, office.pk, None)
    assert office.days == [1, 3]


# --- e-mail notices ---


def send_committed(capture: Any, **kwargs: Any) -> Message:
    with capture(execute=True):
        return message_send(**kwargs)


def test_the_notice_says_nothing_but_that_a_message_waits(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any
) -> None:
    body = "Feeling low about the panic attacks, SECRET-7f1"
    send_committed(
        django_capture_on_commit_callbacks, actor=cast.dana, episode=cast.dana_episode, body=body
    )
    (email,) = mail.outbox
    assert email.to == ["alice@example.test"]
    assert email.subject.endswith("You have a new message")
    text = email.subject + email.body
    for leaked in (
        "SECRET-7f1",
        "panic",
        "Dana",
        "Alice",
        "they/them",
        "dana@example.test",
        "therap",
    ):
        assert leaked not in text
    assert "Please sign in to read it" in email.body


def test_a_message_sent_from_the_page_links_to_the_site_and_audits_the_address(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.dana).post(
            reverse("my_thread", args=[cast.dana_episode.pk]),
            {"body": "Can we move Thursday?"},
            REMOTE_ADDR="192.0.2.8",
        )
    assert response.status_code == 302
    (email,) = mail.outbox
    assert "http://testserver/" in email.body
    sent = AuditEvent.objects.get(action=Action.MESSAGE_SENT)
    assert sent.ip_address == "192.0.2.8"


def test_the_therapists_message_notifies_the_client_in_their_language(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from alliance import mail as mail_module

    languages: list[str] = []
    real = mail_module.send_mail

    def spy(**kwargs: Any) -> int:
        languages.append(translation.get_language())
        return real(**kwargs)

    monkeypatch.setattr(mail_module, "send_mail", spy)
    send_committed(
        django_capture_on_commit_callbacks, actor=cast.alice, episode=cast.eve_episode, body="Hola"
    )
    assert [m.to for m in mail.outbox] == [["eve@example.test"]]
    assert languages == ["es"]


def test_one_notice_per_thread_per_half_hour(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for text in ("one", "two", "three"):
        send_committed(
            django_capture_on_commit_callbacks,
            actor=cast.dana,
            episode=cast.dana_episode,
            body=text,
        )
    assert len(mail.outbox) == 1
    # Another thread of the same therapist is counted on its own.
    send_committed(
        django_capture_on_commit_callbacks, actor=cast.eve, episode=cast.eve_episode, body="uno"
    )
    assert len(mail.outbox) == 2
    latest = Message.objects.filter(episode=cast.dana_episode).last()
    assert latest is not None
    later = timezone.now() + NOTICE_INTERVAL + timedelta(minutes=1)
    assert message_notice_send(latest.pk, "/", now=later) == "sent"
    assert len(mail.outbox) == 3


def test_a_failing_mail_server_never_loses_the_message(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.web.failing_email.Backend"
    message = send_committed(
        django_capture_on_commit_callbacks,
        actor=cast.dana,
        episode=cast.dana_episode,
        body="still here",
    )
    assert Message.objects.get().body == "still here"
    # The failed notice does not count against the throttle: the next one is tried.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert message_notice_send(message.pk, "/") == "sent"
    assert len(mail.outbox) == 1


def test_automatic_replies_notify_nobody(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "Europe/Madrid"
    office_hours_set(actor=cast.alice, days=[0], starts_at=time(9), ends_at=time(10))
    message_send(
        actor=cast.dana,
        episode=cast.dana_episode,
        body="hi",
        sent_at=madrid(2026, 11, 24, 12, 0),
        notify=False,
    )
    (reply,) = automatic()
    assert message_notice_send(reply.pk, "/") == "automatic"
    assert mail.outbox == []


def test_inactive_people_get_no_notice(cast: Cast, always_open: Any) -> None:
    message = message_send(actor=cast.alice, episode=cast.dana_episode, body="hello", notify=False)
    type(cast.dana).objects.filter(pk=cast.dana.pk).update(is_active=False)
    assert message_notice_send(message.pk, "/") == "inactive"
    assert mail.outbox == []


# --- a worker that dies: the notice is owed, and a later round sends it ---


def test_a_notice_whose_task_was_lost_is_sent_by_a_later_round(
    cast: Cast, always_open: Any
) -> None:
    # The message commits, but its queued task never runs (the worker was killed).
    message_send(
        actor=cast.dana, episode=cast.dana_episode, body="are you there?", base_url="https://x.test"
    )
    assert mail.outbox == []
    assert message_notices_resume() == 0  # not yet: the task may only be behind
    later = timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1)
    assert message_notices_resume(now=later) == 1
    (email,) = mail.outbox
    assert email.to == ["alice@example.test"]
    assert "https://x.test/" in email.body
    # Owed once, sent once: the next round and the late task send nothing more.
    assert message_notices_resume(now=later + timedelta(minutes=1)) == 0
    assert message_notice_send(Message.objects.get().pk, "/", now=later) == "throttled"
    assert len(mail.outbox) == 1


def test_a_notice_claimed_by_a_worker_that_died_is_sent_again(
    cast: Cast, always_open: Any, monkeypatch: Any
) -> None:
    from alliance.messaging import tasks

    message = message_send(actor=cast.dana, episode=cast.dana_episode, body="hello")

    def killed(**kwargs: Any) -> bool:
        raise SystemExit("worker killed mid-send")

    monkeypatch.setattr(tasks, "send_in_language", killed)
    with pytest.raises(SystemExit):
        message_notice_send(message.pk, "/")
    monkeypatch.undo()
    notice = MessageNotice.objects.get(user=cast.alice)
    assert notice.sending_since is not None and notice.claimed_by
    # A second worker within the claim's time leaves it to its owner…
    assert message_notice_send(message.pk, "/") == "throttled"
    assert message_notices_resume() == 0
    # …and after CLAIM_TIMEOUT takes it over.
    later = timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1)
    assert message_notices_resume(now=later) == 1
    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert (notice.sending_since, notice.waiting_since, notice.claimed_by) == (None, None, "")


def test_a_lost_notice_is_dropped_once_the_thread_is_read(cast: Cast, always_open: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="hello")
    thread_open(actor=cast.alice, episode=cast.dana_episode)
    later = timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1)
    assert message_notices_resume(now=later) == 0
    assert mail.outbox == []
    assert MessageNotice.objects.get(user=cast.alice).waiting_since is None


def test_a_notice_sent_on_time_is_not_owed_any_more(
    cast: Cast, always_open: Any, django_capture_on_commit_callbacks: Any
) -> None:
    send_committed(
        django_capture_on_commit_callbacks, actor=cast.dana, episode=cast.dana_episode, body="hi"
    )
    assert len(mail.outbox) == 1
    later = timezone.now() + CLAIM_TIMEOUT + timedelta(minutes=1)
    assert message_notices_resume(now=later) == 0
    assert len(mail.outbox) == 1
