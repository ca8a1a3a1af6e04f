"""On a phone, in a real browser: a client lets an app read her record. The Allow button
must reach the app (a form's redirect to another origin is held by the page's
Content-Security-Policy ``form-action``; a test client does not enforce it, Chromium does),
and the app she let in is then listed under Profile, where she takes it back."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from alliance.api.oauth_apps import oauth_app_create
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE

REDIRECT = "https://app.example.test/callback"


def _authorize_query(client_id: str, base: str, challenge: str) -> str:
    return urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "scope": "launch/patient patient/*.rs",
            "state": "phone-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "aud": f"{base}/fhir/R4",
        }
    )


def test_a_client_lets_an_app_in_and_takes_it_back(cast: Any, visit: Any) -> None:
    app, _secret = oauth_app_create(
        actor=None, name="Mood Diary", redirect_uris=[REDIRECT], public=True
    )
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    arrived: list[str] = []

    def app_receives(route: Any) -> None:
        arrived.append(route.request.url)
        route.fulfill(status=200, body="the app has its answer")

    dana.page.route(f"{REDIRECT}*", app_receives)
    dana.goto(f"/oauth/authorize/?{_authorize_query(app.client_id, dana.base_url, challenge)}")
    assert "Mood Diary" in dana.page.content()
    dana.page.get_by_role("button", name="Allow").click()
    dana.page.wait_for_url(f"{REDIRECT}*")
    csp = [e for e in dana.console_errors if "Content Security Policy" in e]
    assert not csp, csp
    assert len(arrived) == 1
    answer = parse_qs(urlsplit(arrived[0]).query)
    assert answer["state"] == ["phone-1"]
    # The app's one request to its own origin is the callback; nothing else left the page.
    assert set(dana.foreign_requests) == set(arrived)
    dana.foreign_requests.clear()

    token = requests.post(
        f"{dana.base_url}/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "code_verifier": verifier,
        },
        timeout=30,
    )
    assert token.status_code == 200, token.text
    assert token.json()["patient"] == str(cast.dana.pk)

    dana.goto("/profile/apps/")
    assert "Mood Diary" in dana.page.content()
    dana.page.get_by_role("button", name="Take back access from Mood Diary").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert "Mood Diary" not in dana.page.locator("main").inner_text()
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    read = requests.get(
        f"{dana.base_url}/fhir/R4/Patient/{cast.dana.pk}", headers=bearer, timeout=30
    )
    assert read.status_code == 401
