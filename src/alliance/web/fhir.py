"""The FHIR API's HTTP edge: bearer tokens, rate limits, and errors as OperationOutcome.

A signed-in browser session never authenticates the API: only the ``Authorization:
Bearer`` header does, so a page cannot make a visitor's browser read their record, or send
answers, through it (and there is no cookie to forge a request with, hence no CSRF check:
the middleware drops cookies under ``/fhir/``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.core.internal import ratelimit
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt

from alliance.api.callers import ApiCaller, token_caller
from alliance.api.fhir import ScopeDenied, operation_outcome
from alliance.api.fhir_answers import WriteRefused
from alliance.api.oauth import oauth_caller
from alliance.api.search import BadSearch
from alliance.api.services import api_token_authenticate

CONTENT_TYPE = "application/fhir+json"
RETRY_AFTER_SECONDS = 60


class TokenRequest(HttpRequest):
    api_caller: ApiCaller


def fhir_json(resource: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )


def _outcome(status: int, code: str, text: str) -> HttpResponse:
    return fhir_json(operation_outcome(code, text), status=status)


def fhir_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/R4").removesuffix("/")


def fhir_endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET only, no session, no CSRF; known errors as OperationOutcome."""
    return fhir_endpoint_for("GET", "HEAD")(view)


def fhir_write_endpoint(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """As ``fhir_endpoint``, taking POST too (a client's answers)."""
    return fhir_endpoint_for("GET", "HEAD", "POST")(view)


def fhir_endpoint_for(
    *methods: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Only these methods (a bulk export's status URL also takes DELETE), no session, no
    CSRF (only the bearer header authenticates); known errors as OperationOutcome."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @login_not_required
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in methods:
                allowed = " or ".join(method for method in methods if method != "HEAD")
                return _outcome(405, "not-supported", f"This URL takes {allowed} only.")
            try:
                return view(request, *args, **kwargs)
            except WriteRefused as refused:
                return _outcome(refused.status, refused.code, refused.diagnostics)
            except Http404:
                return _outcome(404, "not-found", "No such resource here.")
            except BadSearch as error:
                return _outcome(400, "invalid", str(error))
            except ScopeDenied as denied:
                return _outcome(403, "forbidden", f"The token's scopes do not cover {denied}.")
            except PermissionDenied:
                return _outcome(403, "forbidden", "This token may not do this.")

        return wrapped

    return decorate


def _bearer_caller(raw: str) -> ApiCaller | None:
    """Who a bearer credential acts for, a personal token or an app's OAuth access token;
    None when it is unknown or no longer usable."""
    token = api_token_authenticate(raw)
    if token is not None:
        return token_caller(token)
    return oauth_caller(raw) if raw else None


def token_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """The bearer token's owner acts; a missing, unknown, expired or revoked token is 401,
    too many calls with one token 429."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        caller = _bearer_caller(raw.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            refused = _outcome(401, "login", "A valid API token is needed (Bearer).")
            refused["WWW-Authenticate"] = 'Bearer realm="fhir"'
            return refused
        if not ratelimit.consume(
            request, app="allauth.account", action="fhir_api", key=caller.rate_key, limit_get=True
        ):
            limited = _outcome(429, "throttled", "Too many requests with this token.")
            limited["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return limited
        request.api_caller = caller  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
