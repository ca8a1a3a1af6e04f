"""Response headers, each person's language, staff two-factor, idle and absolute sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from alliance.localtime import zone_of

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)


# The API and the OAuth endpoints apps call directly (not the authorize page, which is
# the person's).
COOKIELESS_PREFIXES = ("/fhir/", "/api/", "/oauth/token/", "/oauth/revoke/", "/oauth/introspect/")


class ApiWithoutCookiesMiddleware:
    """The FHIR and JSON APIs answer bearer tokens only: its requests lose their cookies before the
    session is read, so a browser's session neither authenticates a call nor is sent to
    set up two-factor, timed out or touched by one (``alliance.web.fhir``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(COOKIELESS_PREFIXES):
            request.META.pop("HTTP_COOKIE", None)
            request.COOKIES = {}
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set.

    Pages are never stored by browsers or proxies: nearly every page here carries
    someone's name or clinical content, and a shared computer's back button should
    not show them to the next person.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith("/static/"):
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, max-age=0"
        return response


class UserLanguageMiddleware:
    """A signed-in person sees the language and the time zone saved in their profile:
    every date and time on their pages is in their zone (the practice's if they chose
    none), and the pages say which zone that is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(zone_of(user)):
            if not user.language:
                return self.get_response(request)
            request.LANGUAGE_CODE = user.language
            with translation.override(user.language):
                response = self.get_response(request)
        response.headers.setdefault("Content-Language", user.language)
        return response


# What a staff member without a second factor may still open: what setting one up needs.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_reauthenticate",
        "mfa_reauthenticate_webauthn",
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_download_recovery_codes",
        "account_reauthenticate",
        "account_logout",
        "language_switch",
        "healthz",
    }
)


class StaffMFARequiredMiddleware:
    """Therapists, supervisors and admins work only once they have a second factor.

    Until then every page sends them to set up an authenticator app. Signing in with it
    is allauth's own step, which follows the password for anyone who has one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], *args: Any
    ) -> HttpResponse | None:
        from alliance.accounts.mfa import (
            has_second_factor,
            mfa_required,
            signed_in_with_second_factor,
        )

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not mfa_required(user):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in MFA_SETUP_URL_NAMES:
            return None
        # The session's own sign-in record spares the usual staff request a query.
        if signed_in_with_second_factor(request, user) or has_second_factor(user):
            return None
        messages.info(
            request,
            _(
                "Staff accounts need two-factor sign-in. Add an authenticator app "
                "(or a security key) to continue."
            ),
        )
        return redirect("mfa_activate_totp")


STARTED_SESSION_KEY = "alliance.session_started"
IDLE_SESSION_KEY = "alliance.last_activity"
# The idle clock and the session list's "last active" are written at most this often, so
# that an ordinary page view writes nothing (with SQLite every write waits its turn). The
# idle limit is therefore kept to within this many seconds (never later than set).
ACTIVITY_WRITE_SECONDS = 60
SEEN_SESSION_KEY = "alliance.last_seen_recorded"


class StaffIdleTimeoutMiddleware:
    """Staff are signed out after ALLIANCE_STAFF_IDLE_MINUTES without a request.

    A clinician's screen left open in a shared office shows clients' records; clients keep
    only the absolute session limit (SESSION_COOKIE_AGE), as they mostly use their own phone.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from alliance.care import access

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and access.is_staff_member(user):
            now = int(time.time())
            last = request.session.get(IDLE_SESSION_KEY)
            if isinstance(last, int) and now - last > settings.STAFF_IDLE_MINUTES * 60:
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": settings.STAFF_IDLE_MINUTES},
                )
                return redirect_to_login(request.get_full_path())
            if not isinstance(last, int) or now - last >= ACTIVITY_WRITE_SECONDS:
                request.session[IDLE_SESSION_KEY] = now
        return self.get_response(request)


class SessionActivityMiddleware:
    """Keeps each signed-in session's row in the list people see (where, which browser,
    last active) up to date, as allauth's own middleware does with
    ``USERSESSIONS_TRACK_ACTIVITY`` — but at most every ``ACTIVITY_WRITE_SECONDS`` per
    session, or at once when the address or browser changes, instead of on every request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (
            user is not None
            and user.is_authenticated
            and session is not None
            and session.session_key
        ):
            now = int(time.time())
            seen = session.get(SEEN_SESSION_KEY)
            client = [
                get_account_adapter(request).get_client_ip(request),
                request.META.get("HTTP_USER_AGENT", "")[:200],
            ]
            if (
                not isinstance(seen, list)
                or len(seen) != 3
                or seen[1:] != client
                or not isinstance(seen[0], int)
                or now - seen[0] >= ACTIVITY_WRITE_SECONDS
            ):
                UserSession.objects.create_from_request(request)
                session[SEEN_SESSION_KEY] = [now, *client]
        return self.get_response(request)


class SessionMaxAgeMiddleware:
    """Everyone is signed out ALLIANCE_SESSION_MAX_HOURS after the session began.

    SESSION_COOKIE_AGE alone is not an absolute limit: Django moves a session's expiry
    forward whenever the session is saved, and the idle timeout saves an active staff
    member's session every minute. So the start is kept in the session and checked here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.get(STARTED_SESSION_KEY)
            if not isinstance(started, int):
                request.session[STARTED_SESSION_KEY] = now
            elif now - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
