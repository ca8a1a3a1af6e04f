"""The one way a page sends an invitation: staff (practice admin) and clients (therapist)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from alliance.accounts.services import invitation_create, invitation_link
from alliance.audit.context import audit_context
from alliance.web.http import AuthedRequest, site_url


def invitation_form_page(
    request: AuthedRequest,
    form: forms.Form,
    template: str,
    details: Callable[[dict[str, Any]], dict[str, Any]],
) -> HttpResponse:
    """On a valid POST send the invitation and show its link once; otherwise the form.

    ``details`` turns the form's cleaned data into the role (and supervisor) to invite.
    """
    if request.method == "POST" and form.is_valid():
        try:
            issued = invitation_create(
                actor=request.user,
                email=form.cleaned_data["email"],
                context=audit_context(request),
                base_url=site_url(request),
                **details(form.cleaned_data),
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            # Shown once, now: only a hash of the token is stored.
            return render(
                request,
                "web/invitation_sent.html",
                {
                    "invitation": issued.invitation,
                    "link": invitation_link(issued.token, base_url=site_url(request)),
                    "email_failed": issued.emailed is False,
                },
            )
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form}, status=status)
