"""OAuth 2.0 for third-party apps (SMART App Launch 2), on django-oauth-toolkit.

An app the practice registered (``alliance oauth-app create``) sends the person to
``/oauth/authorize/`` with PKCE (S256 only); the signed-in person approves or denies; the
app exchanges the code at ``/oauth/token/`` for an access token that lasts
``ACCESS_TOKEN_MINUTES`` and, only with ``offline_access``, a refresh token. The FHIR API
turns the access token into an ``ApiCaller`` (``oauth_caller``) like a personal token, so
every read goes through ``care.access`` and is audited naming the app.

Scopes are SMART's: the FHIR ones (``patient/*.rs``, ``user/Observation.rs`` …, parsed by
``alliance.lib.smart_scopes``) plus ``offline_access`` and ``launch/patient``. The person
must be able to hold them (``services.scope_refusal``: a client only ``patient/…``, staff
only ``user/…``); the check runs when the code is made, whatever the form sent.
"""

from __future__ import annotations

from typing import Any

from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import BaseScopes
from oauthlib.oauth2.rfc6749 import errors

from alliance.api.callers import ApiCaller
from alliance.api.services import scope_refusal
from alliance.care import access
from alliance.lib.smart_scopes import (
    CONTEXTS,
    RESOURCE_TYPES,
    ScopeError,
    parse_scope,
    parse_scopes,
)

ACCESS_TOKEN_MINUTES = 15
# How audit events name an app's reads (``api_app:<app name>``); the client's access log
# reads the name there (``alliance.records.access_log``). target_type holds 40 characters.
APP_AUDIT_TARGET = "api_app:"
APP_NAME_MAX = 40 - len(APP_AUDIT_TARGET)
OFFLINE_ACCESS = "offline_access"
LAUNCH_PATIENT = "launch/patient"
OTHER_SCOPES = (OFFLINE_ACCESS, LAUNCH_PATIENT)
ANSWER_SCOPES = ("patient/QuestionnaireResponse.c", "patient/*.crs")


def fhir_scopes(scopes: list[str] | tuple[str, ...]) -> list[str]:
    return [scope for scope in scopes if scope not in OTHER_SCOPES]


def all_scopes() -> dict[str, str]:
    """Every scope an app may ask for, with a line in English for the library's use (the
    authorize page words them itself, in the person's language)."""
    scopes = {
        f"{context}/{resource}.{permissions}": f"{context} {resource} {permissions}"
        for context in CONTEXTS
        for resource in ("*", *RESOURCE_TYPES)
        for permissions in ("rs", "r", "s")
    }
    # A client's app may also send their answers to their check-ins.
    for scope in ANSWER_SCOPES:
        scopes[scope] = f"{scope}: the client's answers to their check-ins"
    scopes[OFFLINE_ACCESS] = "keep access while the person is away (refresh token)"
    scopes[LAUNCH_PATIENT] = "the patient in context: a client's own record"
    return scopes


def scopes_problem(scopes: list[str] | tuple[str, ...]) -> str | None:
    """Why a set of requested scopes is not one Alliance grants; None when it is."""
    unknown = [s for s in scopes if s not in OTHER_SCOPES and s not in all_scopes()]
    if unknown:
        try:
            parse_scope(unknown[0])
        except ScopeError as error:
            return str(error)
        return f"{unknown[0]!r} is not a scope this server grants"
    wanted = fhir_scopes(scopes)
    if not wanted:
        return "ask for at least one FHIR scope, e.g. patient/*.rs or user/*.rs"
    try:
        parse_scopes(" ".join(wanted))
    except ScopeError as error:
        return str(error)
    return None


def person_refusal(user: Any, scopes: list[str] | tuple[str, ...]) -> str | None:
    """Why this person may not give an app these scopes; None when they may."""
    problem = scopes_problem(scopes)
    if problem is not None:
        return problem
    return scope_refusal(user, " ".join(fhir_scopes(scopes)))


class SmartScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend: SMART's, none by default (an app says
    what it wants)."""

    def get_all_scopes(self) -> dict[str, str]:
        return all_scopes()

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return list(all_scopes())

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        return []


class SmartValidator(OAuth2Validator):
    """The library's validator with SMART's rules: scopes Alliance grants and the person
    may hold, S256 only, a refresh token only with offline_access."""

    def validate_scopes(
        self, client_id: str, scopes: list[str], client: Any, request: Any, *args: Any, **kw: Any
    ) -> bool:
        return scopes_problem(scopes) is None

    def save_authorization_code(
        self, client_id: str, code: dict[str, Any], request: Any, *args: Any, **kw: Any
    ) -> None:
        if request.code_challenge_method != "S256":
            raise errors.InvalidRequestError(
                description="PKCE with code_challenge_method=S256 is required", request=request
            )
        refusal = person_refusal(request.user, request.scopes)
        if refusal is not None:
            raise errors.InvalidScopeError(description=refusal, request=request)
        super().save_authorization_code(client_id, code, request, *args, **kw)

    def save_bearer_token(self, token: dict[str, Any], request: Any, *args: Any, **kw: Any) -> Any:
        if OFFLINE_ACCESS not in (request.scopes or []):
            token.pop("refresh_token", None)
        user = request.user
        if LAUNCH_PATIENT in (request.scopes or []) and access.is_client(user):
            token["patient"] = str(user.pk)
        return super().save_bearer_token(token, request, *args, **kw)


def oauth_caller(raw: str) -> ApiCaller | None:
    """Who an app's access token acts for; None when it is unknown, expired or revoked (the
    library deletes a revoked token) or its person is no longer active."""
    token = SmartValidator()._load_access_token(raw)
    if token is None or token.is_expired() or token.user is None or not token.user.is_active:
        return None
    return app_caller(token)


def app_caller(token: AccessToken) -> ApiCaller:
    try:
        scopes = parse_scopes(" ".join(fhir_scopes(token.scope.split())))
    except ScopeError:
        scopes = ()
    return ApiCaller(
        owner=token.user,
        scopes=scopes,
        audit_target=f"{APP_AUDIT_TARGET}{token.application.name}"[:40],
        audit_target_id=token.application_id,
        rate_key=f"oauth:{token.pk}",
    )


def smart_configuration(uris: dict[str, str]) -> dict[str, Any]:
    """``/.well-known/smart-configuration`` (SMART App Launch 2), given the endpoints'
    absolute URIs (``authorize``, ``token``, ``revoke``)."""
    return {
        "authorization_endpoint": uris["authorize"],
        "token_endpoint": uris["token"],
        "revocation_endpoint": uris["revoke"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "scopes_supported": list(all_scopes()),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": [
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "context-standalone-patient",
            "permission-offline",
            "permission-patient",
            "permission-user",
            "permission-v2",
        ],
    }
