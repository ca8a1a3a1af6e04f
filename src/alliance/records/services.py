"""Writes about a client's whole record: copies of it, and requests for a copy or an erasure.

Who may take a copy is ``alliance.care.access`` ("records"): the client their own, any
time; anyone else only for the client's pending request, once. The erasure itself is
``alliance.records.erasure``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import Role, User
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.mail import send_in_language
from alliance.records.export import record_archive
from alliance.records.models import CopyRequest, ErasureRequest


class CopyRefused(Exception):
    """No copy was made; the message says why (in the reader's language)."""


def _only_clients(client: User) -> None:
    if not access.is_client(client):
        raise ValidationError(_("Only a client's record can be exported."))


def _audit_copy(
    *,
    actor: User | None,
    client: User,
    copy_request: CopyRequest | None,
    context: AuditContext | None,
) -> None:
    audit_record(
        actor=actor,
        action=Action.RECORD_EXPORTED,
        client_id=client.pk,
        target_type="copy_request" if copy_request is not None else "user",
        target_id=copy_request.pk if copy_request is not None else client.pk,
        context=context,
    )


def record_export(
    *,
    actor: User,
    client: User,
    context: AuditContext | None = None,
    now: datetime | None = None,
) -> bytes:
    """The client's own download (a ZIP): everything, private parts too. Audited."""
    _only_clients(client)
    access.require_export_own_record(actor, client)
    archive = record_archive(client, now=now, everything=True)
    _audit_copy(actor=actor, client=client, copy_request=None, context=context)
    return archive


@transaction.atomic
def record_copy_for_request(
    *,
    actor: User | None,
    client: User,
    context: AuditContext | None = None,
    now: datetime | None = None,
) -> tuple[bytes, CopyRequest]:
    """A copy that fulfils the client's pending request, as they chose; ``actor`` None is
    the server (`alliance export-record`). The request is used up, and the copy audited.

    The request is claimed first, by a conditional update, so that two admins at once
    make one copy, not two; if the copy then fails, the claim is rolled back with it.
    """
    _only_clients(client)
    if actor is not None and not access.may_handle_client_records(actor):
        raise PermissionDenied
    now = now or timezone.now()
    pending = CopyRequest.objects.pending().filter(client=client).first()
    claimed = (
        pending is not None
        and CopyRequest.objects.pending().filter(pk=pending.pk).update(made_at=now, made_by=actor)
        == 1
    )
    if pending is None or not claimed:
        raise CopyRefused(_("This person has no request for a copy waiting."))
    pending.refresh_from_db()
    archive = record_archive(client, now=now, everything=pending.everything)
    _audit_copy(actor=actor, client=client, copy_request=pending, context=context)
    return archive, pending


@transaction.atomic
def record_copy_without_request(
    *, client: User, everything: bool, now: datetime | None = None
) -> tuple[bytes, CopyRequest]:
    """On the server only (`alliance export-record --without-request`): a copy the client
    did not ask for, for a duty outside the app. Recorded, so the client is shown it."""
    _only_clients(client)
    now = now or timezone.now()
    made = CopyRequest.objects.create(
        client=client, requested_at=None, everything=everything, made_at=now, made_by=None
    )
    archive = record_archive(client, now=now, everything=everything)
    _audit_copy(actor=None, client=client, copy_request=made, context=None)
    return archive, made


@transaction.atomic
def copy_request_create(
    *, actor: User, everything: bool, context: AuditContext | None = None, base_url: str = ""
) -> CopyRequest:
    """The client asks the practice for a copy of their record; the admins are told (no names).

    Asking again while a request waits changes nothing: withdraw it first to change it.
    """
    if not access.may_export_own_record(actor):
        raise ValidationError(_("Only a client can ask for a copy of their own record."))
    existing = CopyRequest.objects.pending().filter(client=actor).first()
    if existing is not None:
        return existing
    made = CopyRequest.objects.create(
        client=actor, requested_at=timezone.now(), everything=everything
    )
    audit_record(
        actor=actor,
        action=Action.COPY_REQUESTED,
        client_id=actor.pk,
        target_type="copy_request",
        target_id=made.pk,
        context=context,
    )
    link = _practice_records_link(base_url)
    transaction.on_commit(lambda: _tell_admins(link, _copy_request_mail, "copy request"))
    return made


@transaction.atomic
def copy_request_withdraw(*, actor: User, context: AuditContext | None = None) -> bool:
    """The client takes back their waiting request; whether there was one to take back."""
    if not access.may_export_own_record(actor):
        raise ValidationError(_("Only a client can withdraw their own request."))
    pending = CopyRequest.objects.pending().filter(client=actor).first()
    if pending is None:
        return False
    audit_record(
        actor=actor,
        action=Action.COPY_REQUEST_WITHDRAWN,
        client_id=actor.pk,
        target_type="copy_request",
        target_id=pending.pk,
        context=context,
    )
    pending.delete()
    return True


@transaction.atomic
def erasure_request_create(
    *, actor: User, context: AuditContext | None = None, base_url: str = ""
) -> ErasureRequest:
    """The client asks for their record to be erased; the practice admins are told (no names).

    Asking again changes nothing: the first request stands until an admin acts on it.
    """
    if not access.is_client(actor):
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
        context=context,
    )
    link = _practice_records_link(base_url)
    transaction.on_commit(lambda: _tell_admins(link, _erasure_request_mail, "erasure request"))
    return made


def _practice_records_link(base_url: str) -> str:
    """The admins' page of requests, for their e-mail: absolute with ``base_url`` (the
    site's scheme and host), its path alone without."""
    path = reverse("practice_records")
    return base_url + path


def _erasure_request_mail(link: str) -> str:
    return render_to_string("records/email/erasure_request.txt", {"link": link})


def _copy_request_mail(link: str) -> str:
    return render_to_string("records/email/copy_request.txt", {"link": link})


def _tell_admins(link: str, body: Callable[[str], str], kind: str) -> None:
    admins = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk")
    # The request itself is saved and shows on the admin's page, whatever the mail server does.
    for admin in admins:
        send_in_language(
            address=admin.email,
            language=admin.language,
            subject=lambda: _("A request for %(practice)s") % {"practice": settings.PRACTICE_NAME},
            body=lambda: body(link),
            what=f"{kind} to admin {admin.pk}",
        )
