"""Writing the shared treatment plan: goals, their wording, agreement, ratings, review.

A goal is active only when both sides have agreed its current wording: whoever proposes
or rewords it, the other side's agreement is needed. Each write is one transaction with
its audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care.access import may_rate_goals, plan_side
from alliance.care.models import Episode
from alliance.measures.models import Response
from alliance.plans.models import (
    GBO_MAX,
    GBO_MIN,
    Goal,
    GoalRating,
    GoalStatus,
    GoalVersion,
    Plan,
    PlanSummaryVersion,
    Side,
)

if TYPE_CHECKING:
    from alliance.accounts.models import User

GOAL_MAX_LENGTH = 500
SUMMARY_MAX_LENGTH = 3000


def _other(side: str) -> str:
    return Side.THERAPIST if side == Side.CLIENT else Side.CLIENT


def _open_episode(episode: Episode) -> Episode:
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError(_("This episode of care is closed, so its plan can only be read."))
    return episode


def _side(actor: User, episode: Episode) -> str:
    side = plan_side(actor, episode)
    if side is None:
        raise PermissionDenied
    return side


def _clean_text(text: str, *, limit: int, empty: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(empty)
    if len(text) > limit:
        raise ValidationError(
            _("Please keep it to %(limit)s characters or fewer.") % {"limit": limit}
        )
    return text


def _locked_goal(goal: Goal) -> tuple[Goal, Episode]:
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    episode = _open_episode(goal.episode)
    return goal, episode


def _audit(
    actor: User, action: str, episode: Episode, target: str, pk: int, context: AuditContext | None
) -> None:
    audit_record(
        actor=actor,
        action=action,
        client_id=episode.client_id,
        target_type=target,
        target_id=pk,
        context=context,
    )


@transaction.atomic
def goal_propose(
    *,
    actor: User,
    episode: Episode,
    text: str,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> Goal:
    """A new goal in someone's words, waiting for the other side's agreement."""
    episode = _open_episode(episode)
    side = _side(actor, episode)
    text = _clean_text(
        text, limit=GOAL_MAX_LENGTH, empty=_("Please write the goal in a few words.")
    )
    at = at or timezone.now()
    goal = Goal.objects.create(
        episode=episode,
        status=GoalStatus.PROPOSED,
        waiting_for=_other(side),
        proposed_by=actor,
        created_at=at,
    )
    GoalVersion.objects.create(goal=goal, text=text, author=actor, created_at=at)
    _audit(actor, Action.GOAL_PROPOSED, episode, "goal", goal.pk, context)
    return goal


@transaction.atomic
def goal_agree(
    *,
    actor: User,
    goal: Goal,
    seen_version_id: int | None = None,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> Goal:
    """Agree the goal's current wording; it becomes active.

    ``seen_version_id`` is the wording the person read: if it changed meanwhile, they are
    asked to read it again rather than agreeing to words they have not seen.
    """
    goal, episode = _locked_goal(goal)
    side = _side(actor, episode)
    if goal.status != GoalStatus.PROPOSED:
        raise ValidationError(_("This goal is not waiting for agreement."))
    if goal.waiting_for != side:
        raise ValidationError(_("This goal is waiting for the other person to agree."))
    latest = goal.versions.order_by("-created_at", "-pk").first()
    assert latest is not None
    if seen_version_id is not None and seen_version_id != latest.pk:
        raise ValidationError(
            _("The wording of this goal has just changed. Please read it again before agreeing.")
        )
    at = at or timezone.now()
    latest.agreed_by = actor
    latest.agreed_at = at
    latest.save(update_fields=["agreed_by", "agreed_at"])
    goal.status = GoalStatus.ACTIVE
    goal.waiting_for = ""
    goal.save(update_fields=["status", "waiting_for"])
    _audit(actor, Action.GOAL_AGREED, episode, "goal", goal.pk, context)
    return goal


@transaction.atomic
def goal_reword(
    *,
    actor: User,
    goal: Goal,
    text: str,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> Goal:
    """A new wording: kept as a new version, and it needs the other side's agreement."""
    goal, episode = _locked_goal(goal)
    side = _side(actor, episode)
    if not goal.is_open:
        raise ValidationError(_("Only goals still being worked on can be changed."))
    text = _clean_text(
        text, limit=GOAL_MAX_LENGTH, empty=_("Please write the goal in a few words.")
    )
    if text == goal.current_text:
        raise ValidationError(_("The wording is the same as before."))
    GoalVersion.objects.create(goal=goal, text=text, author=actor, created_at=at or timezone.now())
    goal.status = GoalStatus.PROPOSED
    goal.waiting_for = _other(side)
    goal.save(update_fields=["status", "waiting_for"])
    _audit(actor, Action.GOAL_CHANGED, episode, "goal", goal.pk, context)
    return goal


