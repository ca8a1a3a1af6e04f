"""SMART EHR launch, end to end against the EHR test double (tests/ehr/double.py): the
browser's hops through Alliance go through Django's test client, the authorize hop is a
direct call to the double (as the browser would make it)."""

from __future__ import annotations

import http.client
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast, signed_in
from tests.ehr import double as ehr_double

PATIENT_ID = "pat-1"
MRN = ("urn:oid:1.2.3.4", "MRN-777")


@pytest.fixture
def ehr() -> Iterator[ehr_double.Double]:
    double = ehr_double.start()
    double.launches["L-dana"] = (PATIENT_ID, "Practitioner/alice-1")
    double.launches["L-charlie"] = (PATIENT_ID, "Practitioner/charlie-1")
    double.launches["L-unlinked"] = ("pat-2", "Practitioner/alice-1")
    double.launches["L-stranger"] = (PATIENT_ID, "Practitioner/nobody")
    double.patients[PATIENT_ID] = {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "identifier": [{"system": MRN[0], "value": MRN[1]}],
    }
    double.patients["pat-2"] = {"resourceType": "Patient", "id": "pat-2"}
    yield double
    double.stop()


@pytest.fixture
def linked(cast: Cast, ehr: ehr_double.Double) -> Any:
    """The double registered; Dana linked to its patient, Alice and Charlie to their
    fhirUsers."""
    from alliance.ehr.models import IdentifierKind
    from alliance.ehr.services import ehr_link, ehr_register

    registered = ehr_register(name="test-ehr", iss=ehr.iss, client_id=ehr_double.CLIENT_ID)
    ehr_link(ehr=registered, person=cast.dana, kind=IdentifierKind.PATIENT, value=PATIENT_ID)
    ehr_link(
        ehr=registered,
        person=cast.alice,
        kind=IdentifierKind.CLINICIAN,
        value="Practitioner/alice-1",
    )
    ehr_link(
        ehr=registered,
        person=cast.charlie,
        kind=IdentifierKind.CLINICIAN,
        value="Practitioner/charlie-1",
    )
    return registered


