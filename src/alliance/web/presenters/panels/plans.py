"""The plans feature's panels: the portal home's card, the record's plan at a glance,
the goal-rating charts of the progress pages and the ratings after a check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from alliance.accounts.models import User
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.localtime import when
from alliance.measures.models import Response
from alliance.plans.encouragement import encouragement_note, encouragement_reason
from alliance.plans.models import GBO_MAX, GBO_MIN, GoalRating, GoalStatus, Side
from alliance.plans.selectors import (
    GoalProgress,
    active_goals,
    change_category_since_intake,
    goal_progress,
    goals_waiting_for,
    plan_goals,
    plan_of,
    rated_goals,
    rating_changes_with,
)
from alliance.web import charts
from alliance.web.forms_plans import GoalRatingsForm
from alliance.web.presenters.charts import chart_with_legend
from alliance.web.presenters.panels import Panel

# A gentle nudge to rate goals when the last rating is older than this.
RATING_NUDGE_AFTER = timedelta(days=7)


def portal_card(*, viewer: User, episode: Episode | None, now: datetime) -> Panel | None:
    """The client's home: goals waiting for their agreement, else a nudge to rate."""
    if episode is None or not access.may_act_on_episode(viewer, episode, Act.CONTRIBUTE):
        return None
    waiting = list(goals_waiting_for(episode, Side.CLIENT))
    if waiting:
        return Panel("web/plans/_portal_card.html", {"waiting": waiting})
    progress = goal_progress(active_goals(episode))
    due = [p for p in progress if p.latest is None or now - p.latest.rated_at > RATING_NUDGE_AFTER]
    return Panel("web/plans/_portal_card.html", {"waiting": [], "nudge": True}) if due else None


def record_panel(*, viewer: User, episode: Episode) -> Panel | None:
    """The clinician's client record: the plan of this episode at a glance."""
    if not access.may_act_on_episode(viewer, episode, Act.READ):
        return None
    if access.is_episode_client(viewer, episode):
        return None
    progress = goal_progress(plan_goals(episode))
    plan = plan_of(episode)
    return Panel(
        "web/plans/_record_panel.html",
        {
            "episode": episode,
            "active": [p for p in progress if p.goal.status == GoalStatus.ACTIVE],
            "waiting": [p for p in progress if p.goal.status == GoalStatus.PROPOSED],
            "plan": plan,
            "review_overdue": bool(plan and plan.review_overdue(timezone.localdate())),
        },
    )


@dataclass
class GoalChart:
    chart_id: str
    heading: str
    svg: SafeString
    legend: list[tuple[SafeString, str]]
    caption: str
    rows: list[GoalRating]
    status: str


def _goal_chart(progress: GoalProgress, audience: str) -> GoalChart:
    goal = progress.goal
    points = [
        charts.Point(
            value=float(r.score),
            tick=str(index),
            name=_("Rating %(number)s") % {"number": index},
            date=when(r.rated_at, "short_date"),
        )
        for index, r in enumerate(progress.ratings, start=1)
    ]
    first, latest = progress.ratings[0], progress.ratings[-1]
    values = {
        "count": len(points),
        "first": first.score,
        "latest": latest.score,
        "min": GBO_MIN,
        "max": GBO_MAX,
    }
    description = (
        _("One rating so far: %(first)s on a scale from %(min)s to %(max)s.") % values
        if len(points) == 1
        else _(
            "%(count)s ratings: first %(first)s, latest %(latest)s, on a scale from %(min)s "
            "(not at all towards the goal) to %(max)s (goal reached). The table lists every "
            "rating."
        )
        % values
    )
    series_label = _("Your ratings") if audience == "client" else _("Client's ratings")
    chart_id = f"goal-chart-{goal.pk}"
    drawn = chart_with_legend(
        chart_id=chart_id,
        title=goal.current_text,
        description=description,
        points=points,
        y_min=float(GBO_MIN),
        y_max=float(GBO_MAX),
        series_label=series_label,
        y_label=_("Rating (0-10)"),
        x_label=_("Rating"),
    )
    return GoalChart(
        chart_id=chart_id,
        heading=goal.current_text,
        svg=drawn.svg,
        legend=drawn.legend,
        caption=_("Ratings of this goal, one row per rating"),
        rows=progress.ratings,
        status=goal.get_status_display() if goal.status != GoalStatus.ACTIVE else "",
    )


def progress_panel(*, viewer: User, episode: Episode) -> Panel | None:
    """Goal ratings (goal-based outcomes) beside the standard scores, chart and table."""
    if not access.may_act_on_episode(viewer, episode, Act.READ):
        return None
    audience = access.audience(viewer, episode)
    if audience == "client" and not episode.client_sees_progress:
        goals = list(active_goals(episode))
        if not goals:
            return None
        context = {"audience": audience, "episode": episode, "goals": goals, "charts": []}
        return Panel("web/plans/_progress_panel.html", context)
    rated = rated_goals(episode)
    if audience == "client" and not rated:
        return None
    return Panel(
        "web/plans/_progress_panel.html",
        {
            "audience": audience,
            "episode": episode,
            "charts": [_goal_chart(p, audience) for p in rated],
            "goals": [],
            "level": 2 if audience == "client" else 3,
        },
    )


def checkin_done_panel(*, viewer: User, response: Response) -> Panel | None:
    """After a check-in: a short rating of each active goal, and a note of encouragement
    when things have reliably improved or a goal rating rose — never beside a risk answer."""
    if response.critical_tripped or not access.is_episode_client(viewer, response):
        return None
    changes = rating_changes_with(response)
    reason = encouragement_reason(
        risk=response.critical_tripped,
        change_category=change_category_since_intake(response),
        rating_changes=changes,
    )
    note = encouragement_note(reason, response.pk)
    form = None
    # The ratings are offered once per check-in: none given with it yet.
    if not changes and access.may_rate_goals(viewer, response.episode):
        goals = list(active_goals(response.episode))
        if goals:
            form = GoalRatingsForm(goals=goals, initial={"response": response.pk})
    if not (note or form or changes):
        return None
    return Panel(
        "web/plans/_checkin_done.html",
        {"note": note, "form": form, "response": response, "rated": bool(changes)},
    )
