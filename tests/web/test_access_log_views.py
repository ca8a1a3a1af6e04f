"""A client sees, in plain words, who at the practice opened their record and when."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from alliance.audit.models import AuditEvent
from tests.conftest import Cast, signed_in


def test_the_therapists_and_supervisors_looks_are_listed_with_who_they_are(cast: Cast) -> None:
    for _ in range(3):
        signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    signed_in(cast.sam).get(reverse("client_progress", args=[cast.dana.pk]))
    page = signed_in(cast.dana).get(reverse("my_access_log"))
    assert page.status_code == 200
    html = page.content.decode()
    assert cast.alice.display_name in html
    assert "your therapist" in html
    assert cast.sam.display_name in html
    assert "your therapist&#x27;s clinical supervisor" in html
    assert "3 times on" in html  # three looks on one day fold into one line


def test_own_visits_and_other_clients_records_are_not_listed(cast: Cast) -> None:
    signed_in(cast.dana).get(reverse("portal_home"))
    signed_in(cast.alice).get(reverse("client_record", args=[cast.eve.pk]))
    html = signed_in(cast.dana).get(reverse("my_access_log")).content.decode()
    # Opening Dana's episode of care is on her record; nobody has opened the record itself.
    assert "opened an episode of care" in html
    assert "opened the record" not in html


def test_staff_who_left_are_still_listed(cast: Cast, django_user_model: Any) -> None:
    signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    event = AuditEvent.objects.filter(client_id=cast.dana.pk, actor_id=cast.alice.pk).first()
    assert event is not None
    # An unknown actor id (an account that no longer exists) still shows as a line.
    from alliance.records.access_log import access_visits

    ghost = AuditEvent(
        seq=0, occurred_at=event.occurred_at, actor_id=987654, action="viewed", client_id=1
    )
    visits = access_visits(cast.dana, [ghost])
    assert visits[0].who == "Someone who has left the practice"
    assert visits[0].relation == "a former member of staff"


def test_the_page_is_in_spanish_for_a_spanish_speaking_client(cast: Cast) -> None:
    signed_in(cast.alice).get(reverse("client_record", args=[cast.eve.pk]))
    html = signed_in(cast.eve).get(reverse("my_access_log")).content.decode()
    assert "su terapeuta" in html


def test_the_log_costs_two_queries_however_many_people_looked(
    cast: Cast, django_assert_num_queries: Any
) -> None:
    from alliance.records.access_log import access_visits, record_events_by_others

    signed_in(cast.alice).get(reverse("client_record", args=[cast.dana.pk]))
    signed_in(cast.sam).get(reverse("client_progress", args=[cast.dana.pk]))
    events = list(record_events_by_others(cast.dana))
    assert {e.actor_id for e in events} >= {cast.alice.pk, cast.sam.pk}
    with django_assert_num_queries(2):  # the people, and how each knows the client
        visits = access_visits(cast.dana, events)
    relations = {visit.who: visit.relation for visit in visits}
    assert relations[cast.alice.display_name] == "your therapist"
    assert relations[cast.sam.display_name] == "your therapist's clinical supervisor"
