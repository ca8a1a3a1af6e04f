"""Writes to episodes of care and sessions, each one transaction with its audit event;
and the writes to accounts that need an episode or the access policy (accepting a
client's invitation, ending a signed-in session), which ``accounts`` cannot make without
importing ``care``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.accounts import services as account_services
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.access import own_user_sessions
from alliance.care.models import Episode, EpisodeStatus, Session

if TYPE_CHECKING:
    from alliance.accounts.models import User


@transaction.atomic
def episode_open(
    *,
    actor: User,
    client: User,
    therapist: User,
    supervisor: User | None = None,
    context: AuditContext | None = None,
) -> Episode:
    if not access.is_client(client):
        raise ValidationError(_("An episode of care is opened for a client."))
    if not access.is_therapist(therapist) or not therapist.is_active:
        raise ValidationError(_("An episode of care needs an active treating therapist."))
    if supervisor is not None and (
        not access.is_supervisor(supervisor) or not supervisor.is_active
    ):
        raise ValidationError(_("The supervisor must be an active supervisor."))
    episode = Episode(client=client, therapist=therapist, supervisor=supervisor)
    episode.full_clean()
    episode.save()
    audit_record(
        actor=actor,
        action=Action.EPISODE_OPENED,
        client_id=client.pk,
        target_type="episode",
        target_id=episode.pk,
        context=context,
    )
    return episode


@transaction.atomic
def episode_close(*, actor: User, episode: Episode, context: AuditContext | None = None) -> Episode:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("This episode of care is already closed."))
    episode.status = EpisodeStatus.CLOSED
    episode.closed_at = timezone.now()
    episode.full_clean()
    episode.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action=Action.EPISODE_CLOSED,
        client_id=episode.client_id,
        target_type="episode",
        target_id=episode.pk,
        context=context,
    )
    return episode


def episode_mark_due(*, episode_id: int) -> None:
    """Have the worker's round visit this episode at its next pass (``next_check_at`` NULL).

    The round visits only the episodes whose ``next_check_at`` has come; every write that
    can bring that time forward (a session planned, a check-in asked for outside the
    schedule) calls this in its own transaction, so the change and the mark are stored
    together or not at all. Here, in ``care``, because the row is the episode's: the apps
    that write sessions and check-ins all import ``care``, and ``care`` imports none of
    them."""
    Episode.objects.filter(pk=episode_id).update(next_check_at=None)


def episode_next_check_set(*, episode_id: int, at: datetime) -> None:
    """Store when the worker's round must next visit this episode (see ``episode_mark_due``),
    in the caller's transaction, which holds the episode's row lock."""
    Episode.objects.filter(pk=episode_id).update(next_check_at=at)


@transaction.atomic
def session_schedule(
    *,
    actor: User,
    episode: Episode,
    starts_at: datetime,
    context: AuditContext | None = None,
) -> Session:
    """Add the next session to an open episode; sessions are numbered in order."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("Sessions can only be added to an open episode of care."))
    latest = episode.sessions.order_by("-number").first()
    if latest is not None and starts_at <= latest.starts_at:
        raise ValidationError(
            _("Sessions are numbered in order: this one must start after session %(n)s.")
            % {"n": latest.number}
        )
    last = latest.number if latest is not None else 0
    session = Session(episode=episode, number=last + 1, starts_at=starts_at)
    session.full_clean()
    session.save()
    # The new session wants its check-ins, and its pre-session check-in is a new occasion
    # the disengagement check must see pass: the round visits the episode at its next pass.
    episode_mark_due(episode_id=episode.pk)
    audit_record(
        actor=actor,
        action=Action.SESSION_SCHEDULED,
        client_id=episode.client_id,
        target_type="session",
        target_id=session.pk,
        context=context,
    )
    return session


@transaction.atomic
def invitation_accept(
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
) -> User:
    """Create the account the invitation promised; for a client, open their episode with
    the therapist (and supervisor) who invited them, in the same transaction."""
    invitation = account_services.invitation_redeem(
        token=token,
        password=password,
        preferred_name=preferred_name,
        pronouns=pronouns,
        language=language,
        country=country,
        time_zone=time_zone,
        reminders_enabled=reminders_enabled,
        context=context,
    )
    user = invitation.accepted_user
    assert user is not None
    if access.is_client(user):
        episode_open(
            actor=invitation.invited_by,
            client=user,
            therapist=invitation.invited_by,
            supervisor=invitation.supervisor,
            context=context,
        )
    return user


def session_end(*, actor: User, session_id: int, context: AuditContext | None = None) -> bool:
    """End one of the person's own signed-in sessions (another device, say). Returns
    False when there is no such session of theirs (ended already, or not theirs: the
    same answer, so nothing is learnt about other people's sessions). Ending the current
    session is signing out, which has its own button."""
    from allauth.usersessions.adapter import get_adapter

    session = own_user_sessions(actor).filter(pk=session_id).first()
    if session is None or session.is_current():
        return False
    with transaction.atomic():
        get_adapter().end_sessions([session])
        audit_record(
            actor=actor, action=Action.SESSION_ENDED, target_type="session", context=context
        )
    return True
