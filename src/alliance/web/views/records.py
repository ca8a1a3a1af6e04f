"""The whole record: a copy to download, and erasure at the client's request.

The client downloads their own record and may ask for it to be erased ("About me");
the practice admin downloads a client's record for them and carries out an erasure
(People → the person). Both ask for the password again first. Who may do what is in
``alliance.care.access`` ("records" section).
"""

from __future__ import annotations

from typing import Any

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance.accounts.models import User
from alliance.care import access
from alliance.care.models import Episode
from alliance.records.erasure import ErasureRefused, client_erase
from alliance.records.export import archive_name
from alliance.records.selectors import erasure_request_of, erasure_requests, erasures
from alliance.records.services import erasure_request_create, record_export
from alliance.web.forms_records import ErasureConfirmForm
from alliance.web.http import AuthedRequest

# --- the client's own page ---


@require_GET
def my_record(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    return render(
        request,
        "web/records/my_record.html",
        {
            "erasure_request": erasure_request_of(request.user),
            "retention_years": settings.ERASURE_AUDIT_RETENTION_YEARS,
        },
    )


@require_POST
def my_record_download(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    return _download(request, request.user)


@require_POST
def my_record_erasure_request(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_export_own_record(request.user))
    erasure_request_create(actor=request.user, request=request)
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
            "requests": erasure_requests(),
            "erasures": [(erasure, admins.get(erasure.erased_by_id or 0)) for erasure in done],
        },
    )


def _person_page(
    request: AuthedRequest, client: User, form: ErasureConfirmForm, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "web/records/person_record.html",
        {
            "person": client,
            "erasure_request": erasure_request_of(client),
            # Whether care is still going on, not what it holds: the erasure text says it ends.
            "open_episode": Episode.objects.filter(client=client, status="open").exists(),
            "retention_years": settings.ERASURE_AUDIT_RETENTION_YEARS,
            "form": form,
        },
        status=status,
    )


@require_GET
def person_record(request: AuthedRequest, user_id: int) -> HttpResponse:
    client = access.access_client_for_records(request.user, user_id)
    return _person_page(request, client, ErasureConfirmForm(expected=client.email))


@require_POST
def person_record_download(request: AuthedRequest, user_id: int) -> HttpResponse:
    client = access.access_client_for_records(request.user, user_id)
    return _download(request, client)


@require_POST
def person_erase(request: AuthedRequest, user_id: int) -> HttpResponse:
    client = access.access_client_for_records(request.user, user_id)
    return _erase(request, client)


# --- both: after the access decision, the password again ---


@reauthentication_required
def _download(request: AuthedRequest, client: User) -> HttpResponse:
    archive = record_export(actor=request.user, client=client, request=request)
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
        result = client_erase(actor=request.user, client=client, request=request)
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
