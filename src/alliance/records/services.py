"""Writes about a client's whole record: a copy of it, and a request to erase it.

The erasure itself is ``alliance.records.erasure``.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.accounts.models import Role, User
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.lib.mail import send_in_language
from alliance.records.export import record_archive
from alliance.records.models import ErasureRequest


def record_export(
    *,
    actor: User | None,
    client: User,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> bytes:
    """The download (a ZIP), audited once it is made; ``actor`` None is the CLI."""
    if client.role != Role.CLIENT:
        raise ValidationError(_("Only a client's record can be exported."))
    archive = record_archive(client, now=now)
    audit_record(
        actor=actor,
        action=Action.RECORD_EXPORTED,
        client_id=client.pk,
        target_type="user",
        target_id=client.pk,
        request=request,
    )
    return archive


@transaction.atomic
def erasure_request_create(*, actor: User, request: HttpRequest | None = None) -> ErasureRequest:
    """The client asks for their record to be erased; the practice admins are told (no names).

    Asking again changes nothing: the first request stands until an admin acts on it.
    """
    if actor.role != Role.CLIENT:
        raise ValidationError(_("Only a client can ask for their own record to be erased."))
    existing = ErasureRequest.objects.filter(client=actor).first()
    if existing is not None:
        return existing
    made = ErasureRequest.objects.create(client=actor)
    audit_record(
        actor=actor,
        action=Action.ERASURE_REQUESTED,
        client_id=actor.pk,
        target_type="erasure_request",
        target_id=made.pk,
        request=request,
    )
    path = reverse("practice_records")
    link = request.build_absolute_uri(path) if request is not None else path
    transaction.on_commit(lambda: _tell_admins(link))
    return made


def _tell_admins(link: str) -> None:
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
    # The request itself is saved and shows on the admin's page, whatever the mail server does.
    for admin in admins:
        send_in_language(
            address=admin.email,
            language=admin.language,
            subject=lambda: _("A request for %(practice)s") % {"practice": settings.PRACTICE_NAME},
            body=lambda: render_to_string("records/email/erasure_request.txt", {"link": link}),
            what=f"erasure request to admin {admin.pk}",
        )
