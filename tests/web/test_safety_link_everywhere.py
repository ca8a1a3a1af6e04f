"""The promise "crisis resources and your safety plan one tap away from every page" holds on
every page a signed-in client can open, the account pages (password, two-factor, sessions,
re-authentication) included — not only on the portal's own pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast
from tests.web.test_access_matrix import MATRIX, Records, make_records

CLIENT_PAGES = sorted(
    name for name, (_, methods) in MATRIX.items() if methods.get("GET", {}).get("client") == 200
)


@pytest.fixture
def records(cast: Cast) -> Records:
    return make_records(cast)


def test_the_client_pages_include_the_account_pages() -> None:
    assert {"account_change_password", "account_reauthenticate", "account_email"} <= set(
        CLIENT_PAGES
    )


@pytest.mark.parametrize("name", CLIENT_PAGES)
def test_every_page_a_client_can_open_links_to_their_safety_plan(
    cast: Cast, records: Records, name: str
) -> None:
    make_kwargs, _ = MATRIX[name]
    url = reverse(name, kwargs=make_kwargs(cast, records) if make_kwargs else None)
    client = Client()
    client.force_login(cast.dana)
    response = client.get(url)
    assert response.status_code == 200
    if not response.get("Content-Type", "").startswith("text/html"):
        return  # a download (the client's own copy of the record), not a page
    assert f'href="{reverse("my_safety_plan")}"' in response.content.decode(), url


def test_a_page_that_is_not_there_still_links_a_client_to_their_safety_plan(
    cast: Cast,
) -> None:
    client = Client()
    client.force_login(cast.dana)
    response = client.get("/me/no-such-page/")
    assert response.status_code == 404
    assert f'href="{reverse("my_safety_plan")}"' in response.content.decode()
