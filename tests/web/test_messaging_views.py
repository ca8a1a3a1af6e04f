"""The message pages: the client's thread, the therapist's threads, office hours."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close, episode_open
from alliance.messaging.models import Message, OfficeHours, ReadMarker
from alliance.messaging.services import message_send, office_hours_set
from tests.conftest import Cast, signed_in

ALL_WEEK = list(range(7))


@pytest.fixture
def open_now(cast: Cast) -> None:
    office_hours_set(actor=cast.alice, days=ALL_WEEK, starts_at=time(0), ends_at=time.max)


def closed_now(cast: Cast) -> None:
    """Office hours on every day but today: whatever the hour, it is out of hours."""
    today = timezone.localtime().weekday()
    days = [d for d in ALL_WEEK if d not in (today, (today - 1) % 7)]
    office_hours_set(actor=cast.alice, days=days, starts_at=time(9), ends_at=time(17))


def text(response: Any) -> str:
    return response.content.decode()


def test_client_sends_a_message_and_sees_it_after_the_redirect(cast: Cast, open_now: Any) -> None:
    client = signed_in(cast.dana)
    response = client.post(reverse("my_messages"), {"body": "Could we move Thursday's session?"})
    assert response.status_code == 302
    assert response["Location"] == reverse("my_messages") + "#latest"
    message = Message.objects.get()
    assert (message.sender, message.episode) == (cast.dana, cast.dana_episode)
    assert AuditEvent.objects.filter(action=Action.MESSAGE_SENT, target_id=message.pk).exists()
    page = client.get(response["Location"])
    assert "Your message is sent." in text(page)
    assert "Could we move Thursday&#x27;s session?" in text(page)
    assert 'id="latest"' in text(page)


def test_an_empty_message_is_a_400_and_nothing_is_stored(cast: Cast) -> None:
    response = signed_in(cast.dana).post(reverse("my_messages"), {"body": "   "})
    assert response.status_code == 400
    assert "Please write a message before sending." in text(response)
    assert not Message.objects.exists()


def test_a_too_long_message_is_a_400_with_the_count_and_the_text_kept(cast: Cast) -> None:
    body = "x" * 5003
    response = signed_in(cast.alice).post(
        reverse("episode_messages", args=[cast.dana_episode.pk]), {"body": body}
    )
    assert response.status_code == 400
    assert "up to 5,000 characters; this one has 5,003" in text(response)
    assert body in text(response)  # nothing the person wrote is lost
    assert not Message.objects.exists()


def test_bodies_are_escaped_and_keep_their_line_breaks(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="<b>first</b> line\nsecond line")
    page = text(signed_in(cast.alice).get(reverse("episode_messages", args=[cast.dana_episode.pk])))
    assert "&lt;b&gt;first&lt;/b&gt; line<br>second line" in page
    assert "<b>first</b>" not in page


def test_thread_is_oldest_first_with_names_and_dates(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="MSG-ONE")
    message_send(actor=cast.alice, episode=cast.dana_episode, body="MSG-TWO")
    page = text(signed_in(cast.dana).get(reverse("my_messages")))
    assert page.index("MSG-ONE") < page.index("MSG-TWO")
    assert "Dana (they/them)" in page
    assert "Alice (she/her)" in page
    assert page.count("<time datetime=") >= 2


def test_unread_counts_show_for_both_participants(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="one")
    message_send(actor=cast.dana, episode=cast.dana_episode, body="two")
    alice = signed_in(cast.alice)
    record = text(alice.get(reverse("client_record", args=[cast.dana.pk])))
    assert "2 unread messages" in record
    assert reverse("episode_messages", args=[cast.dana_episode.pk]) in record
    listing = text(alice.get(reverse("message_threads")))
    assert "2 unread" in listing
    alice.get(reverse("episode_messages", args=[cast.dana_episode.pk]))
    assert "No unread messages." in text(alice.get(reverse("client_record", args=[cast.dana.pk])))

    message_send(actor=cast.alice, episode=cast.dana_episode, body="reply")
    dana = signed_in(cast.dana)
    home = text(dana.get(reverse("portal_home")))
    assert re.search(r'<span class="badge" aria-hidden="true">1</span>', home)
    assert 'aria-label="Messages, 1 unread"' in home
    assert "You have 1 new message from your therapist." in home
    dana.get(reverse("my_messages"))
    home = text(dana.get(reverse("portal_home")))
    assert "unread" not in home
    assert "No new messages." in home


def unread_count_queries(client: Any, url: str) -> int:
    """How many times a page works out unread counts (the query that reads read markers)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        q["sql"].lstrip().upper().startswith("SELECT") and "messaging_readmarker" in q["sql"]
        for q in queries.captured_queries
    )


