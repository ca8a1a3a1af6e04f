"""The practice admin's alert webhooks: list, register (the secret shown once), remove, test.

Deliveries are shown by status, attempts and HTTP code, never by payload (which holds ids
only in any case)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alliance.audit.context import audit_context
from alliance.care import access
from alliance.web.forms_webhooks import WebhookForm
from alliance.web.http import AuthedRequest
from alliance.web.presenters.webhooks import webhooks_page
from alliance.webhooks import services
from alliance.webhooks.models import Webhook


@require_http_methods(["GET", "POST"])
def webhook_list(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_manage_webhooks(request.user))
    form = WebhookForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _webhook, secret = services.webhook_create(
                actor=request.user, context=audit_context(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("url", error)
        else:
            form = WebhookForm()
    status = 400 if request.method == "POST" and secret is None else 200
    page = webhooks_page(form, secret)
    response = render(request, "web/practice/webhooks.html", page, status=status)
    response["Cache-Control"] = "no-store"  # the secret, shown once
    return response


def _webhook(webhook_id: int) -> Webhook:
    webhook = Webhook.objects.filter(pk=webhook_id).first()
    if webhook is None:
        raise Http404
    return webhook


@require_POST
def webhook_remove(request: AuthedRequest, webhook_id: int) -> HttpResponse:
    access.require(access.may_manage_webhooks(request.user))
    services.webhook_remove(
        actor=request.user, webhook=_webhook(webhook_id), context=audit_context(request)
    )
    messages.success(request, _("The webhook is removed; nothing more is sent to it."))
    return redirect("webhooks")


@require_POST
def webhook_test(request: AuthedRequest, webhook_id: int) -> HttpResponse:
    access.require(access.may_manage_webhooks(request.user))
    services.webhook_ping(_webhook(webhook_id))
    messages.success(request, _("A test event is on its way; its delivery shows below."))
    return redirect("webhooks")
