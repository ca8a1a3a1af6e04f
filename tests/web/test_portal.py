from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.care.services import session_schedule
from tests.conftest import Cast


def test_client_sees_their_therapist_and_next_session(cast: Cast) -> None:
    session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(days=7)
    )
    session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() + timedelta(days=1)
    )
    client = Client()
    client.force_login(cast.dana)
    page = client.get(reverse("portal_home")).content.decode()
    assert "Hello, Dana" in page
    assert "Alice (she/her)" in page
    assert "Session 2" in page
    assert "You have had 1 session so far." in page


def test_client_portal_shows_nothing_of_another_client(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.eve)
    page = client.get(reverse("portal_home")).content.decode()
    assert "Dana" not in page


def test_client_opening_their_portal_is_audited(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dana)
    client.get(reverse("portal_home"))
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id) == ("viewed", cast.dana.pk, cast.dana.pk)


def test_spanish_client_is_addressed_in_spanish(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.eve)
    response = client.get(reverse("portal_home"))
    assert response.headers["Content-Language"] == "es"
    assert "Hola, Eve" in response.content.decode()


def test_home_reads_the_same_whatever_the_number_of_booked_sessions(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(cast.dana)

    def queries_of_a_second_visit() -> int:
        client.get(reverse("portal_home"))  # the first visit adds the sessions' check-ins
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal_home")).status_code == 200
        return len(queries.captured_queries)

    def book(number: int) -> None:
        session_schedule(
            actor=cast.alice,
            episode=cast.dana_episode,
            starts_at=timezone.now() + timedelta(days=7 + 7 * number),
        )

    book(1)
    one = queries_of_a_second_visit()
    for number in range(2, 7):
        book(number)
    assert queries_of_a_second_visit() == one