def test_unread_counts_are_worked_out_once_per_page(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.alice, episode=cast.dana_episode, body="to dana")
    message_send(actor=cast.dana, episode=cast.dana_episode, body="to alice")
    # The nav item and the home card share one count.
    assert unread_count_queries(signed_in(cast.dana), reverse("portal_home")) == 1
    assert unread_count_queries(signed_in(cast.dana), reverse("my_preferences")) == 1
    # However many episodes the record shows.
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    episode_open(actor=cast.alice, client=cast.dana, therapist=cast.alice)
    record = reverse("client_record", args=[cast.dana.pk])
    assert unread_count_queries(signed_in(cast.alice), record) == 1


def test_messages_nav_item_is_current_on_the_thread(cast: Cast) -> None:
    page = text(signed_in(cast.dana).get(reverse("my_messages")))
    assert f'<a href="{reverse("my_messages")}" aria-current="page">Messages' in page


def test_the_supervisor_reads_but_cannot_send(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="MSG-FOR-ALICE")
    sam = signed_in(cast.sam)
    url = reverse("episode_messages", args=[cast.dana_episode.pk])
    page = sam.get(url)
    assert page.status_code == 200
    assert "MSG-FOR-ALICE" in text(page)
    assert "you can read the messages, not write them" in text(page)
    assert "<textarea" not in text(page)
    assert sam.post(url, {"body": "from sam"}).status_code == 403
    assert Message.objects.count() == 1
    assert not ReadMarker.objects.filter(user=cast.sam).exists()
    record = text(sam.get(reverse("client_record", args=[cast.dana.pk])))
    assert "1 message" in record
    assert "Read the thread (read only)" in record


@pytest.mark.parametrize("who", ["charlie", "ada", "eve"])
def test_others_never_learn_a_thread_exists(cast: Cast, open_now: Any, who: str) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="private")
    person = signed_in(getattr(cast, who))
    for url in (
        reverse("episode_messages", args=[cast.dana_episode.pk]),
        reverse("my_thread", args=[cast.dana_episode.pk]),
    ):
        assert person.get(url).status_code == 404
        assert person.post(url, {"body": "x"}).status_code == 404
    assert Message.objects.count() == 1


def test_closed_episode_thread_stays_readable_but_sending_is_refused(
    cast: Cast, open_now: Any
) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="BEFORE-CLOSING")
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    dana, alice = signed_in(cast.dana), signed_in(cast.alice)
    page = dana.get(reverse("my_messages"))
    assert page.status_code == 200
    assert "BEFORE-CLOSING" in text(page)
    assert "new messages can't be sent here" in text(page)
    assert "<textarea" not in text(page)
    assert dana.post(reverse("my_messages"), {"body": "late"}).status_code == 403
    url = reverse("episode_messages", args=[cast.dana_episode.pk])
    assert "its messages can be read, but no new ones sent" in text(alice.get(url))
    assert alice.post(url, {"body": "late"}).status_code == 403
    assert Message.objects.count() == 1


def test_past_threads_stay_readable_from_the_new_episode(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.dana, episode=cast.dana_episode, body="OLD-THREAD")
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    episode_open(actor=cast.alice, client=cast.dana, therapist=cast.alice)
    dana = signed_in(cast.dana)
    current = text(dana.get(reverse("my_messages")))
    assert "OLD-THREAD" not in current
    old_url = reverse("my_thread", args=[cast.dana_episode.pk])
    assert old_url in current
    assert "OLD-THREAD" in text(dana.get(old_url))
    assert dana.post(old_url, {"body": "x"}).status_code == 403


def test_out_of_hours_the_compose_area_shows_crisis_resources(cast: Cast) -> None:
    closed_now(cast)
    page = text(signed_in(cast.dana).get(reverse("my_messages")))
    assert "It is outside office hours now" in page
    assert 'class="crisis" id="crisis-help"' in page
    assert 'href="tel:988"' in page  # the practice's country (US) when Dana gave none
    assert "If you are in crisis, don't wait for a reply" in page


