"""The whole record: a copy to download, and erasure at the client's request.

The client downloads their own record (the password again first), and may ask the
practice for a copy or for erasure ("About me" → "Your record"). The practice admin
downloads a copy only for the client's pending request, after confirming who they are
with their authenticator app, and carries out an erasure (People → the person). Who may
do what is in ``alliance.care.access`` ("records" section).
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance.accounts.mfa import (
    reauthenticated_with_second_factor,
    second_factor_reauthentication_url,
)
from alliance.accounts.models import User
from alliance.audit.context import audit_context
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.models import Episode
from alliance.records.erasure import ErasureRefused, client_erase
from alliance.records.export import archive_name
from alliance.records.selectors import (
    copies_made_for,
    copy_requests_waiting,
    erasure_request_of,
    erasure_requests,
    erasures,
    pending_copy_request,
)
from alliance.records.services import (
    CopyRefused,
    copy_request_create,
    copy_request_withdraw,
    erasure_request_create,
    record_copy_for_request,
    record_export,
)
from alliance.web.forms_records import CopyRequestForm, ErasureConfirmForm
from alliance.web.http import AuthedRequest, site_url

# --- the client's own page ---


def _my_record_page(
    request: AuthedRequest, form: CopyRequestForm | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "web/records/my_record.html",
        {
            "copy_request": pending_copy_request(request.user),
            "copy_form": form or CopyRequestForm(),
            "copies": copies_made_for(request.user),
            "erasure_request": erasure_request_of(request.user),
            "retention_years": settings.ERASURE_AUDIT_RETENTION_YEARS,
        },
        status=status,
    )


@require_GET
def my_record(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    return _my_record_page(request)


@require_POST
def my_record_download(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    return _own_download(request)


@require_POST
def my_record_copy_request(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    form = CopyRequestForm(request.POST)
    if not form.is_valid():
        return _my_record_page(request, form, status=400)
    copy_request_create(
        actor=request.user,
        everything=form.everything,
        context=audit_context(request),
        base_url=site_url(request),
    )
    messages.success(
        request,
        _(
            "Your request has reached the practice. Nobody can take a copy of your record "
            "until they do it for this request, and you will see it on this page."
        ),
    )
    return redirect("my_record")


@require_POST
def my_record_copy_withdraw(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    if copy_request_withdraw(actor=request.user, context=audit_context(request)):
        messages.success(request, _("Your request is withdrawn. No copy will be made for it."))
    return redirect("my_record")


@require_POST
def my_record_erasure_request(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    erasure_request_create(
        actor=request.user, context=audit_context(request), base_url=site_url(request)
    )
    messages.success(
        request,
        _(
            "Your request has reached the practice. They will contact you before anything "
            "is erased."
        ),
    )
    return redirect("my_record")


# --- the practice admin's pages ---


@require_GET
def practice_records(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_handle_client_records(request.user))
    done = erasures()
    admins = {
        person.pk: person
        for person in User.objects.filter(pk__in={e.erased_by_id for e in done if e.erased_by_id})
    }
    return render(
        request,
        "web/records/practice_records.html",
        {
            "copy_requests": copy_requests_waiting(),
            "requests": erasure_requests(),
            "erasures": [(erasure, admins.get(erasure.erased_by_id or 0)) for erasure in done],
        },
    )


def _person_page(
    request: AuthedRequest,
    client: User,
    form: ErasureConfirmForm | None = None,
    status: int = 200,
) -> HttpResponse:
    copy_request = pending_copy_request(client)
    erasure_request = erasure_request_of(client)
    return render(
        request,
        "web/records/person_record.html",
        {
            "person": client,
            "copy_request": copy_request,
            "may_copy": access.may_copy_record_for(request.user, copy_request),
            "confirmed": reauthenticated_with_second_factor(request, request.user),
            "erasure_request": erasure_request,
            "may_erase": access.may_erase_record_for(request.user, erasure_request),
            # Whether care is still going on, not what it holds: the erasure text says it ends.
            "open_episode": Episode.objects.filter(client=client, status="open").exists(),
            "retention_years": settings.ERASURE_AUDIT_RETENTION_YEARS,
            "form": form or ErasureConfirmForm(expected=client.email),
        },
        status=status,
    )


@require_GET
def person_record(request: AuthedRequest, user_id: int) -> HttpResponse:
    client = access.access_client_for_records(request.user, user_id)
    # The page names the client and their requests: the client sees that it was opened.
    audit_record(
        actor=request.user,
        action=Action.REQUESTS_VIEWED,
        client_id=client.pk,
        target_type="record_requests",
        context=audit_context(request),
    )
    return _person_page(request, client)


@require_POST
def person_record_download(request: AuthedRequest, user_id: int) -> HttpResponse:
    """Only for the client's pending request (else 403, and the page says why), and only
    after the authenticator app just now (else to allauth's page for it, then back here)."""
    client = access.access_client_for_records(request.user, user_id)
    if not access.may_copy_record_for(request.user, pending_copy_request(client)):
        # A refusal names nobody (as every refusal in the access matrix).
        return render(
            request, "web/records/no_copy_request.html", {"user_id": client.pk}, status=403
        )
    if not reauthenticated_with_second_factor(request, request.user):
        return _second_factor_first(request, client)
    try:
        archive, _made = record_copy_for_request(
            actor=request.user, client=client, context=audit_context(request)
        )
    except CopyRefused as error:  # another admin made it a moment ago
        messages.error(request, str(error))
        return redirect("person_record", user_id=client.pk)
    return _zip_response(archive)


def _second_factor_first(request: AuthedRequest, client: User) -> HttpResponse:
    url = second_factor_reauthentication_url(request.user)
    if url is None:  # staff always have one (web.middleware); nobody else reaches here
        raise PermissionDenied
    messages.info(
        request,
        _("Confirm it's you with your authenticator app, then download the copy."),
    )
    back = reverse("person_record", kwargs={"user_id": client.pk})
    return redirect(f"{url}?{urlencode({'next': back})}")


@require_POST
def person_erase(request: AuthedRequest, user_id: int) -> HttpResponse:
    """Only for the client's own erasure request (else 403, and the page says why), then the
    password again and their e-mail address typed out."""
    client = access.access_client_for_records(request.user, user_id)
    if not access.may_erase_record_for(request.user, erasure_request_of(client)):
        return render(
            request, "web/records/no_erasure_request.html", {"user_id": client.pk}, status=403
        )
    return _erase(request, client)


# --- after the access decision, the password (or a second factor) again ---


@reauthentication_required
def _own_download(request: AuthedRequest) -> HttpResponse:
    return _zip_response(
        record_export(actor=request.user, client=request.user, context=audit_context(request))
    )


def _zip_response(archive: bytes) -> HttpResponse:
    response = HttpResponse(archive, content_type="application/zip")
    name = archive_name(timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@reauthentication_required
def _erase(request: AuthedRequest, client: User) -> HttpResponse:
    form = ErasureConfirmForm(request.POST, expected=client.email)
    if not form.is_valid():
        return _person_page(request, client, form, status=400)
    try:
        result = client_erase(actor=request.user, client=client, context=audit_context(request))
    except ErasureRefused as error:
        messages.error(request, str(error))
        return redirect("person_record", user_id=client.pk)
    context: dict[str, Any] = {"id": result.erasure.client_id}
    messages.success(
        request,
        _(
            "The record of client #%(id)s is erased. The audit log keeps its entries about #%(id)s "
            "(no content)."
        )
        % context,
    )
    if not result.compacted:
        messages.warning(
            request,
            _(
                "The database file could not be compacted just now, so erased bytes may remain "
                "on disk until it is. See SECURITY.md, “Erasure”."
            ),
        )
    return redirect("practice_records")