def authorize(url: str) -> dict[str, str]:
    """What the browser does at the EHR: open the authorize URL; the EHR sends it back."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    connection.request("GET", f"{parts.path}?{parts.query}")
    response = connection.getresponse()
    assert response.status == 302
    back = urllib.parse.urlsplit(response.getheader("Location") or "")
    connection.close()
    assert back.path == reverse("smart_callback")
    return dict(urllib.parse.parse_qsl(back.query))


def begin(browser: Client, ehr: ehr_double.Double, launch: str) -> str:
    response = browser.get(reverse("smart_launch"), {"iss": ehr.iss, "launch": launch})
    assert response.status_code == 302, response.content[:500]
    assert response.url.startswith(f"{ehr.base}/authorize?")
    return str(response.url)


def run_launch(browser: Client, ehr: ehr_double.Double, launch: str) -> Any:
    back = authorize(begin(browser, ehr, launch))
    return browser.get(reverse("smart_callback"), back)


def test_launch_opens_the_linked_clients_record(cast: Cast, ehr: Any, linked: Any) -> None:
    from alliance.audit.models import AuditEvent

    browser = signed_in(cast.alice)
    url = begin(browser, ehr, "L-dana")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["scope"] == "launch openid fhirUser patient/Patient.rs"
    assert query["aud"] == ehr.iss
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == "http://testserver/smart/callback"
    response = browser.get(reverse("smart_callback"), authorize(url))
    assert response.status_code == 302
    assert response.url == reverse("client_record", kwargs={"client_id": cast.dana.pk})
    opened = browser.get(response.url)
    assert opened.status_code == 200
    assert AuditEvent.objects.filter(actor_id=cast.alice.pk, client_id=cast.dana.pk).exists()
    assert ehr.pkce_failures == 0
    assert ehr.token_calls[-1]["client_id"] == ehr_double.CLIENT_ID


def test_a_client_linked_by_an_identifier_is_found(cast: Cast, ehr: Any, linked: Any) -> None:
    from alliance.ehr.models import ExternalIdentifier, IdentifierKind

    ExternalIdentifier.objects.filter(kind=IdentifierKind.PATIENT).update(value="|".join(MRN))
    response = run_launch(signed_in(cast.alice), ehr, "L-dana")
    assert response.url == reverse("client_record", kwargs={"client_id": cast.dana.pk})


def test_a_confidential_client_sends_its_secret_from_the_environment(
    cast: Cast, ehr: Any, linked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ehr.client_secret = "s3cret"
    linked.client_secret_env = "TEST_EHR_SECRET"
    linked.save()
    browser = signed_in(cast.alice)
    assert run_launch(browser, ehr, "L-dana").status_code == 502  # variable not set
    monkeypatch.setenv("TEST_EHR_SECRET", "s3cret")
    assert run_launch(browser, ehr, "L-dana").status_code == 302
    assert "client_id" not in ehr.token_calls[-1]


def test_pkce_is_checked_by_the_ehr(cast: Cast, ehr: Any, linked: Any) -> None:
    from alliance.web.presenters.smart import SESSION_KEY

    browser = signed_in(cast.alice)
    back = authorize(begin(browser, ehr, "L-dana"))
    session = browser.session
    session[SESSION_KEY][back["state"]]["verifier"] = "not-the-verifier-" + "x" * 40
    session.save()
    response = browser.get(reverse("smart_callback"), back)
    assert response.status_code == 502
    assert ehr.pkce_failures == 1
    assert b"did not complete the sign-in" in response.content


def test_a_state_is_used_once(cast: Cast, ehr: Any, linked: Any) -> None:
    browser = signed_in(cast.alice)
    back = authorize(begin(browser, ehr, "L-dana"))
    assert browser.get(reverse("smart_callback"), back).status_code == 302
    replay = browser.get(reverse("smart_callback"), back)
    assert replay.status_code == 400
    assert b"expired or was already used" in replay.content


def test_a_state_from_another_browser_is_refused(cast: Cast, ehr: Any, linked: Any) -> None:
    back = authorize(begin(signed_in(cast.alice), ehr, "L-dana"))
    other = signed_in(cast.alice)
    assert other.get(reverse("smart_callback"), back).status_code == 400


def test_an_expired_launch_is_refused(
    cast: Cast, ehr: Any, linked: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    browser = signed_in(cast.alice)
    back = authorize(begin(browser, ehr, "L-dana"))
    later = time.time() + 601
    monkeypatch.setattr(time, "time", lambda: later)
    assert browser.get(reverse("smart_callback"), back).status_code == 400


def test_an_unregistered_ehr_is_never_followed(cast: Cast, ehr: Any) -> None:
    response = signed_in(cast.alice).get(
        reverse("smart_launch"), {"iss": ehr.iss, "launch": "L-dana"}
    )
    assert response.status_code == 400
    assert b"not registered" in response.content
    assert not ehr.token_calls


def test_the_ehr_refusing_is_said(cast: Cast, ehr: Any, linked: Any) -> None:
    ehr.authorize_error = "access_denied"
    response = run_launch(signed_in(cast.alice), ehr, "L-dana")
    assert response.status_code == 400
    assert b"refused the launch" in response.content
    assert not ehr.token_calls


def test_a_failed_token_exchange_is_said(cast: Cast, ehr: Any, linked: Any) -> None:
    ehr.token_refuses = True
    response = run_launch(signed_in(cast.alice), ehr, "L-dana")
    assert response.status_code == 502
    assert b"did not complete the sign-in" in response.content


def test_an_unreachable_ehr_is_said(cast: Cast, ehr: Any, linked: Any) -> None:
    browser = signed_in(cast.alice)
    ehr.stop()
    response = browser.get(reverse("smart_launch"), {"iss": ehr.iss, "launch": "L-dana"})
    assert response.status_code == 502
    assert b"could not reach the EHR" in response.content


@pytest.mark.parametrize("endpoint", ["http://ehr.example.org/token", "file:///etc/passwd"])
def test_an_endpoint_without_https_is_never_called(
    cast: Cast, ehr: Any, linked: Any, endpoint: str
) -> None:
    ehr.token_endpoint = endpoint
    browser = signed_in(cast.alice)
    response = browser.get(reverse("smart_launch"), {"iss": ehr.iss, "launch": "L-dana"})
    assert response.status_code == 502
    assert b"could not reach the EHR securely" in response.content


def test_no_linked_client_is_said(cast: Cast, ehr: Any, linked: Any) -> None:
    response = run_launch(signed_in(cast.alice), ehr, "L-unlinked")
    assert response.status_code == 404
    assert b"None of your clients" in response.content


def test_another_therapists_client_is_refused_without_saying_it_exists(
    cast: Cast, ehr: Any, linked: Any
) -> None:
    unlinked = run_launch(signed_in(cast.alice), ehr, "L-unlinked")
    response = run_launch(signed_in(cast.charlie), ehr, "L-charlie")
    assert response.status_code == 404
    assert unlinked.status_code == 404
    assert b"None of your clients" in response.content
    assert b"None of your clients" in unlinked.content
    assert cast.dana.preferred_name.encode() not in response.content


def test_a_clinician_the_practice_did_not_link_is_refused(
    cast: Cast, ehr: Any, linked: Any
) -> None:
    response = run_launch(signed_in(cast.alice), ehr, "L-stranger")
    assert response.status_code == 403
    assert b"not linked to your Alliance account" in response.content


def test_the_page_speaks_spanish(cast: Cast, ehr: Any) -> None:
    from alliance.accounts.models import User

    User.objects.filter(pk=cast.alice.pk).update(language="es")
    browser = signed_in(User.objects.get(pk=cast.alice.pk))
    response = browser.get(
        reverse("smart_launch"), {"iss": ehr.iss, "launch": "x"}, headers={"accept-language": "es"}
    )
    assert "no está registrada".encode() in response.content


def test_signing_in_continues_the_launch(cast: Cast, ehr: Any, linked: Any) -> None:
    from tests.conftest import PASSWORD, forget_used_code

    browser = Client()
    response = browser.get(reverse("smart_launch"), {"iss": ehr.iss, "launch": "L-dana"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    next_url = urllib.parse.parse_qs(urllib.parse.urlsplit(response.url).query)["next"][0]
    from alliance.accounts.mfa import totp_code, totp_secret_of

    browser.post(
        reverse("account_login"),
        {"login": "alice@example.test", "password": PASSWORD, "next": next_url},
    )
    code = totp_code(totp_secret_of(cast.alice) or "")
    forget_used_code(cast.alice, code)
    signed = browser.post(reverse("mfa_authenticate"), {"code": code})
    assert signed.status_code == 302
    assert signed.url == next_url
    back = authorize(str(browser.get(signed.url).url))
    assert browser.get(reverse("smart_callback"), back).url == reverse(
        "client_record", kwargs={"client_id": cast.dana.pk}
    )


def test_the_code_stays_out_of_the_logs() -> None:
    import logging

    from alliance.logpaths import RedactPaths

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "",
        0,
        '"%s" %s',
        ("GET /smart/callback?code=SECRETCODE&state=s HTTP/1.1", "200"),
        None,
    )
    RedactPaths().filter(record)
    assert "SECRETCODE" not in record.getMessage()
