"""Reads of the treatment plan. Callers have already checked access to the episode."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from alliance import instruments as engine
from alliance.care.models import Episode
from alliance.measures.instruments import get_instrument
from alliance.measures.models import Response
from alliance.plans.encouragement import RatingChange
from alliance.plans.models import Goal, GoalRating, GoalStatus, GoalVersion, Plan


def _with_versions(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    return goals.select_related("ended_by").prefetch_related(
        Prefetch(
            "versions",
            queryset=GoalVersion.objects.select_related("author", "agreed_by").order_by(
                "created_at", "pk"
            ),
        ),
        Prefetch("ratings", queryset=GoalRating.objects.order_by("rated_at", "pk")),
    )


def active_goals(episode: Episode) -> QuerySet[Goal]:
    """Goals both sides have agreed and that are still being worked on."""
    return _with_versions(Goal.objects.filter(episode=episode, status=GoalStatus.ACTIVE)).order_by(
        "created_at", "pk"
    )


def goals_in_play(episode: Episode) -> QuerySet[Goal]:
    """Agreed goals still worked on, and proposed ones waiting for agreement: what a
    session may have worked on (the session summary links them)."""
    return _with_versions(
        Goal.objects.filter(episode=episode, status__in=[GoalStatus.ACTIVE, GoalStatus.PROPOSED])
    ).order_by("created_at", "pk")


def plan_goals(episode: Episode) -> QuerySet[Goal]:
    """Every goal of the episode, oldest first, each with its versions and ratings."""
    return _with_versions(Goal.objects.filter(episode=episode)).order_by("created_at", "pk")


def goals_waiting_for(episode: Episode, side: str) -> QuerySet[Goal]:
    return _with_versions(
        Goal.objects.filter(episode=episode, status=GoalStatus.PROPOSED, waiting_for=side)
    ).order_by("created_at", "pk")


def plan_of(episode: Episode) -> Plan | None:
    return Plan.objects.filter(episode=episode).prefetch_related("summary_versions__author").first()


@dataclass(frozen=True)
class GoalProgress:
    """A goal with its ratings, oldest first, as the pages show them."""

    goal: Goal
    ratings: list[GoalRating]

    @property
    def latest(self) -> GoalRating | None:
        return self.ratings[-1] if self.ratings else None

    @property
    def previous(self) -> GoalRating | None:
        return self.ratings[-2] if len(self.ratings) >= 2 else None


def goal_progress(goals: QuerySet[Goal] | list[Goal]) -> list[GoalProgress]:
    return [GoalProgress(goal, list(goal.ratings.all())) for goal in goals]


def rated_goals(episode: Episode) -> list[GoalProgress]:
    """Goals that have at least one rating (achieved and set-aside ones too, for the chart)."""
    return [p for p in goal_progress(plan_goals(episode)) if p.ratings]


def rating_changes_with(response: Response) -> list[RatingChange]:
    """The goal ratings given with this check-in, each beside that goal's rating before it,
    in one query."""
    earlier = GoalRating.objects.filter(
        goal_id=OuterRef("goal_id"), rated_at__lt=OuterRef("rated_at")
    ).order_by("-rated_at", "-pk")
    linked = (
        GoalRating.objects.filter(response=response)
        .annotate(previous_score=Subquery(earlier.values("score")[:1]))
        .order_by("rated_at", "pk")
    )
    return [RatingChange(rating.previous_score, rating.score) for rating in linked]


def change_category_since_intake(response: Response) -> str | None:
    """The reliable-change category (Jacobson & Truax) from this instrument's first score in
    the episode to this response, computed by the instrument engine; None when it does not
    apply (first score, no total, or no published threshold)."""
    if response.total is None:
        return None
    first = (
        Response.objects.filter(
            episode_id=response.episode_id,
            instrument_id=response.instrument_id,
            total__isnull=False,
        )
        .order_by("submitted_at", "pk")
        .first()
    )
    if first is None or first.pk == response.pk or first.total is None:
        return None
    try:
        instrument = get_instrument(response.instrument_id, response.instrument_version)
    except engine.UnknownInstrument:
        return None
    try:
        return engine.reliable_change(instrument, first.total, response.total).category
    except (engine.ReliableChangeUnavailable, ValueError):
        return None
