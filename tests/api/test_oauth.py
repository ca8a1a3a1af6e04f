"""OAuth 2.0 for apps (SMART App Launch 2): the authorization code flow with PKCE, what
the token reaches through the FHIR API, and the refusals."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.api.helpers import answered, body, call, outcome
from tests.conftest import Cast, sign_in, signed_in

pytestmark = pytest.mark.django_db

REDIRECT = "https://app.example.test/callback"


def make_app(name: str = "Chart Sync", public: bool = False) -> tuple[Any, str | None]:
    from alliance.api.oauth_apps import oauth_app_create

    return oauth_app_create(actor=None, name=name, redirect_uris=[REDIRECT], public=public)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_params(app: Any, scope: str, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": "xyz",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return params | extra


def approve(browser: Client, params: dict[str, str]) -> dict[str, list[str]]:
    """The person opens the authorize page and allows; the query the app gets back."""
    page = browser.get("/oauth/authorize/", params)
    assert page.status_code == 200, page.content
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    answer = browser.post("/oauth/authorize/", form | {"allow": "true"})
    assert answer.status_code == 302, answer.content
    assert answer.url.startswith(REDIRECT)
    return parse_qs(urlsplit(answer.url).query)


def exchange(app: Any, secret: str | None, code: str, verifier: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": app.client_id,
        "code_verifier": verifier,
    }
    if secret:
        data["client_secret"] = secret
    return Client().post("/oauth/token/", data)


def staff_browser(email: str) -> Client:
    browser = Client()
    response = sign_in(browser, email)
    assert response.status_code == 302
    return browser


def app_token(cast: Cast, user: Any, scope: str, browser: Client | None = None) -> dict[str, Any]:
    app, secret = make_app()
    verifier, challenge = pkce()
    query = approve(browser or signed_in(user), authorize_params(app, scope, challenge))
    assert query["state"] == ["xyz"]
    response = exchange(app, secret, query["code"][0], verifier)
    assert response.status_code == 200, response.content
    data: dict[str, Any] = response.json()
    return data


def test_smart_configuration_says_what_apps_need() -> None:
    response = Client().get("/.well-known/smart-configuration")
    assert response.status_code == 200
    config = response.json()
    assert config["authorization_endpoint"] == "http://testserver/oauth/authorize/"
    assert config["token_endpoint"] == "http://testserver/oauth/token/"
    assert config["revocation_endpoint"] == "http://testserver/oauth/revoke/"
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["response_types_supported"] == ["code"]
    assert {"patient/*.rs", "user/*.rs", "patient/Observation.rs", "offline_access"} <= set(
        config["scopes_supported"]
    )
    for capability in (
        "launch-standalone",
        "client-public",
        "client-confidential-symmetric",
        "context-standalone-patient",
        "permission-v2",
    ):
        assert capability in config["capabilities"]


def test_capability_statement_names_the_oauth_endpoints() -> None:
    statement = body(Client().get("/fhir/R4/metadata"))
    security = statement["rest"][0]["security"]
    (extension,) = security["extension"]
    assert extension["url"].endswith("/oauth-uris")
    uris = {e["url"]: e["valueUri"] for e in extension["extension"]}
    assert uris == {
        "authorize": "http://testserver/oauth/authorize/",
        "token": "http://testserver/oauth/token/",
        "revoke": "http://testserver/oauth/revoke/",
    }
    assert "15 minutes" in security["description"]


def test_a_therapist_signed_in_with_two_factor_lets_an_app_read_their_clients(
    cast: Cast,
) -> None:
    from alliance.audit.models import Action, AuditEvent

    answered(cast, cast.dana_episode)
    browser = staff_browser(cast.alice.email)
    token = app_token(cast, cast.alice, "user/*.rs", browser=browser)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 15 * 60
    assert "refresh_token" not in token
    access = token["access_token"]
    patient = call(f"/fhir/R4/Patient/{cast.dana.pk}", access)
    assert patient.status_code == 200
    assert body(patient)["id"] == str(cast.dana.pk)
    event = AuditEvent.objects.filter(action=Action.API_READ).get()
    assert (event.actor_id, event.client_id) == (cast.alice.pk, cast.dana.pk)
    assert event.target_type == "api_app:Chart Sync"
    log = signed_in(cast.dana).get("/me/record-access/").content.decode()
    assert "read the record through the app Chart Sync" in log


def test_the_apps_token_reaches_nobody_else(cast: Cast) -> None:
    token = app_token(cast, cast.charlie, "user/*.rs")["access_token"]
    outcome(call(f"/fhir/R4/Patient/{cast.dana.pk}", token), 404)


def test_the_authorize_page_says_in_plain_words_what_the_app_asks(cast: Cast) -> None:
    app, _secret = make_app()
    _verifier, challenge = pkce()
    params = authorize_params(app, "patient/*.rs offline_access", challenge)
    page = signed_in(cast.dana).get("/oauth/authorize/", params).content.decode()
    assert "Chart Sync" in page
    assert "Read your own record: everything in the record." in page
    spanish = signed_in(cast.eve).get("/oauth/authorize/", params).content.decode()
    assert "Leer su propio expediente" in spanish


def test_signed_out_the_authorize_page_asks_to_sign_in_first(cast: Cast) -> None:
    app, _secret = make_app()
    params = authorize_params(app, "patient/*.rs", pkce()[1])
    response = Client().get("/oauth/authorize/", params)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_client_lets_a_public_app_read_their_own_record_with_patient_context(
    cast: Cast,
) -> None:
    app, secret = make_app("Mood Diary", public=True)
    assert secret is None
    verifier, challenge = pkce()
    query = approve(
        signed_in(cast.dana), authorize_params(app, "patient/*.rs launch/patient", challenge)
    )
    token = exchange(app, None, query["code"][0], verifier).json()
    assert token["patient"] == str(cast.dana.pk)
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", token["access_token"]).status_code == 200
    outcome(call(f"/fhir/R4/Patient/{cast.eve.pk}", token["access_token"]), 404)


def test_denying_sends_the_app_access_denied(cast: Cast) -> None:
    app, _secret = make_app()
    browser = signed_in(cast.dana)
    page = browser.get("/oauth/authorize/", authorize_params(app, "patient/*.rs", pkce()[1]))
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    answer = browser.post("/oauth/authorize/", form)
    assert parse_qs(urlsplit(answer.url).query)["error"] == ["access_denied"]


@pytest.mark.parametrize(
    "extra",
    [
        {},  # no PKCE at all
        {"code_challenge": "a" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "a" * 43},  # plain by default
    ],
)
def test_without_s256_pkce_no_code_is_given(cast: Cast, extra: dict[str, str]) -> None:
    from oauth2_provider.models import Grant

    app, _secret = make_app()
    params = authorize_params(app, "patient/*.rs", None, **extra)
    browser = signed_in(cast.dana)
    page = browser.get("/oauth/authorize/", params)
    if page.status_code == 200:
        form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
        page = browser.post("/oauth/authorize/", form | {"allow": "true"})
    assert page.status_code == 302
    assert "error=" in page.url
    assert "code=" not in page.url
    assert not Grant.objects.exists()


def test_a_wrong_verifier_gets_no_token(cast: Cast) -> None:
    app, secret = make_app()
    _verifier, challenge = pkce()
    query = approve(signed_in(cast.dana), authorize_params(app, "patient/*.rs", challenge))
    response = exchange(app, secret, query["code"][0], pkce()[0])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("who", "scope"),
    [("dana", "user/*.rs"), ("alice", "patient/*.rs"), ("ada", "patient/*.rs")],
)
def test_scopes_the_person_may_not_hold_are_refused(cast: Cast, who: str, scope: str) -> None:
    from oauth2_provider.models import Grant

    app, _secret = make_app()
    response = signed_in(getattr(cast, who)).get(
        "/oauth/authorize/", authorize_params(app, scope, pkce()[1])
    )
    assert response.status_code == 302
    assert "error=invalid_scope" in response.url
    assert not Grant.objects.exists()


def test_a_tampered_form_cannot_widen_the_scope(cast: Cast) -> None:
    from oauth2_provider.models import Grant

    app, _secret = make_app()
    browser = signed_in(cast.dana)
    page = browser.get("/oauth/authorize/", authorize_params(app, "patient/*.rs", pkce()[1]))
    form = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    answer = browser.post("/oauth/authorize/", form | {"allow": "true", "scope": "user/*.rs"})
    assert "code=" not in answer.url
    assert not Grant.objects.exists()


def test_an_expired_app_token_is_401(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    token = app_token(cast, cast.dana, "patient/*.rs")["access_token"]
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", token).status_code == 200
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    outcome(call(f"/fhir/R4/Patient/{cast.dana.pk}", token), 401)


def test_a_confidential_app_revokes_its_token_with_its_secret(cast: Cast) -> None:
    app, secret = make_app()
    verifier, challenge = pkce()
    query = approve(signed_in(cast.dana), authorize_params(app, "patient/*.rs", challenge))
    token = exchange(app, secret, query["code"][0], verifier).json()["access_token"]
    data = {"token": token, "client_id": app.client_id}
    assert Client().post("/oauth/revoke/", data).status_code == 401
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", token).status_code == 200
    assert Client().post("/oauth/revoke/", data | {"client_secret": secret}).status_code == 200
    outcome(call(f"/fhir/R4/Patient/{cast.dana.pk}", token), 401)


def test_the_revocation_endpoint_ends_a_public_apps_token(cast: Cast) -> None:
    app, _secret = make_app("Mood Diary", public=True)
    verifier, challenge = pkce()
    query = approve(signed_in(cast.dana), authorize_params(app, "patient/*.rs", challenge))
    token = exchange(app, None, query["code"][0], verifier).json()["access_token"]
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", token).status_code == 200
    revoked = Client().post("/oauth/revoke/", {"token": token, "client_id": app.client_id})
    assert revoked.status_code == 200
    outcome(call(f"/fhir/R4/Patient/{cast.dana.pk}", token), 401)


def test_a_refresh_token_only_with_offline_access(cast: Cast) -> None:
    app, secret = make_app()
    verifier, challenge = pkce()
    query = approve(
        signed_in(cast.dana), authorize_params(app, "patient/*.rs offline_access", challenge)
    )
    token = exchange(app, secret, query["code"][0], verifier).json()
    assert token["refresh_token"]
    refreshed = Client().post(
        "/oauth/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": token["refresh_token"],
            "client_id": app.client_id,
            "client_secret": secret,
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    new = refreshed.json()["access_token"]
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", new).status_code == 200


def test_the_person_sees_and_takes_back_the_apps_they_let_in(cast: Cast) -> None:
    token = app_token(cast, cast.dana, "patient/*.rs")["access_token"]
    browser = signed_in(cast.dana)
    page = browser.get("/profile/apps/").content.decode()
    assert "Chart Sync" in page
    assert 'href="/profile/apps/"' in browser.get("/profile/").content.decode()
    assert "Chart Sync" not in signed_in(cast.eve).get("/profile/apps/").content.decode()
    from oauth2_provider.models import Application

    app = Application.objects.get()
    assert signed_in(cast.eve).post(f"/profile/apps/{app.pk}/revoke/").status_code == 404
    assert browser.post(f"/profile/apps/{app.pk}/revoke/").status_code == 302
    outcome(call(f"/fhir/R4/Patient/{cast.dana.pk}", token), 401)
    assert "Chart Sync" not in browser.get("/profile/apps/").content.decode()


def test_token_endpoints_take_no_cookies_the_authorize_page_does() -> None:
    from django.test import RequestFactory

    from alliance.web.middleware import ApiWithoutCookiesMiddleware

    seen = []
    strip = ApiWithoutCookiesMiddleware(lambda request: seen.append(request.COOKIES) or None)  # type: ignore[arg-type, func-returns-value]
    for path in ("/oauth/token/", "/oauth/revoke/", "/oauth/authorize/"):
        strip(RequestFactory().post(path, HTTP_COOKIE="sessionid=abc"))
    assert seen == [{}, {}, {"sessionid": "abc"}]


@pytest.mark.parametrize(
    "uri",
    ["http://app.example.test/cb", "ftp://x.test/", "https://x.test/cb#frag", "/relative"],
)
def test_redirect_uris_must_be_https_or_loopback(uri: str) -> None:
    from alliance.api.oauth_apps import AppError, oauth_app_create

    with pytest.raises(AppError):
        oauth_app_create(actor=None, name="Bad", redirect_uris=[uri], public=True)


def test_loopback_http_redirects_are_allowed_for_native_apps() -> None:
    from alliance.api.oauth_apps import oauth_app_create

    app, _ = oauth_app_create(
        actor=None, name="Native", redirect_uris=["http://127.0.0.1:8765/cb"], public=True
    )
    assert app.redirect_uris == "http://127.0.0.1:8765/cb"


def test_a_forged_approval_for_an_unknown_app_is_400(cast: Cast) -> None:
    form = {
        "allow": "true",
        "client_id": "no-such-app",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "patient/*.rs",
    }
    assert signed_in(cast.dana).post("/oauth/authorize/", form).status_code == 400


def test_codes_and_tokens_in_query_strings_never_reach_the_logs() -> None:
    import logging

    from alliance.logpaths import RedactPaths

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /oauth/authorize/?code=SECRETCODE&access_token=SECRETTOKEN HTTP/1.1", "302", "0"),
        None,
    )
    RedactPaths().filter(record)
    line = record.getMessage()
    assert "/oauth/authorize/" in line
    assert "SECRET" not in line


def test_the_worker_removes_expired_app_tokens_and_keeps_live_ones(cast: Cast) -> None:
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    live = app_token(cast, cast.dana, "patient/*.rs")["access_token"]
    AccessToken.objects.create(
        user=cast.eve,
        application=AccessToken.objects.get().application,
        token=secrets.token_urlsafe(32),
        scope="patient/*.rs",
        expires=timezone.now() - timedelta(seconds=1),
    )
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "1 expired app tokens removed" in out.getvalue()
    assert list(AccessToken.objects.values_list("user", flat=True)) == [cast.dana.pk]
    assert call(f"/fhir/R4/Patient/{cast.dana.pk}", live).status_code == 200


def test_a_clients_app_may_be_let_send_their_answers_and_the_page_says_so(cast: Cast) -> None:
    from alliance.measures.services import administration_request

    app, _secret = make_app("Mood Diary")
    scope = "patient/*.rs patient/QuestionnaireResponse.c"
    params = authorize_params(app, scope, pkce()[1])
    page = signed_in(cast.dana).get("/oauth/authorize/", params).content.decode()
    assert "Send your answers to the check-ins asked of you." in page
    spanish = signed_in(cast.eve).get("/oauth/authorize/", params).content.decode()
    assert "Enviar sus respuestas a los cuestionarios" in spanish
    asked = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-2"
    )
    token = app_token(cast, cast.dana, scope)["access_token"]
    sent = {
        "resourceType": "QuestionnaireResponse",
        "basedOn": [{"reference": f"Task/checkin-{asked.pk}"}],
        "item": [
            {"linkId": link, "answer": [{"valueCoding": {"code": "LA6568-5"}}]}
            for link in ("phq2-1", "phq2-2")
        ],
    }
    answer = Client().post(
        "/fhir/R4/QuestionnaireResponse",
        json.dumps(sent),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 201, answer.content
    # An app let only read cannot send them.
    reader_app, reader_secret = make_app("Reader")
    verifier, challenge = pkce()
    query = approve(signed_in(cast.dana), authorize_params(reader_app, "patient/*.rs", challenge))
    reader = exchange(reader_app, reader_secret, query["code"][0], verifier).json()["access_token"]
    again = Client().post(
        "/fhir/R4/QuestionnaireResponse",
        json.dumps(sent),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert again.status_code == 403
