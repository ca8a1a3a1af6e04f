"""The client side of a SMART App Launch (EHR launch): plain HTTP with ``urllib``.

Alliance is the app; the EHR is the authorization server and the FHIR server. Everything
here talks to one EHR whose ``iss`` the practice registered (``alliance.ehr``): discovery
(``<iss>/.well-known/smart-configuration``), the authorize URL with PKCE S256, the code
exchange at the token endpoint and a resource read. Every call has a timeout, follows no
redirect and goes over HTTPS, except to a loopback address (a test double on this machine).

The ``id_token`` is read, not verified: it comes straight from the token endpoint over TLS
in the server-to-server exchange, which OpenID Connect Core 3.1.3.7 accepts in place of a
signature check; its ``iss`` and ``aud`` are still compared.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

TIMEOUT_SECONDS = 10
MAX_BODY = 1_000_000
SCOPE = "launch openid fhirUser patient/Patient.rs"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


class SmartError(Exception):
    """The launch cannot go on; ``reason`` is a code the page words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_allowed_url(url: str) -> bool:
    """HTTPS, or plain HTTP to this machine's loopback (a test double)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def _request(url: str, **kwargs: Any) -> urllib.request.Request:
    """A request to an https:// (or loopback http://) URL, never another scheme."""
    if not is_allowed_url(url):
        raise SmartError("insecure")
    return urllib.request.Request(url, **kwargs)  # noqa: S310 (scheme checked just above)


def _json_call(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read(MAX_BODY)
    except urllib.error.HTTPError as refused:
        raise SmartError("refused") from refused
    except (urllib.error.URLError, OSError, ValueError) as failed:
        raise SmartError("unreachable") from failed
    try:
        data = json.loads(body)
    except ValueError as bad:
        raise SmartError("refused") from bad
    if not isinstance(data, dict):
        raise SmartError("refused")
    return data


@dataclass(frozen=True)
class Endpoints:
    authorize: str
    token: str


def discover(iss: str) -> Endpoints:
    """The EHR's authorize and token endpoints from its SMART configuration."""
    url = iss.rstrip("/") + "/.well-known/smart-configuration"
    config = _json_call(_request(url, headers={"Accept": "application/json"}))
    authorize = config.get("authorization_endpoint")
    token = config.get("token_endpoint")
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise SmartError("unreachable")
    if not (is_allowed_url(authorize) and is_allowed_url(token)):
        raise SmartError("insecure")
    return Endpoints(authorize=authorize, token=token)


def authorize_url(
    endpoints: Endpoints,
    *,
    client_id: str,
    redirect_uri: str,
    launch: str,
    iss: str,
    state: str,
    challenge: str,
) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "launch": launch,
            "scope": SCOPE,
            "aud": iss,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in endpoints.authorize else "?"
    return f"{endpoints.authorize}{separator}{query}"


@dataclass(frozen=True)
class Grant:
    """What the token endpoint answered that the launch needs."""

    access_token: str
    patient: str
    fhir_user: str


def exchange_code(
    token_url: str,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    iss: str,
) -> Grant:
    """Trade the authorization code (with the PKCE verifier) for a token and its context.
    A confidential client authenticates with HTTP Basic, a public one names itself."""
    form: dict[str, str] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    if client_secret:
        pair = f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(client_secret)}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form["client_id"] = client_id
    request = _request(
        token_url, data=urllib.parse.urlencode(form).encode(), headers=headers, method="POST"
    )
    try:
        answer = _json_call(request)
    except SmartError as failed:
        raise SmartError("unreachable" if failed.reason == "unreachable" else "token") from None
    access_token = answer.get("access_token")
    patient = answer.get("patient")
    if not isinstance(access_token, str) or not access_token:
        raise SmartError("token")
    if not isinstance(patient, str) or not patient:
        raise SmartError("token")
    fhir_user = _fhir_user(answer, client_id=client_id, iss=iss)
    return Grant(access_token=access_token, patient=patient, fhir_user=fhir_user)


def _fhir_user(answer: dict[str, Any], *, client_id: str, iss: str) -> str:
    """``fhirUser`` from the id_token (read, not verified: see the module), else from the
    token response itself; as a relative reference (``Practitioner/123``)."""
    value = answer.get("fhirUser")
    id_token = answer.get("id_token")
    if isinstance(id_token, str) and id_token:
        claims = _jwt_claims(id_token)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if client_id not in audiences:
            raise SmartError("token")
        if claims.get("iss") not in (None, iss, iss.rstrip("/")):
            raise SmartError("token")
        value = claims.get("fhirUser", value)
    if not isinstance(value, str) or not value:
        raise SmartError("token")
    base = iss.rstrip("/") + "/"
    return value.removeprefix(base)


def _jwt_claims(token: str) -> dict[str, Any]:
    try:
        payload = token.split(".")[1]
        padded = payload + "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (IndexError, ValueError) as bad:
        raise SmartError("token") from bad
    if not isinstance(claims, dict):
        raise SmartError("token")
    return claims


def read_resource(iss: str, access_token: str, resource: str, resource_id: str) -> dict[str, Any]:
    """``GET <iss>/<resource>/<id>`` with the launch's access token."""
    quoted = urllib.parse.quote(resource_id, safe="")
    request = _request(
        f"{iss.rstrip('/')}/{resource}/{quoted}",
        headers={"Accept": "application/fhir+json", "Authorization": f"Bearer {access_token}"},
    )
    found = _json_call(request)
    if found.get("resourceType") != resource:
        raise SmartError("refused")
    return found


def patient_keys(patient_id: str, patient: dict[str, Any]) -> set[str]:
    """The ways a practice may have linked this EHR patient: their id in the EHR, and each
    of their identifiers as ``system|value``."""
    keys = {patient_id}
    identifiers = patient.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else []:
        if not isinstance(identifier, dict):
            continue
        system, value = identifier.get("system"), identifier.get("value")
        if isinstance(system, str) and isinstance(value, str) and system and value:
            keys.add(f"{system}|{value}")
    return keys
