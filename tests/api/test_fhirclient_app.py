"""A SMART app made by others asks for access and reads: fhirclient (SMART Health IT's
Python client) over real HTTP against a live server, signed in through the real pages.

fhirclient finds the OAuth endpoints in the CapabilityStatement's ``oauth-uris`` extension
(parsed by its own R4 models), builds its own authorize URL with ``aud``, ``state`` and
PKCE S256, checks the state it gets back, exchanges the code with the app's secret, and
reads with its own models. Nothing here is shaped for Alliance."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fhirclient import client as smart_client
from fhirclient.models.observation import Observation
from fhirclient.models.patient import Patient
from fhirclient.server import FHIRNotFoundException

from alliance.api.oauth_apps import oauth_app_create
from alliance.audit.models import AuditEvent
from tests.api.helpers import PHQ9, PHQ9_TOTAL_LOINC
from tests.conftest import PASSWORD, Cast
from tests.records.helpers import respond

pytestmark = pytest.mark.django_db(transaction=True)
REDIRECT = "https://app.example.test/callback"


class _Form(HTMLParser):
    """The hidden fields and the CSRF token of the page's form."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "input" and named.get("type") == "hidden" and named.get("name"):
            self.fields[named["name"] or ""] = named.get("value") or ""


def _form(html: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(html)
    return parser.fields


def _browser_signed_in(base: str, email: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/accounts/login/", timeout=30)
    fields = _form(page.text) | {"login": email, "password": PASSWORD}
    answer = browser.post(
        f"{base}/accounts/login/",
        data=fields,
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def _smart(live_server: Any, scope: str) -> smart_client.FHIRClient:
    app, secret = oauth_app_create(
        actor=None, name="Outcome Viewer", redirect_uris=[REDIRECT], public=False
    )
    return smart_client.FHIRClient(
        settings={
            "app_id": app.client_id,
            "app_secret": secret,
            "api_base": f"{live_server.url}/fhir/R4",
            "redirect_uri": REDIRECT,
            "scope": scope,
        }
    )


def _allow(browser: requests.Session, authorize_url: str) -> str:
    page = browser.get(authorize_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    assert "Outcome Viewer" in page.text
    answer = browser.post(
        page.url.split("?", 1)[0],
        data=_form(page.text) | {"allow": "true"},
        headers={"Referer": page.url},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:500]
    callback: str = answer.headers["Location"]
    assert callback.startswith(REDIRECT)
    return callback


def test_a_smart_app_a_client_lets_in_reads_their_scores(cast: Cast, live_server: Any) -> None:
    for _ in range(2):
        respond(cast, cast.dana_episode, "phq-9", PHQ9)
    respond(cast, cast.eve_episode, "phq-9", PHQ9)
    smart = _smart(live_server, "launch/patient patient/*.rs")
    authorize_url = smart.authorize_url
    asked = parse_qs(urlsplit(authorize_url).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["aud"] == [f"{live_server.url}/fhir/R4"]

    callback = _allow(_browser_signed_in(live_server.url, cast.dana.email), authorize_url)
    smart.handle_callback(callback)
    assert smart.ready
    assert smart.patient_id == str(cast.dana.pk)

    patient = Patient.read(smart.patient_id, smart.server)
    assert patient.id == str(cast.dana.pk)
    totals = Observation.where(
        {"patient": smart.patient_id, "code": f"http://loinc.org|{PHQ9_TOTAL_LOINC}"}
    ).perform_resources(smart.server)
    assert len(totals) == 2
    assert {o.valueQuantity.value for o in totals} == {sum(PHQ9)}
    assert {o.subject.reference for o in totals} == {f"Patient/{cast.dana.pk}"}

    # Another client's record is not there for this app, and the reads are on Dana's log.
    with pytest.raises(FHIRNotFoundException):
        Patient.read(str(cast.eve.pk), smart.server)
    reads = AuditEvent.objects.filter(client_id=cast.dana.pk, target_type__startswith="api_app:")
    assert reads.exists()
    assert not AuditEvent.objects.filter(
        client_id=cast.eve.pk, target_type__startswith="api_app:"
    ).exists()


def test_an_app_that_names_another_server_as_aud_is_refused(cast: Cast, live_server: Any) -> None:
    smart = _smart(live_server, "launch/patient patient/*.rs")
    authorize_url = smart.authorize_url.replace(
        "aud=http", "aud=https%3A%2F%2Fcounterfeit.example.test%2Ffhir&x=http"
    )
    browser = _browser_signed_in(live_server.url, cast.dana.email)
    page = browser.get(authorize_url, allow_redirects=False, timeout=30)
    assert page.status_code == 302
    told = parse_qs(urlsplit(page.headers["Location"]).query)
    assert told["error"] == ["invalid_request"]
    assert "code" not in told
