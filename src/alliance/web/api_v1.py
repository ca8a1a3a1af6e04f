"""The JSON API's HTTP edge (``/api/v1/``): what FHIR does not cover, for clinicians.

django-ninja makes the OpenAPI 3.1 document (``/api/v1/openapi.json``) from the typed
schemas in ``web.presenters.api_v1``; there is no interactive docs page (ninja's loads
its assets from a CDN, and no page here makes a request to another origin).

Who calls: the ``Authorization: Bearer`` credential of the FHIR API, the same caller
(``alliance.web.fhir._bearer_caller``), the same rate limit per credential (429 with
``Retry-After``), never a cookie (``ApiWithoutCookiesMiddleware`` drops them), so no
session and no CSRF. Every route is the clinician workspace's: a client's token and the
practice admin's get 403 on all of them (``access.may_use_clinician_api``). Each route
names the SMART resource type and permission its token must hold (see ``SCOPES``).
Errors are ``{"detail": …}`` with their status; a server error is Django's own page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from allauth.core.internal import ratelimit
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.http import require_safe
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.security import HttpBearer

from alliance.api.callers import ApiCaller
from alliance.care import access
from alliance.care.models import Episode
from alliance.lib.smart_scopes import scopes_allow
from alliance.measures.instruments import instrument_choices
from alliance.web.fhir import RETRY_AFTER_SECONDS, _bearer_caller
from alliance.web.forms import AskQuestionnaireForm

# Each route's SMART resource type and permission, as its OpenAPI description says.
SCOPES = {
    "caseload": ("Patient", "s"),
    "alert_list": ("DetectedIssue", "s"),
    "alert_read": ("DetectedIssue", "r"),
    "alert_update": ("DetectedIssue", "u"),
    "questionnaire_request": ("Task", "c"),
}
# Ids in paths and filters: anything larger is no row here (and would overflow a column).
MAX_ID = 2**31 - 1
ERRORS = (400, 401, 403, 404, 422, 429)
R = TypeVar("R")


class TooManyCalls(Exception):
    """The credential spent its budget of calls (settings ``fhir_api``, shared with FHIR)."""


class CallerBearer(HttpBearer):
    """A bearer credential → its ``ApiCaller`` (``request.auth``); None is a 401."""

    def __call__(self, request: HttpRequest) -> ApiCaller | None:
        # As the FHIR edge reads the header; ninja's own would log an unexpected one in
        # debug, and a header is a credential.
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        return self.authenticate(request, raw) if scheme.lower() == "bearer" else None

    def authenticate(self, request: HttpRequest, token: str) -> ApiCaller | None:
        caller = _bearer_caller(token.strip())
        if caller is None:
            return None
        if not ratelimit.consume(
            request, app="allauth.account", action="fhir_api", key=caller.rate_key, limit_get=True
        ):
            raise TooManyCalls
        return caller


def scoped(request: HttpRequest, route: str) -> ApiCaller:
    """The caller, if this API is theirs and their token's scopes cover the route: else 403."""
    caller: ApiCaller = request.auth  # type: ignore[attr-defined]
    if not access.may_use_clinician_api(caller.owner, caller.scopes[0].context):
        raise AuthorizationError(message="This API is for clinicians (a user/… token).")
    resource, permission = SCOPES[route]
    if not scopes_allow(caller.scopes, resource, permission):
        raise AuthorizationError(
            message=f"The token's scopes do not cover {resource}.{permission}."
        )
    return caller


def service_call(call: Callable[[], R]) -> R:
    """A service's refusal (Django's ValidationError, in words) is a 400."""
    try:
        return call()
    except DjangoValidationError as error:
        raise HttpError(400, " ".join(error.messages)) from None


def checked_instrument(episode: Episode, instrument: str, *, in_english: bool) -> str:
    """The questionnaire, checked by the web form's own rules (one we offer; one with no
    version in the client's language only with ``in_english``): else a 400 in words."""
    form = AskQuestionnaireForm(
        {"instrument": instrument, "in_english": "on" if in_english else ""},
        instruments=instrument_choices(),
        client_language=episode.client.language,
    )
    if not form.is_valid():
        raise HttpError(400, " ".join(str(m) for errors in form.errors.values() for m in errors))
    return str(form.cleaned_data["instrument"])


api = NinjaAPI(
    title="Alliance JSON API",
    version="1",
    description=(
        "What the FHIR API (/fhir/R4/) does not cover: the caseload with needs, alerts, "
        "asking a client for a questionnaire. Bearer tokens as for FHIR; scopes per route "
        "in each operation's description. A client's or the practice admin's token is "
        "refused (403) on every route; a client or alert the caller does not reach is 404."
    ),
    openapi_url="/openapi.json",
    docs_url=None,
    docs_decorator=require_safe,
    urls_namespace="api_v1",
    auth=CallerBearer(),
)


def _problem(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    refused = _problem(request, 401, "A valid API token is needed (Bearer).")
    refused["WWW-Authenticate"] = 'Bearer realm="api"'
    return refused


@api.exception_handler(TooManyCalls)
def _too_many(request: HttpRequest, exc: TooManyCalls) -> HttpResponse:
    limited = _problem(request, 429, "Too many requests with this token.")
    limited["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return limited


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _problem(request, 403, "You may not do this to this record.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _problem(request, 404, "No such thing here.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    raise exc  # Django's own 500 page and error log: never a traceback in the answer


def _json_edge(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """No sign-in page (the bearer token is the credential), and the errors raised outside
    ninja's operations (a method the route does not take, the bare root) as JSON too."""

    @login_not_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return JsonResponse({"detail": "No such thing here."}, status=404)
        if response.status_code == 405:
            refused = JsonResponse({"detail": "Method not allowed."}, status=405)
            refused["Allow"] = response.get("Allow", "")
            return refused
        return response

    return wrapped


def urlpatterns() -> list[URLPattern]:
    """The API's routes, once its operations are registered (``web.routes.api_v1``)."""
    patterns, _app, _namespace = api.urls
    return [
        path(str(p.pattern), _json_edge(p.callback), name=p.name or "")
        for p in patterns
        if isinstance(p, URLPattern)
    ]
