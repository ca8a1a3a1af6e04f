"""OAuth 2.0 for apps (SMART App Launch 2): discovery, the person's approval, their list.

The token and revocation endpoints are django-oauth-toolkit's own (``web.routes.oauth``);
the authorize page is the library's flow with our template, and the person must be able
to hold what the app asks for (``alliance.api.oauth.person_refusal``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import Application
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749 import errors

from alliance.api.oauth import person_refusal, smart_configuration
from alliance.api.oauth_apps import oauth_access_end
from alliance.audit.context import audit_context
from alliance.care import access
from alliance.web.fhir import fhir_base
from alliance.web.http import AuthedRequest
from alliance.web.presenters.oauth import app_rows, scope_lines


def oauth_uris(request: HttpRequest) -> dict[str, str]:
    return {
        name: request.build_absolute_uri(reverse(route))
        for name, route in (
            ("authorize", "oauth_authorize"),
            ("token", "oauth_token"),
            ("revoke", "oauth_revoke"),
        )
    }


@login_not_required
@require_GET
def smart_config(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(smart_configuration(oauth_uris(request)))
    response["Access-Control-Allow-Origin"] = "*"
    return response


class AuthorizeView(AuthorizationView):
    """The person sees which app asks for what, in their language, and approves or denies."""

    template_name = "web/oauth_authorize.html"
    redirect_origin: str | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        if self.redirect_origin is not None:
            # Allow and Deny answer with a redirect to the app; a browser holds a form's
            # redirect to the page's form-action too, so the app's registered origin (and
            # only it) is added to this page's policy.
            response._csp_update = {"form-action": [self.redirect_origin]}  # type: ignore[attr-defined]
        return response

    def validate_authorization_request(self, request: HttpRequest) -> tuple[list[str], Any]:
        scopes, credentials = super().validate_authorization_request(request)
        aud = request.GET.get("aud")
        if aud is not None and aud.rstrip("/") != fhir_base(request):
            # SMART App Launch 2: the app names the FHIR server it means to use, so that a
            # token meant for a counterfeit server is never given for this one's data.
            error = errors.InvalidRequestError(
                description="aud is not this server's FHIR base URL", state=credentials.get("state")
            )
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        refusal = person_refusal(request.user, scopes)
        if refusal is not None:
            error = errors.InvalidScopeError(description=refusal, state=credentials.get("state"))
            raise OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"])
        # Checked by the library against the app's registered redirect URIs by now.
        target = urlsplit(credentials["redirect_uri"])
        self.redirect_origin = f"{target.scheme}://{target.netloc}"
        return scopes, credentials

    def form_valid(self, form: Any) -> HttpResponse:
        # The library looks the app up unguarded: a forged client_id would be a 500.
        if not Application.objects.filter(client_id=form.cleaned_data["client_id"]).exists():
            return self.render_to_response({"error": errors.InvalidClientIdError()}, status=400)
        response: HttpResponse = super().form_valid(form)
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["scope_lines"] = scope_lines(kwargs.get("scopes", []))
        context["base_template"] = _base(self.request)
        return context


def _base(request: HttpRequest) -> str:
    client = getattr(request.user, "is_client", False)
    return "web/portal_base.html" if client else "web/workspace_base.html"


@require_GET
def authorised_apps(request: AuthedRequest) -> HttpResponse:
    rows = app_rows(access.own_authorised_apps(request.user))
    context = {"rows": rows, "base_template": _base(request)}
    return render(request, "web/oauth_apps.html", context)


@require_POST
def authorised_app_revoke(request: AuthedRequest, app_id: int) -> HttpResponse:
    app = access.access_own_authorised_app(request.user, app_id)
    if oauth_access_end(actor=request.user, app=app, context=audit_context(request)):
        messages.success(request, _("That app can no longer read anything for you."))
    return redirect("oauth_apps")