@transaction.atomic
def goal_close(
    *,
    actor: User,
    goal: Goal,
    status: str,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> Goal:
    """Mark a goal achieved (once agreed) or set it aside (either side, any time it is open)."""
    goal, episode = _locked_goal(goal)
    _side(actor, episode)
    if status == GoalStatus.ACHIEVED:
        if goal.status != GoalStatus.ACTIVE:
            raise ValidationError(_("Only an agreed goal can be marked as achieved."))
    elif status == GoalStatus.SET_ASIDE:
        if not goal.is_open:
            raise ValidationError(_("This goal is already achieved or set aside."))
    else:
        raise ValidationError(_("Choose whether the goal is achieved or set aside."))
    goal.status = status
    goal.waiting_for = ""
    goal.ended_at = at or timezone.now()
    goal.ended_by = actor
    goal.save(update_fields=["status", "waiting_for", "ended_at", "ended_by"])
    _audit(actor, Action.GOAL_CHANGED, episode, "goal", goal.pk, context)
    return goal


@transaction.atomic
def goals_rate(
    *,
    actor: User,
    episode: Episode,
    scores: Mapping[int, int],
    response: Response | None = None,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> list[GoalRating]:
    """The client's ratings of progress on their active goals (goal id -> score 0-10)."""
    episode = _open_episode(episode)
    if not may_rate_goals(actor, episode):
        raise PermissionDenied
    if not scores:
        raise ValidationError(_("Choose a number for at least one goal."))
    if response is not None and response.episode_id != episode.pk:
        raise ValidationError(_("That check-in belongs to another course of care."))
    goals = {
        g.pk: g
        for g in Goal.objects.select_for_update().filter(
            episode=episode, status=GoalStatus.ACTIVE, pk__in=list(scores)
        )
    }
    if set(scores) - set(goals):
        raise ValidationError(_("Only agreed goals that are still being worked on can be rated."))
    at = at or timezone.now()
    ratings = []
    for goal_id, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, int) or not GBO_MIN <= score <= GBO_MAX:
            raise ValidationError(
                _("Choose a number from %(low)s to %(high)s.") % {"low": GBO_MIN, "high": GBO_MAX}
            )
        rating = GoalRating.objects.create(
            goal=goals[goal_id], score=score, rated_at=at, rated_by=actor, response=response
        )
        _audit(actor, Action.GOAL_RATED, episode, "goal_rating", rating.pk, context)
        ratings.append(rating)
    return ratings


def _plan(episode: Episode, at: datetime) -> Plan:
    plan, _created = Plan.objects.get_or_create(episode=episode, defaults={"created_at": at})
    return plan


@transaction.atomic
def plan_summary_update(
    *,
    actor: User,
    episode: Episode,
    text: str,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> PlanSummaryVersion:
    """What we are working towards and how: the therapist writes it, every wording is kept."""
    episode = _open_episode(episode)
    if _side(actor, episode) != Side.THERAPIST:
        raise PermissionDenied
    text = _clean_text(
        text, limit=SUMMARY_MAX_LENGTH, empty=_("Please write a few words about the plan.")
    )
    at = at or timezone.now()
    plan = _plan(episode, at)
    if text == plan.current_summary:
        raise ValidationError(_("The wording is the same as before."))
    version = PlanSummaryVersion.objects.create(plan=plan, text=text, author=actor, created_at=at)
    _audit(actor, Action.PLAN_CHANGED, episode, "plan", plan.pk, context)
    return version


@transaction.atomic
def plan_review_set(
    *,
    actor: User,
    episode: Episode,
    review_on: date | None,
    at: datetime | None = None,
    context: AuditContext | None = None,
) -> Plan:
    """The date the therapist means to review the plan with the client (None clears it)."""
    episode = _open_episode(episode)
    if _side(actor, episode) != Side.THERAPIST:
        raise PermissionDenied
    plan = _plan(episode, at or timezone.now())
    plan.review_on = review_on
    plan.review_set_by = actor
    plan.save(update_fields=["review_on", "review_set_by"])
    _audit(actor, Action.PLAN_CHANGED, episode, "plan", plan.pk, context)
    return plan
