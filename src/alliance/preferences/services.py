"""Writes: saving preferences, the agenda, the cultural profile — each audited."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.access import Sharing
from alliance.care.models import Episode
from alliance.preferences.items import ANSWERS, CULTURAL_CODES, ITEMS_BY_CODE
from alliance.preferences.models import (
    AGENDA_TEXT_MAX,
    AgendaItem,
    AgendaStatus,
    CulturalProfile,
    TreatmentPreferences,
)
from alliance.preferences.selectors import latest_preferences, next_session

if TYPE_CHECKING:
    from alliance.accounts.models import User

FREE_TEXT_MAX = 4000


def _open_episode_of_client(actor: User, episode: Episode) -> Episode:
    """The episode, locked, if ``actor`` is its client and it is still open."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    access.require_episode_client(actor, episode)
    if not episode.is_open:
        raise ValidationError(_("This course of care has ended, so nothing can be changed here."))
    return episode


def _check_sharing(episode: Episode, sharing: Sharing) -> None:
    if sharing.with_supervisor and not access.may_offer_supervisor_sharing(episode):
        raise ValidationError(_("There is no supervisor in your care to share this with."))


def _check_length(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) > limit:
        raise ValidationError(
            _("Please keep this to %(limit)s characters or fewer.") % {"limit": limit}
        )
    return text


@transaction.atomic
def preferences_save(
    *,
    actor: User,
    episode: Episode,
    answers: dict[str, str],
    hopes: str = "",
    working_together: str = "",
    sharing: Sharing = Sharing.THERAPIST,
    now: datetime | None = None,
    context: AuditContext | None = None,
) -> TreatmentPreferences:
    """Keep a new version of the client's preferences, read by whom they chose (``sharing``);
    earlier versions stay as they were."""
    episode = _open_episode_of_client(actor, episode)
    _check_sharing(episode, sharing)
    clean: dict[str, str] = {}
    for code, answer in answers.items():
        if not answer:
            continue
        if code not in ITEMS_BY_CODE or answer not in ANSWERS:
            raise ValidationError(_("Please choose one of the answers offered."))
        clean[code] = answer
    hopes = _check_length(hopes, FREE_TEXT_MAX)
    working_together = _check_length(working_together, FREE_TEXT_MAX)
    if not clean and not hopes and not working_together:
        raise ValidationError(_("Choose at least one answer, or write something, before saving."))
    latest = latest_preferences(episode)
    preferences = TreatmentPreferences.objects.create(
        episode=episode,
        version=(latest.version if latest else 0) + 1,
        answers=clean,
        hopes=hopes,
        working_together=working_together,
        shared=sharing.with_therapist,
        shared_with_supervisor=sharing.with_supervisor,
        created_by=actor,
        created_at=now or timezone.now(),
    )
    audit_record(
        actor=actor,
        action=Action.PREFERENCES_UPDATED,
        client_id=episode.client_id,
        target_type="treatmentpreferences",
        target_id=preferences.pk,
        context=context,
    )
    return preferences


@transaction.atomic
def agenda_item_add(
    *,
    actor: User,
    episode: Episode,
    text: str,
    now: datetime | None = None,
    context: AuditContext | None = None,
) -> AgendaItem:
    """Add something to talk about, for the next session booked (if there is one)."""
    episode = _open_episode_of_client(actor, episode)
    text = _check_length(text, AGENDA_TEXT_MAX)
    if not text:
        raise ValidationError(_("Please write what you would like to talk about."))
    now = now or timezone.now()
    item = AgendaItem.objects.create(
        episode=episode,
        session=next_session(episode, now),
        text=text,
        created_by=actor,
        created_at=now,
    )
    audit_record(
        actor=actor,
        action=Action.AGENDA_ITEM_ADDED,
        client_id=episode.client_id,
        target_type="agendaitem",
        target_id=item.pk,
        context=context,
    )
    return item


def _close_item(
    *, actor: User, item: AgendaItem, status: str, action: str, context: AuditContext | None
) -> AgendaItem:
    item.status = status
    item.closed_at = timezone.now()
    item.closed_by = actor
    item.save(update_fields=["status", "closed_at", "closed_by"])
    audit_record(
        actor=actor,
        action=action,
        client_id=item.episode.client_id,
        target_type="agendaitem",
        target_id=item.pk,
        context=context,
    )
    return item


@transaction.atomic
def agenda_item_withdraw(
    *, actor: User, item: AgendaItem, context: AuditContext | None = None
) -> AgendaItem:
    """The client takes back an item they added, before it is talked about."""
    item = AgendaItem.objects.select_for_update().select_related("episode").get(pk=item.pk)
    if not access.may_withdraw_agenda_item(actor, item.episode, added_by_id=item.created_by_id):
        raise PermissionDenied
    if not item.is_open:
        raise ValidationError(_("This item was already talked about or taken back."))
    return _close_item(
        actor=actor,
        item=item,
        status=AgendaStatus.WITHDRAWN,
        action=Action.AGENDA_ITEM_WITHDRAWN,
        context=context,
    )


@transaction.atomic
def agenda_item_mark_discussed(
    *, actor: User, item: AgendaItem, context: AuditContext | None = None
) -> AgendaItem:
    """The treating therapist notes that an agenda item was talked about."""
    item = AgendaItem.objects.select_for_update().select_related("episode").get(pk=item.pk)
    if not access.may_mark_agenda_discussed(actor, item.episode):
        raise PermissionDenied
    if not item.is_open:
        raise ValidationError(_("This item is no longer on the agenda."))
    return _close_item(
        actor=actor,
        item=item,
        status=AgendaStatus.DISCUSSED,
        action=Action.AGENDA_ITEM_DISCUSSED,
        context=context,
    )


@transaction.atomic
def cultural_profile_save(
    *,
    actor: User,
    episode: Episode,
    parts: dict[str, str],
    shared: set[str] | frozenset[str],
    shared_with_supervisor: set[str] | frozenset[str] = frozenset(),
    now: datetime | None = None,
    context: AuditContext | None = None,
) -> CulturalProfile:
    """Replace the client's cultural profile. A part reaches the therapist only if it is in
    ``shared``, and also the supervisor only if it is in ``shared_with_supervisor`` too."""
    episode = _open_episode_of_client(actor, episode)
    unknown = (set(parts) | set(shared) | set(shared_with_supervisor)) - set(CULTURAL_CODES)
    if unknown:
        raise ValidationError(_("Please use the parts of the profile offered."))
    if set(shared_with_supervisor) - set(shared):
        raise ValidationError(
            _(
                "A part is shared with your therapist's supervisor only together with your "
                "therapist."
            )
        )
    profile = CulturalProfile.objects.filter(episode=episode).first() or CulturalProfile(
        episode=episode
    )
    for code in CULTURAL_CODES:
        sharing = Sharing.of(therapist=code in shared, supervisor=code in shared_with_supervisor)
        _check_sharing(episode, sharing)
        setattr(profile, code, _check_length(parts.get(code, ""), FREE_TEXT_MAX))
        profile.set_sharing(code, sharing)
    profile.updated_at = now or timezone.now()
    profile.save()
    audit_record(
        actor=actor,
        action=Action.CULTURAL_PROFILE_UPDATED,
        client_id=episode.client_id,
        target_type="culturalprofile",
        target_id=profile.pk,
        context=context,
    )
    return profile
