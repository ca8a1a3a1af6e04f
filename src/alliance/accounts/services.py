"""Writes to people and invitations. Each is one transaction with its audit event."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts.models import (
    Invitation,
    User,
    hash_token,
    is_client_role,
    is_staff_role,
    same_person,
)
from alliance.accounts.names import person_name
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.mail import send_in_language


@dataclass
class IssuedInvitation:
    invitation: Invitation
    token: str
    # Whether the e-mail went out: None until the transaction that made the invitation
    # commits (the e-mail is sent then), False when the mail server refused it.
    emailed: bool | None = None


def _check_invitable(email: str, *, actor: User, role: str) -> User | None:
    """Refuse what the inviter may be told about the address; return its account, if any.

    A practice admin inviting staff manages every account and sees them all, so is told
    plainly. A therapist inviting a client learns nothing about other people: whether
    the address has an account anywhere in the practice, or an open invitation from
    someone else, changes what is e-mailed to the address, never what she sees
    (SECURITY.md, "Invitations"). Only her own open invitation is named to her.
    """
    holder = User.objects.filter(email__iexact=email).first()
    open_invitations = Invitation.objects.filter(
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    if is_staff_role(role):
        if holder is not None:
            raise ValidationError(_("Someone with this e-mail address already has an account."))
    else:
        open_invitations = open_invitations.filter(invited_by=actor)
    if open_invitations.exists():
        raise ValidationError(
            _("An invitation to this e-mail address is still open. Withdraw it to send a new one.")
        )
    return holder


@transaction.atomic
def invitation_create(
    *,
    actor: User,
    email: str,
    role: str,
    supervisor: User | None = None,
    context: AuditContext | None = None,
    base_url: str = "",
) -> IssuedInvitation:
    """An admin invites staff; a therapist invites a client (opening an episode with them).
    ``base_url`` (the site's scheme and host) makes the e-mailed links absolute."""
    if is_staff_role(role):
        if not actor.is_admin:
            raise ValidationError(_("Only a practice admin can invite staff."))
        if supervisor is not None:
            raise ValidationError(_("A staff invitation has no supervisor."))
    elif is_client_role(role):
        if not actor.is_therapist:
            raise ValidationError(_("Only a therapist can invite a client."))
        if supervisor is not None and (not supervisor.is_supervisor or not supervisor.is_active):
            raise ValidationError(_("Choose a supervisor from the list."))
    else:
        raise ValidationError(_("Choose a role from the list."))
    email = User.objects.normalize_email(email).strip().lower()
    holder = _check_invitable(email, actor=actor, role=role)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        supervisor=supervisor,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    audit_record(
        actor=actor,
        action=Action.INVITATION_CREATED,
        target_type="invitation",
        target_id=invitation.pk,
        context=context,
    )
    link = invitation_link(token, base_url=base_url)
    issued = IssuedInvitation(invitation=invitation, token=token)

    def send() -> None:
        if holder is None:
            issued.emailed = _send_invitation_email(invitation, link)
        else:
            # The same invitation is kept (and its link, if given in person, makes no
            # second account); the address's holder is told, in their own language.
            issued.emailed = _send_account_exists_email(invitation, holder, base_url)

    transaction.on_commit(send)
    return issued


def invitation_link(token: str, *, base_url: str = "") -> str:
    """The link that accepts an invitation: absolute when ``base_url`` (the site's scheme
    and host) is given, its path alone otherwise."""
    return base_url + reverse("invitation_accept", args=[token])


def _send_invitation_email(invitation: Invitation, link: str) -> bool:
    """Send the invitation; False if the mail server refused it (the invitation stands,
    and its link is shown to whoever sent it). The log names the invitation and the kind
    of error only."""
    # The message names the practice and nothing else: no therapist, no reason.
    context = {
        "link": link,
        "practice_name": settings.PRACTICE_NAME,
        "expires_at": invitation.expires_at,
    }
    return send_in_language(
        address=invitation.email,
        language=invitation.invited_by.language,
        subject=lambda: _("Your invitation to %(practice)s") % {"practice": settings.PRACTICE_NAME},
        body=lambda: render_to_string("accounts/email/invitation.txt", context),
        what=f"invitation {invitation.pk}",
    )


def _send_account_exists_email(invitation: Invitation, holder: User, base_url: str) -> bool:
    """Tell the holder of an address that has an account that someone invited it: no
    link to make a second account, no word of who or why."""
    path = reverse("account_login")
    context = {
        "practice_name": settings.PRACTICE_NAME,
        "sign_in": base_url + path,
    }
    return send_in_language(
        address=holder.email,
        language=holder.language,
        subject=lambda: _("Your invitation to %(practice)s") % {"practice": settings.PRACTICE_NAME},
        body=lambda: render_to_string("accounts/email/invitation_account_exists.txt", context),
        what=f"invitation {invitation.pk}",
    )


class InvitationUnusable(Exception):
    """The link is unknown, expired, withdrawn or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def invitation_for_token(token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("invited_by", "supervisor")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired")
    return invitation


@transaction.atomic
def invitation_redeem(
    *,
    token: str,
    password: str,
    preferred_name: str,
    pronouns: str,
    language: str,
    country: str = "",
    time_zone: str = "",
    reminders_enabled: bool = True,
    context: AuditContext | None = None,
) -> Invitation:
    """Create the account the invitation promised (its ``accepted_user``), and nothing
    more: a client also needs their episode of care, so an invitation is accepted through
    ``alliance.care.services.invitation_accept``, which calls this."""
    invitation = invitation_for_token(token)
    # Lock the row so the same link cannot be accepted twice at once.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationUnusable("used")
    user = User(
        email=invitation.email,
        preferred_name=person_name(preferred_name),
        pronouns=person_name(pronouns, required=False),
        language=language,
        country=country,
        time_zone=time_zone,
        reminders_enabled=reminders_enabled,
        role=invitation.role,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_record(
        actor=user,
        action=Action.INVITATION_ACCEPTED,
        target_type="invitation",
        target_id=invitation.pk,
        client_id=user.pk if user.is_client else None,
        context=context,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation, context: AuditContext | None) -> None:
    if not invitation.is_pending():
        raise ValidationError(_("This invitation can no longer be withdrawn."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=Action.INVITATION_REVOKED,
        target_type="invitation",
        target_id=invitation.pk,
        context=context,
    )


@transaction.atomic
def user_update_profile(
    *,
    actor: User,
    preferred_name: str,
    pronouns: str,
    language: str,
    country: str | None = None,
    time_zone: str | None = None,
    reminders_enabled: bool | None = None,
    context: AuditContext | None = None,
) -> User:
    # A name kept from before the rules in alliance.accounts.names is checked again only
    # when the person changes it (a language switch passes it on unchanged).
    if preferred_name != actor.preferred_name:
        actor.preferred_name = person_name(preferred_name)
    if pronouns != actor.pronouns:
        actor.pronouns = person_name(pronouns, required=False)
    actor.language = language
    if country is not None:
        actor.country = country
    if time_zone is not None:
        actor.time_zone = time_zone
    if reminders_enabled is not None:
        actor.reminders_enabled = reminders_enabled
    actor.full_clean()
    actor.save(
        update_fields=[
            "preferred_name",
            "pronouns",
            "language",
            "country",
            "time_zone",
            "reminders_enabled",
        ]
    )
    audit_record(
        actor=actor,
        action=Action.PROFILE_UPDATED,
        target_type="user",
        target_id=actor.pk,
        client_id=actor.pk if actor.is_client else None,
        context=context,
    )
    return actor


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    password: str,
    preferred_name: str,
    pronouns: str = "",
    language: str = "en",
    role: str,
) -> User:
    """An account made without an invitation: the demo practice and first-run set-up."""
    user = User(
        email=User.objects.normalize_email(email).strip().lower(),
        preferred_name=person_name(preferred_name),
        pronouns=person_name(pronouns, required=False),
        language=language,
        role=role,
    )
    user.set_password(password)
    user.full_clean()
    user.save()
    audit_record(
        actor=actor,
        action=Action.ACCOUNT_CREATED,
        target_type="user",
        target_id=user.pk,
        client_id=user.pk if is_client_role(role) else None,
    )
    return user


@transaction.atomic
def user_set_active(
    *, actor: User, user: User, active: bool, context: AuditContext | None = None
) -> User:
    if same_person(user.pk, actor.pk):
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=Action.ACCOUNT_REACTIVATED if active else Action.ACCOUNT_DEACTIVATED,
        target_type="user",
        target_id=user.pk,
        context=context,
    )
    return user
