"""Pages anyone may open: the front door, the language switch and invitations."""

from __future__ import annotations

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts import services as account_services
from alliance.accounts.models import User
from alliance.audit.context import audit_context
from alliance.care import access
from alliance.care import services as care_services
from alliance.web.forms import AcceptInvitationForm
from alliance.web.http import AuthedRequest


@require_GET
def home(request: AuthedRequest) -> HttpResponse:
    if access.is_client(request.user):
        return redirect("portal_home")
    if access.is_admin(request.user):
        return redirect("practice_people")
    return redirect("caseload")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    language = request.POST.get("language", "")
    next_url = _safe_next(request)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Please choose a language from the list."))
        return HttpResponseRedirect(next_url)
    user = request.user
    if isinstance(user, User) and user.language != language:
        account_services.user_update_profile(
            actor=user,
            preferred_name=user.preferred_name,
            pronouns=user.pronouns,
            language=language,
            context=audit_context(request),
        )
    response = HttpResponseRedirect(next_url)
    _set_language_cookie(response, language)
    return response


def _safe_next(request: HttpRequest) -> str:
    """Where to go back to: the page asked for, if it is on this site, else the front door."""
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return next_url


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


UNUSABLE_STATUS = {"unknown": 404, "used": 410, "revoked": 410, "expired": 410}


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    limited = ratelimit.consume_or_429(request, action="invitation_accept", limit_get=True)
    if limited is not None:
        return limited
    try:
        invitation = account_services.invitation_for_token(token)
        if request.user.is_authenticated:
            return render(request, "web/invitation_signed_in.html", status=409)
        form = AcceptInvitationForm(
            request.POST or None,
            email=invitation.email,
            initial={"language": translation.get_language() or "en", "reminders_enabled": True},
        )
        if request.method == "POST" and form.is_valid() and _accept(request, token, form):
            return redirect(reverse("home"))
    except account_services.InvitationUnusable as unusable:
        return _unusable(request, unusable.reason)
    return render(
        request,
        "web/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if request.method == "POST" else 200,
    )


def _accept(request: HttpRequest, token: str, form: AcceptInvitationForm) -> bool:
    """Make the account and sign it in; ``False`` with the form's error if it was refused."""
    try:
        user = care_services.invitation_accept(
            token=token,
            password=form.cleaned_data["password1"],
            preferred_name=form.cleaned_data["preferred_name"],
            pronouns=form.cleaned_data["pronouns"],
            language=form.cleaned_data["language"],
            country=form.cleaned_data["country"],
            time_zone=form.cleaned_data["time_zone"],
            reminders_enabled=form.cleaned_data["reminders_enabled"],
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override(user.language):
        messages.success(
            request,
            _("Welcome, %(name)s. Your account is ready.") % {"name": user.preferred_name},
        )
    return True


def _unusable(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "web/invitation_unusable.html",
        {"reason": reason},
        status=UNUSABLE_STATUS[reason],
    )
