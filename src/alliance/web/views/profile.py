from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.accounts.services import user_update_profile
from alliance.api.services import api_token_revoke as revoke_token
from alliance.audit.context import audit_context
from alliance.care import access
from alliance.care.services import session_end
from alliance.web.forms import ProfileForm
from alliance.web.http import AuthedRequest
from alliance.web.presenters.api_tokens import api_token_rows


@require_http_methods(["GET", "POST"])
def profile_edit(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        initial={
            "preferred_name": user.preferred_name,
            "pronouns": user.pronouns,
            "language": user.language,
            "country": user.country,
            "time_zone": user.time_zone,
            "reminders_enabled": user.reminders_enabled,
        },
    )
    if request.method == "POST" and form.is_valid():
        user_update_profile(actor=user, context=audit_context(request), **form.cleaned_data)
        with translation.override(form.cleaned_data["language"]):
            messages.success(request, _("Your profile is saved."))
        return redirect("profile")
    status = 400 if request.method == "POST" else 200
    base = "web/portal_base.html" if request.user.is_client else "web/workspace_base.html"
    return render(request, "web/profile.html", {"form": form, "base_template": base}, status=status)


@require_POST
def user_session_end(request: AuthedRequest, session_id: int) -> HttpResponse:
    if session_end(actor=request.user, session_id=session_id, context=audit_context(request)):
        messages.success(request, _("That session is signed out."))
    else:
        messages.info(request, _("That session had already ended."))
    return redirect("usersessions_list")


@require_GET
def api_tokens(request: AuthedRequest) -> HttpResponse:
    rows = api_token_rows(access.own_api_tokens(request.user))
    base = "web/portal_base.html" if request.user.is_client else "web/workspace_base.html"
    return render(request, "web/api_tokens.html", {"rows": rows, "base_template": base})


@require_POST
def api_token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    token = access.access_own_api_token(request.user, token_id)
    if revoke_token(actor=request.user, token=token, context=audit_context(request)):
        messages.success(request, _("That API token is revoked."))
    else:
        messages.info(request, _("That API token was already revoked."))
    return redirect("api_tokens")