def test_out_of_hours_message_brings_the_automatic_reply_once(cast: Cast) -> None:
    closed_now(cast)
    dana = signed_in(cast.dana)
    dana.post(reverse("my_messages"), {"body": "first"})
    dana.post(reverse("my_messages"), {"body": "second"})
    page = text(dana.get(reverse("my_messages")))
    assert page.count("Automatic reply") == 1
    assert '<a href="#crisis-help">' in page
    alice_page = text(
        signed_in(cast.alice).get(reverse("episode_messages", args=[cast.dana_episode.pk]))
    )
    assert "Sent automatically outside office hours, not written personally." in alice_page


def test_crisis_resources_follow_the_clients_country(cast: Cast) -> None:
    closed_now(cast)
    type(cast.dana).objects.filter(pk=cast.dana.pk).update(country="GB")
    page = text(signed_in(cast.dana).get(reverse("my_messages")))
    assert 'href="tel:116123"' in page
    assert 'href="tel:988"' not in page


def test_in_hours_crisis_help_is_one_tap_away(cast: Cast, open_now: Any) -> None:
    page = text(signed_in(cast.dana).get(reverse("my_messages")))
    assert "It is outside office hours now" not in page
    assert '<details class="card" id="crisis-help">' in page
    assert "Your therapist reads messages during office hours" in page


def test_office_hours_page_saves_and_audits(cast: Cast) -> None:
    alice = signed_in(cast.alice)
    page = alice.get(reverse("office_hours"))
    assert page.status_code == 200
    assert "If you are in crisis, don&#x27;t wait for a reply" in text(page)
    response = alice.post(
        reverse("office_hours"),
        {"days": ["1", "3"], "starts_at": "08:30", "ends_at": "12:00", "auto_reply": "Back soon"},
    )
    assert response.status_code == 302
    office = OfficeHours.objects.get(therapist=cast.alice)
    assert (office.days, office.starts_at, office.ends_at) == ([1, 3], time(8, 30), time(12))
    assert office.auto_reply == "Back soon"
    assert AuditEvent.objects.filter(action=Action.OFFICE_HOURS_CHANGED).count() == 1
    assert "Your office hours are saved." in text(alice.get(reverse("office_hours")))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"starts_at": "09:00", "ends_at": "17:00"}, "Choose at least one day."),
        ({"days": ["1"], "starts_at": "09:00", "ends_at": "09:00"}, "end at a different time"),
        ({"days": ["9"], "starts_at": "09:00", "ends_at": "17:00"}, "Select a valid choice"),
        ({"days": ["1"], "starts_at": "", "ends_at": "17:00"}, "your office hours start"),
    ],
)
def test_office_hours_bad_input_is_a_400(cast: Cast, data: dict[str, Any], error: str) -> None:
    response = signed_in(cast.alice).post(reverse("office_hours"), data)
    assert response.status_code == 400
    assert error in text(response)
    assert not OfficeHours.objects.exists()


def test_threads_list_shows_unread_first(cast: Cast, open_now: Any) -> None:
    message_send(actor=cast.alice, episode=cast.dana_episode, body="to dana")
    message_send(actor=cast.eve, episode=cast.eve_episode, body="de eve")
    page = text(signed_in(cast.alice).get(reverse("message_threads")))
    assert page.index("Eve") < page.index("Dana (they/them)")
    sam_page = text(signed_in(cast.sam).get(reverse("message_threads")))
    assert "Episodes you supervise (read only)" in sam_page
    assert "Eve" not in sam_page


def test_a_client_sees_office_hours_on_their_own_clock(cast: Cast) -> None:
    # The practice runs on UTC in the tests; the default hours are Monday-Friday 09:00-17:00.
    type(cast.dana).objects.filter(pk=cast.dana.pk).update(time_zone="Asia/Tokyo")
    page = text(signed_in(type(cast.dana).objects.get(pk=cast.dana.pk)).get(reverse("my_messages")))
    # Tokyo is UTC+9 all year: 09:00-17:00 UTC is 18:00-02:00 there, the same weekdays.
    assert "Monday, Tuesday, Wednesday, Thursday, Friday, 18:00\u201302:00 (Tokyo time)" in page
    assert "(UTC time)" not in page
    # The therapist sets them on the practice's clock, and the page says so.
    alice = text(signed_in(cast.alice).get(reverse("office_hours")))
    assert "Times are in the practice's time zone (UTC)" in alice
