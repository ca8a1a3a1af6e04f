"""The shared treatment plan, from the client's side (me/plan/) and the therapist's
(clinic/episodes/<id>/plan/). The same page serves both; who may do what comes from the
access policy (``plan_side``): the client and the treating therapist write, a supervisor
reads, and a closed episode is read-only.
"""

from __future__ import annotations

from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.care.access import Act
from alliance.care.models import Episode
from alliance.care.selectors import current_or_latest
from alliance.measures.models import Response
from alliance.plans import services
from alliance.plans.encouragement import (
    RatingChange,
    encouragement_note,
    encouragement_reason,
)
from alliance.plans.models import Goal, GoalStatus, Side
from alliance.plans.selectors import active_goals, goal_progress, plan_goals, plan_of
from alliance.web.forms_plans import (
    AgreeForm,
    GoalCloseForm,
    GoalRatingsForm,
    GoalTextForm,
    PlanSummaryForm,
    ReviewDateForm,
)
from alliance.web.http import AuthedRequest

Audience = Literal["client", "clinician"]


# Reading


def _current_episode(request: AuthedRequest) -> Episode | None:
    """The client's current course of care; once it is closed, the most recent one."""
    return current_or_latest(tuple(access.episodes_reachable_by(request.user)))


def plan_context(
    request: AuthedRequest,
    episode: Episode | None,
    audience: Audience,
    **forms_in_use: Any,
) -> dict[str, Any]:
    """Everything the plan, print and history pages show, for this viewer."""
    if episode is None:
        return {"episode": None, "audience": audience}
    side = access.plan_side(request.user, episode)
    goals = list(plan_goals(episode))
    progress = goal_progress(goals)
    active = [p for p in progress if p.goal.status == GoalStatus.ACTIVE]
    plan = plan_of(episode)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "episode": episode,
        "audience": audience,
        "side": side,
        "may_write": side is not None,
        "may_rate": access.may_rate_goals(request.user, episode),
        "all_goals": progress,
        "active": active,
        "waiting": [p for p in progress if p.goal.status == GoalStatus.PROPOSED],
        "ended": [p for p in progress if not p.goal.is_open],
        "plan": plan,
        "summary": plan.current_summary if plan else "",
        "review_overdue": bool(plan and plan.review_overdue(today)),
        "base_template": "web/portal_base.html"
        if audience == "client"
        else "web/workspace_base.html",
    }
    if side is not None:
        context["propose_form"] = forms_in_use.get("propose_form") or GoalTextForm(
            clinician=audience == "clinician"
        )
        context["close_choices"] = GoalCloseForm.base_fields["status"].choices  # type: ignore[attr-defined]
    if context["may_rate"] and active:
        context["ratings_form"] = forms_in_use.get("ratings_form") or GoalRatingsForm(
            goals=[p.goal for p in active]
        )
    if side == Side.THERAPIST:
        context["summary_form"] = forms_in_use.get("summary_form") or PlanSummaryForm(
            initial={"text": context["summary"]}
        )
        context["review_form"] = forms_in_use.get("review_form") or ReviewDateForm(
            initial={"review_on": plan.review_on if plan else None}
        )
    context["action_error"] = forms_in_use.get("action_error", "")
    return context


def _render_plan(
    request: AuthedRequest,
    episode: Episode | None,
    audience: Audience,
    status: int = 200,
    **forms_in_use: Any,
) -> HttpResponse:
    context = plan_context(request, episode, audience, **forms_in_use)
    if episode is not None and request.GET.get("rated") and status == 200:
        context["encouragement"] = _rating_encouragement(episode, context["active"])
    template = "web/plans/my_plan.html" if audience == "client" else "web/plans/episode_plan.html"
    return render(request, template, context, status=status)


def _rating_encouragement(episode: Episode, active: list[Any]) -> str:
    """After the client rated their goals: a note if a rating rose, unless their latest
    check-in tripped a risk item."""
    latest = Response.objects.filter(episode=episode).order_by("-submitted_at", "-pk").first()
    changes = [
        RatingChange(p.previous.score if p.previous else None, p.latest.score)
        for p in active
        if p.latest is not None
    ]
    reason = encouragement_reason(
        risk=bool(latest and latest.critical_tripped), rating_changes=changes
    )
    seed = max((p.latest.pk for p in active if p.latest is not None), default=0)
    return encouragement_note(reason, seed)


