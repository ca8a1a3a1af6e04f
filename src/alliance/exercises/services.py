"""Writes of the exercises feature: assign, withdraw, complete, change who sees an entry.

Each write is one transaction with its audit event. Callers have already checked that the
actor may act on the episode (``alliance.care.access``); these functions keep the rules of
the domain (open episode, live assignment, the client's own entries).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance import instruments as engine
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.care.access import Sharing
from alliance.care.models import Episode
from alliance.exercises.catalogue import ExerciseType, exercise_instrument
from alliance.exercises.models import Assignment, Entry

if TYPE_CHECKING:
    from alliance.accounts.models import User
    from alliance.plans.models import Goal

NOTE_MAX = 2000


@transaction.atomic
def assignment_create(
    *,
    actor: User,
    episode: Episode,
    exercise_type: str,
    due_on: date | None = None,
    note: str = "",
    goal: Goal | None = None,
    assigned_at: datetime | None = None,
    context: AuditContext | None = None,
) -> Assignment:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("Exercises can only be assigned in an open episode of care."))
    if exercise_type not in ExerciseType.values:
        raise ValidationError(_("Choose an exercise from the list."))
    if len(note) > NOTE_MAX:
        raise ValidationError(_("The note is too long."))
    if goal is not None and (goal.episode_id != episode.pk or goal.status != "active"):
        raise ValidationError(_("Choose one of this episode's agreed goals."))
    assignment = Assignment.objects.create(
        episode=episode,
        exercise_type=exercise_type,
        instrument_version=exercise_instrument(exercise_type).version,
        assigned_by=actor,
        assigned_at=assigned_at or timezone.now(),
        due_on=due_on,
        note=note.strip(),
        goal=goal,
    )
    audit_record(
        actor=actor,
        action=Action.EXERCISE_ASSIGNED,
        client_id=episode.client_id,
        target_type="exercise_assignment",
        target_id=assignment.pk,
        context=context,
    )
    return assignment


@transaction.atomic
def assignment_withdraw(
    *, actor: User, assignment: Assignment, context: AuditContext | None = None
) -> Assignment:
    """The exercise no longer shows as something to do; it and its entries are kept."""
    assignment = (
        Assignment.objects.select_for_update().select_related("episode").get(pk=assignment.pk)
    )
    if assignment.is_withdrawn:
        raise ValidationError(_("This exercise was already withdrawn."))
    if not assignment.episode.is_open:
        raise ValidationError(_("This episode of care is closed, so nothing can be changed."))
    assignment.withdrawn_at = timezone.now()
    assignment.withdrawn_by = actor
    assignment.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=actor,
        action=Action.EXERCISE_WITHDRAWN,
        client_id=assignment.episode.client_id,
        target_type="exercise_assignment",
        target_id=assignment.pk,
        context=context,
    )
    return assignment


def validated_answers(instrument: engine.Instrument, answers: dict[str, Any]) -> dict[str, Any]:
    """Answers checked by the engine against the exercise's own definition."""
    try:
        result = engine.score(instrument, answers)
    except engine.InvalidAnswers as error:
        raise ValidationError(str(error)) from None
    cleaned: dict[str, Any] = {}
    for link_id, answer in result.answers.items():
        if answer.option is not None:
            cleaned[link_id] = answer.option.code
        elif isinstance(answer.value, str):
            if answer.value.strip():
                cleaned[link_id] = answer.value.strip()
        else:
            cleaned[link_id] = answer.value
    missing = [item for item in instrument.items if item.required and item.link_id not in cleaned]
    if missing:
        raise ValidationError(_("Please fill in every part that is not marked optional."))
    return cleaned


@transaction.atomic
def entry_submit(
    *,
    actor: User,
    assignment: Assignment,
    answers: dict[str, Any],
    shared: bool,
    shared_with_supervisor: bool = False,
    started_at: datetime | None = None,
    completed_at: datetime | None = None,
    context: AuditContext | None = None,
) -> Entry:
    assignment = (
        Assignment.objects.select_for_update().select_related("episode").get(pk=assignment.pk)
    )
    episode = assignment.episode
    access.require_episode_client(actor, episode)
    if not episode.is_open:
        raise ValidationError(_("This episode of care is closed, so nothing can be added to it."))
    if assignment.is_withdrawn:
        raise ValidationError(_("Your therapist has taken this exercise off your list."))
    sharing = _checked_sharing(
        episode, shared=shared, shared_with_supervisor=shared_with_supervisor
    )
    instrument = exercise_instrument(assignment.exercise_type)
    cleaned = validated_answers(instrument, answers)
    now = completed_at or timezone.now()
    if started_at is not None and started_at > now:
        started_at = None
    entry = Entry.objects.create(
        assignment=assignment,
        episode=episode,
        instrument_id=instrument.id,
        instrument_version=instrument.version,
        answers=cleaned,
        shared=sharing.with_therapist,
        shared_with_supervisor=sharing.with_supervisor,
        started_at=started_at,
        completed_at=now,
    )
    audit_record(
        actor=actor,
        action=Action.EXERCISE_COMPLETED,
        client_id=episode.client_id,
        target_type="exercise_entry",
        target_id=entry.pk,
        context=context,
    )
    return entry


def _checked_sharing(episode: Episode, *, shared: bool, shared_with_supervisor: bool) -> Sharing:
    if shared_with_supervisor and not shared:
        raise ValidationError(
            _(
                "An entry is shared with your therapist's supervisor only together with your "
                "therapist."
            )
        )
    sharing = Sharing.of(therapist=shared, supervisor=shared_with_supervisor)
    if sharing.with_supervisor and not access.may_offer_supervisor_sharing(episode):
        raise ValidationError(_("There is no supervisor in your care to share this with."))
    return sharing


@transaction.atomic
def entry_set_shared(
    *,
    actor: User,
    entry: Entry,
    shared: bool,
    shared_with_supervisor: bool = False,
    context: AuditContext | None = None,
) -> Entry:
    """The client changes who reads an entry — also once the episode is closed: it is theirs."""
    entry = Entry.objects.select_for_update().select_related("episode").get(pk=entry.pk)
    access.require_change_entry_sharing(actor, entry)
    sharing = _checked_sharing(
        entry.episode, shared=shared, shared_with_supervisor=shared_with_supervisor
    )
    if entry.sharing is sharing:
        return entry
    entry.shared = sharing.with_therapist
    entry.shared_with_supervisor = sharing.with_supervisor
    entry.sharing_changed_at = timezone.now()
    entry.save(update_fields=["shared", "shared_with_supervisor", "sharing_changed_at"])
    audit_record(
        actor=actor,
        action=Action.EXERCISE_SHARING_CHANGED,
        client_id=entry.episode.client_id,
        target_type="exercise_entry",
        target_id=entry.pk,
        context=context,
    )
    return entry
