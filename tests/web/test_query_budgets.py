"""Query budgets (issue 14, part 2): the therapist's client record, the client's portal
home and the client's progress page run as many queries in a practice of 10 clients as
in one of 500, and stay under a fixed bound. Each page's panels are called by its view
(``web/presenters/panels``), so a panel that queried per client would show here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.care.models import Episode
from alliance.care.services import episode_open
from tests.conftest import Cast, make_user

# Today: 28, 23 and 13 (a second visit, with the session and the audit event).
BUDGETS = {"client record": 32, "portal home": 26, "client's progress": 16}


def _add_clients(cast: Cast, upto: int) -> None:
    """Alice's caseload grows to ``upto`` clients (Dana among them)."""
    for n in range(Episode.objects.filter(therapist=cast.alice).count(), upto):
        person = make_user(f"budget{n}@example.test", f"Client {n}", "client")
        episode_open(actor=cast.alice, client=person, therapist=cast.alice)


def _visit(user: Any, url: str, counting: Callable[[], Any]) -> int:
    """The queries of a second visit (the first may create what falls due, such as
    weekly check-ins), counted by ``counting``."""
    client = Client()
    client.force_login(user)
    client.get(url)
    with counting() as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _pages(cast: Cast) -> dict[str, tuple[Any, str]]:
    return {
        "client record": (
            cast.alice,
            reverse("client_record", kwargs={"client_id": cast.dana.pk}),
        ),
        "portal home": (cast.dana, reverse("portal_home")),
        "client's progress": (cast.dana, reverse("my_progress")),
    }


def test_pages_query_the_same_at_10_and_500_clients(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    def captured() -> CaptureQueriesContext:
        return CaptureQueriesContext(connection)

    pages = _pages(cast)
    _add_clients(cast, 10)
    small = {name: _visit(user, url, captured) for name, (user, url) in pages.items()}
    _add_clients(cast, 500)
    assert Episode.objects.filter(therapist=cast.alice).count() >= 500
    large = {name: _visit(user, url, captured) for name, (user, url) in pages.items()}
    assert large == small, (small, large)
    for name, (user, url) in pages.items():
        _visit(user, url, lambda name=name: django_assert_max_num_queries(BUDGETS[name], info=name))