def _viewed(request: AuthedRequest, episode: Episode) -> None:
    record_opened(actor=request.user, client_id=episode.client_id, context=audit_context(request))


@require_GET
def my_plan(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episode = _current_episode(request)
    if episode is not None:
        _viewed(request, episode)
    return _render_plan(request, episode, "client")


@require_GET
def my_plan_print(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episode = _current_episode(request)
    if episode is None:
        return redirect("my_plan")
    _viewed(request, episode)
    return render(request, "web/plans/print.html", plan_context(request, episode, "client"))


@require_GET
def my_plan_history(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episode = _current_episode(request)
    if episode is None:
        return redirect("my_plan")
    _viewed(request, episode)
    return render(request, "web/plans/history.html", plan_context(request, episode, "client"))


@require_GET
def episode_plan(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    _viewed(request, episode)
    return _render_plan(request, episode, "clinician")


@require_GET
def episode_plan_print(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    _viewed(request, episode)
    return render(request, "web/plans/print.html", plan_context(request, episode, "clinician"))


@require_GET
def episode_plan_history(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    _viewed(request, episode)
    return render(request, "web/plans/history.html", plan_context(request, episode, "clinician"))


# Writing: the same actions from either side


def _client_write_episode(request: AuthedRequest) -> Episode:
    access.require(access.may_use_client_portal(request.user))
    episode = _current_episode(request)
    if episode is None:
        raise Http404
    return access.access_episode(request.user, episode.pk, Act.CONTRIBUTE)


def _goal(request: AuthedRequest, goal_id: int, audience: Audience) -> Goal:
    if audience == "client":
        access.require(access.may_use_client_portal(request.user))
        act = Act.CONTRIBUTE
    else:
        access.require(access.may_see_caseload(request.user))
        act = Act.TREAT
    return access.access_in_episode(
        request.user, Goal.objects.select_related("episode"), goal_id, act
    )


def _done(audience: Audience, episode: Episode) -> HttpResponse:
    if audience == "client":
        return redirect("my_plan")
    return redirect("episode_plan", episode_id=episode.pk)


def _failed(
    request: AuthedRequest, episode: Episode, audience: Audience, error: Any, **forms_in_use: Any
) -> HttpResponse:
    if isinstance(error, ValidationError):
        message = " ".join(error.messages)
    elif isinstance(error, forms.Form):
        message = " ".join(str(m) for errors in error.errors.values() for m in errors)
    else:
        message = str(error)
    return _render_plan(
        request, episode, audience, status=400, action_error=message, **forms_in_use
    )


def _propose(request: AuthedRequest, episode: Episode, audience: Audience) -> HttpResponse:
    form = GoalTextForm(request.POST, clinician=audience == "clinician")
    if not form.is_valid():
        return _failed(request, episode, audience, form, propose_form=form)
    try:
        services.goal_propose(
            actor=request.user,
            episode=episode,
            text=form.cleaned_data["text"],
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error("text", error)
        return _failed(request, episode, audience, error, propose_form=form)
    messages.success(
        request,
        _("Your goal is saved. Your therapist will be asked to agree it.")
        if audience == "client"
        else _("The goal is saved. The client will be asked to agree it."),
    )
    return _done(audience, episode)


def _agree(request: AuthedRequest, goal: Goal, audience: Audience) -> HttpResponse:
    form = AgreeForm(request.POST)
    if not form.is_valid():
        return _failed(
            request, goal.episode, audience, _("Please agree from the plan page, after reading it.")
        )
    try:
        services.goal_agree(
            actor=request.user,
            goal=goal,
            seen_version_id=form.cleaned_data["version"],
            context=audit_context(request),
        )
    except ValidationError as error:
        return _failed(request, goal.episode, audience, error)
    messages.success(request, _("You agreed the goal. It is now part of the plan."))
    return _done(audience, goal.episode)


def _close(request: AuthedRequest, goal: Goal, audience: Audience) -> HttpResponse:
    form = GoalCloseForm(request.POST)
    if not form.is_valid():
        return _failed(request, goal.episode, audience, form)
    try:
        services.goal_close(
            actor=request.user,
            goal=goal,
            status=form.cleaned_data["status"],
            context=audit_context(request),
        )
    except ValidationError as error:
        return _failed(request, goal.episode, audience, error)
    messages.success(
        request,
        _("Well done — the goal is marked as achieved.")
        if form.cleaned_data["status"] == GoalStatus.ACHIEVED
        else _("The goal is set aside. It stays in the plan's history."),
    )
    return _done(audience, goal.episode)


def _edit(request: AuthedRequest, goal: Goal, audience: Audience) -> HttpResponse:
    clinician = audience == "clinician"
    if request.method == "POST":
        form = GoalTextForm(request.POST, clinician=clinician)
        if form.is_valid():
            try:
                services.goal_reword(
                    actor=request.user,
                    goal=goal,
                    text=form.cleaned_data["text"],
                    context=audit_context(request),
                )
            except ValidationError as error:
                form.add_error("text", error)
            else:
                messages.success(
                    request,
                    _("The new wording is saved. Your therapist will be asked to agree it.")
                    if audience == "client"
                    else _("The new wording is saved. The client will be asked to agree it."),
                )
                return _done(audience, goal.episode)
    else:
        _viewed(request, goal.episode)
        form = GoalTextForm(initial={"text": goal.current_text}, clinician=clinician)
    return render(
        request,
        "web/plans/goal_edit.html",
        {
            "goal": goal,
            "form": form,
            "audience": audience,
            "base_template": "web/workspace_base.html" if clinician else "web/portal_base.html",
            "back": reverse("episode_plan", args=[goal.episode_id])
            if clinician
            else reverse("my_plan"),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def my_goal_propose(request: AuthedRequest) -> HttpResponse:
    return _propose(request, _client_write_episode(request), "client")


@require_POST
def my_goal_agree(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _agree(request, _goal(request, goal_id, "client"), "client")


@require_POST
def my_goal_close(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _close(request, _goal(request, goal_id, "client"), "client")


@require_http_methods(["GET", "POST"])
def my_goal_edit(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _edit(request, _goal(request, goal_id, "client"), "client")


@require_POST
def my_goals_rate(request: AuthedRequest) -> HttpResponse:
    """Ratings from the plan page or from the check-in done page (with its response)."""
    episode = _client_write_episode(request)
    form = GoalRatingsForm(request.POST, goals=list(active_goals(episode)))
    if not form.is_valid():
        return _failed(request, episode, "client", form, ratings_form=form)
    response = None
    if form.cleaned_data.get("response"):
        response = access.access_in_episode(
            request.user, Response.objects.all(), form.cleaned_data["response"], Act.CONTRIBUTE
        )
    try:
        services.goals_rate(
            actor=request.user,
            episode=episode,
            scores=form.scores(),
            response=response,
            context=audit_context(request),
        )
    except ValidationError as error:
        return _failed(request, episode, "client", error, ratings_form=form)
    messages.success(request, _("Thank you — your ratings are saved."))
    if response is not None:
        return redirect("checkin_done", administration_id=response.administration_id)
    return redirect(reverse("my_plan") + "?rated=1")


@require_POST
def episode_goal_propose(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    return _propose(request, episode, "clinician")


@require_POST
def goal_agree(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _agree(request, _goal(request, goal_id, "clinician"), "clinician")


@require_POST
def goal_close(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _close(request, _goal(request, goal_id, "clinician"), "clinician")


@require_http_methods(["GET", "POST"])
def goal_edit(request: AuthedRequest, goal_id: int) -> HttpResponse:
    return _edit(request, _goal(request, goal_id, "clinician"), "clinician")


@require_POST
def plan_summary_edit(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    form = PlanSummaryForm(request.POST)
    if not form.is_valid():
        return _failed(request, episode, "clinician", form, summary_form=form)
    try:
        services.plan_summary_update(
            actor=request.user,
            episode=episode,
            text=form.cleaned_data["text"],
            context=audit_context(request),
        )
    except ValidationError as error:
        return _failed(request, episode, "clinician", error, summary_form=form)
    messages.success(request, _("The plan's summary is saved."))
    return redirect("episode_plan", episode_id=episode.pk)


@require_POST
def plan_review_set(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    form = ReviewDateForm(request.POST)
    # An empty date clears it; a missing field is a broken form, not a request to clear.
    if "review_on" not in request.POST:
        form.add_error("review_on", _("Choose a date, or leave it empty to clear it."))
    if not form.is_valid():
        return _failed(request, episode, "clinician", form, review_form=form)
    services.plan_review_set(
        actor=request.user,
        episode=episode,
        review_on=form.cleaned_data["review_on"],
        context=audit_context(request),
    )
    messages.success(request, _("The review date is saved."))
    return redirect("episode_plan", episode_id=episode.pk)
