"""After a session: the therapist's private note and the shared summary (clinic/…), and
the client's signed summaries (me/…). Who reads and writes what is decided in
``alliance.care.access`` ("notes" section)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.care.models import Session
from alliance.exercises.selectors import goals_to_link, live_assignments
from alliance.notes import services
from alliance.notes.models import SessionSummary
from alliance.notes.selectors import (
    private_note_of,
    reply_to,
    signed_summaries_of_client,
    summary_of,
)
from alliance.plans.selectors import goals_in_play
from alliance.preparation.selectors import session_preparation
from alliance.web.forms_notes import (
    ADDENDUM,
    ANSWER,
    NEW_EXERCISE,
    NEW_GOAL,
    SIGN,
    AddendumForm,
    PrivateNoteForm,
    ReplyAnswerForm,
    SessionSummaryForm,
    SummaryExerciseForm,
    SummaryGoalForm,
    SummaryReplyForm,
)
from alliance.web.http import AuthedRequest, site_url
from alliance.web.presenters import notes as presenter


def _session(request: AuthedRequest, session_id: int, part: str) -> Session:
    access.require(access.may_see_caseload(request.user))
    session = access.access_session_notes(request.user, session_id)
    if request.method == "GET":
        record_opened(
            actor=request.user,
            client_id=session.episode.client_id,
            part=part,
            target_id=session.pk,
            context=audit_context(request),
        )
    return session


def _write(request: AuthedRequest, form: forms.Form, save: Callable[[], Any], done: str) -> bool:
    """Run ``save`` if the form is valid; a refusal (a signed text, say) goes on the form."""
    if not form.is_valid():
        return False
    try:
        save()
    except ValidationError as error:
        form.add_error(None, error)
        return False
    messages.success(request, done)
    return True


def _saved_message(intent: str) -> str:
    if intent == SIGN:
        return _("Signed. The text is now locked; you can add dated addenda below.")
    if intent == ADDENDUM:
        return _("The addendum is added.")
    if intent == ANSWER:
        return _("Your answer is sent; the client reads it under their reply.")
    if intent == NEW_GOAL:
        return _(
            "The draft is saved and the goal is linked to it. The client will be asked to "
            "agree the goal on their plan."
        )
    if intent == NEW_EXERCISE:
        return _("The draft is saved and the exercise, linked to it, is on the client's list.")
    return _("The draft is saved.")


def _status(request: AuthedRequest) -> int:
    return 400 if request.method == "POST" else 200


def _note_post(request: AuthedRequest, session: Session, shown: dict[str, forms.Form]) -> bool:
    """Save a draft, sign, or add an addendum (the button's ``intent``); the bound form
    goes into ``shown`` to be shown again with its errors."""
    intent = request.POST.get("intent", "")
    kwargs: dict[str, Any] = {
        "actor": request.user,
        "session": session,
        "context": audit_context(request),
    }
    if intent == ADDENDUM:
        form: forms.Form = AddendumForm(request.POST)
        shown["addendum_form"] = form
        save: Callable[[], object] = lambda: services.note_add_addendum(  # noqa: E731
            **kwargs, text=form.cleaned_data["addendum"]
        )
    else:
        form = shown["form"] = PrivateNoteForm(request.POST)
        call = services.note_sign if intent == SIGN else services.note_save_draft
        save = lambda: call(**kwargs, text=form.cleaned_data["text"])  # noqa: E731
    return _write(request, form, save, _saved_message(intent))


def _replied_summary(session: Session) -> SessionSummary:
    summary = summary_of(session)
    if summary is None:
        raise ValidationError(_("The client has not replied to this summary."))
    return summary


def _summary_post(
    request: AuthedRequest, session: Session, shown: dict[str, forms.Form], choices: dict[str, Any]
) -> bool:
    intent = request.POST.get("intent", "")
    kwargs: dict[str, Any] = {
        "actor": request.user,
        "session": session,
        "context": audit_context(request),
    }
    if intent == ANSWER:
        form: forms.Form = ReplyAnswerForm(request.POST)
        shown["answer_form"] = form
        save: Callable[[], object] = lambda: services.summary_reply_answer(  # noqa: E731
            actor=request.user,
            summary=_replied_summary(session),
            text=form.cleaned_data["answer"],
            context=kwargs["context"],
        )
    elif intent == ADDENDUM:
        form = AddendumForm(request.POST)
        shown["addendum_form"] = form
        save = lambda: services.summary_add_addendum(  # noqa: E731
            **kwargs, text=form.cleaned_data["addendum"]
        )
    elif intent in (NEW_GOAL, NEW_EXERCISE):
        return _summary_new_link(request, session, intent, shown, choices, kwargs)
    else:
        summary_form = SessionSummaryForm(request.POST, **choices)
        form = shown["form"] = summary_form
        if intent == SIGN:
            kwargs["base_url"] = site_url(request)
        call = services.summary_sign if intent == SIGN else services.summary_save_draft
        save = lambda: call(  # noqa: E731
            **kwargs,
            parts=summary_form.parts,
            goal_ids=summary_form.goal_ids,
            assignment_ids=summary_form.assignment_ids,
        )
    return _write(request, form, save, _saved_message(intent))


def _summary_new_link(
    request: AuthedRequest,
    session: Session,
    intent: str,
    shown: dict[str, forms.Form],
    choices: dict[str, Any],
    kwargs: dict[str, Any],
) -> bool:
    """Save the draft as typed, and propose a goal or assign an exercise linked to it: the
    plan's and the exercises' own forms and services, both in one transaction."""
    summary_form = shown["form"] = SessionSummaryForm(request.POST, **choices)
    if intent == NEW_GOAL:
        form: forms.Form = SummaryGoalForm(request.POST)
        shown["goal_form"] = form
        save: Callable[[], object] = lambda: services.summary_propose_goal(  # noqa: E731
            **kwargs, **_draft(summary_form), text=form.cleaned_data["text"]
        )
    else:
        form = shown["exercise_form"] = SummaryExerciseForm(
            request.POST, goals=goals_to_link(session.episode)
        )
        save = lambda: services.summary_assign_exercise(  # noqa: E731
            **kwargs, **_draft(summary_form), **_exercise_fields(form.cleaned_data)
        )
    # Both forms are checked, so that both show what is wrong.
    valid = [summary_form.is_valid(), form.is_valid()]
    return all(valid) and _write(request, form, save, _saved_message(intent))


def _draft(form: SessionSummaryForm) -> dict[str, Any]:
    """The draft as typed, saved with the new goal or exercise."""
    return {"parts": form.parts, "goal_ids": form.goal_ids, "assignment_ids": form.assignment_ids}


def _exercise_fields(cleaned: dict[str, Any]) -> dict[str, Any]:
    return {name: cleaned.get(name) for name in ("exercise_type", "due_on", "note", "goal")}


def _summary_choices(request: AuthedRequest, session: Session) -> dict[str, Any]:
    episode = session.episode
    return {
        # Proposed goals too: one proposed from this summary stays linked to it.
        "goals": list(goals_in_play(episode)),
        "assignments": presenter.assignment_choices(
            list(live_assignments([episode], viewer=request.user))
        ),
    }


def _summary_initial(
    request: AuthedRequest, session: Session, summary: SessionSummary | None
) -> dict[str, Any]:
    """A draft's own words; a new summary starts from what the client already sees."""
    if summary is None:
        prep = session_preparation(viewer=request.user, session=session)
        return presenter.summary_prefill(prep, client=session.episode.client)
    return {
        "discussed": summary.discussed,
        "decided": summary.decided,
        "client_will": summary.client_will,
        "therapist_will": summary.therapist_will,
        "goals": [str(goal.pk) for goal in summary.goals.all()],
        "assignments": [str(assignment.pk) for assignment in summary.assignments.all()],
    }


def _summary_forms(
    request: AuthedRequest,
    session: Session,
    summary: SessionSummary | None,
    choices: dict[str, Any],
) -> dict[str, forms.Form]:
    """The page's forms, empty; ``choices`` (empty when the viewer only reads) to link."""
    initial = _summary_initial(request, session, summary) if choices else {}
    return {
        "form": SessionSummaryForm(initial=initial, **choices),
        "goal_form": SummaryGoalForm(),
        "exercise_form": SummaryExerciseForm(
            goals=goals_to_link(session.episode) if choices else []
        ),
        "addendum_form": AddendumForm(),
        "answer_form": ReplyAnswerForm(),
    }


@require_http_methods(["GET", "POST"])
def session_note(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The therapist's private note: its author and the supervisor (reading) only."""
    session = _session(request, session_id, "private_note")
    note = private_note_of(session)
    access.require_private_note(request.user, session.episode, note)
    shown: dict[str, forms.Form] = {
        "form": PrivateNoteForm(initial={"text": note.text if note else ""}),
        "addendum_form": AddendumForm(),
    }
    if request.method == "POST":
        access.require_write_session_notes(request.user, session.episode)
        if _note_post(request, session, shown):
            return redirect("session_note", session_id=session.pk)
    may_write = access.may_write_session_notes(request.user, session.episode)
    context = presenter.note_page(session=session, note=note, may_write=may_write, **shown)
    return render(request, "web/notes/note.html", context, status=_status(request))


@require_http_methods(["GET", "POST"])
def session_summary(request: AuthedRequest, session_id: int) -> HttpResponse:
    """The shared summary: written by the treating therapist, read by the supervisor, and
    by the client once signed (on their own page)."""
    session = _session(request, session_id, "session_summary")
    summary = summary_of(session)
    may_write = access.may_write_session_notes(request.user, session.episode)
    choices = _summary_choices(request, session) if may_write else {}
    shown = _summary_forms(request, session, summary, choices)
    if request.method == "POST":
        access.require_write_session_notes(request.user, session.episode)
        if _summary_post(request, session, shown, choices):
            return redirect("session_summary", session_id=session.pk)
    context = presenter.summary_page(
        session=session, summary=summary, reply=reply_to(summary), may_write=may_write, **shown
    )
    return render(request, "web/notes/summary.html", context, status=_status(request))


@require_GET
def my_summaries(request: AuthedRequest) -> HttpResponse:
    """The client's signed session summaries, newest first."""
    access.require(access.may_use_client_portal(request.user))
    record_opened(
        actor=request.user,
        client_id=request.user.pk,
        part="session_summaries",
        context=audit_context(request),
    )
    summaries = list(signed_summaries_of_client(request.user))
    return render(request, "web/notes/my_summaries.html", {"summaries": summaries})


@require_http_methods(["GET", "POST"])
def my_summary(request: AuthedRequest, summary_id: int) -> HttpResponse:
    """One signed summary with its addenda, and "Is this how you remember it?" under it;
    opening it is what makes it no longer new."""
    access.require(access.may_use_client_portal(request.user))
    summary = access.access_own_summary(request.user, summary_id)
    record_opened(
        actor=request.user,
        client_id=request.user.pk,
        part="session_summary",
        target_id=summary.pk,
        context=audit_context(request),
    )
    services.summary_mark_read(actor=request.user, summary=summary)
    reply = reply_to(summary)
    form = SummaryReplyForm(request.POST or None, initial=presenter.reply_initial(reply))
    if request.method == "POST" and _reply(request, form, summary):
        return redirect("my_summary", summary_id=summary.pk)
    context = presenter.client_summary(summary, reply=reply, form=form, user=request.user)
    return render(request, "web/notes/my_summary.html", context, status=_status(request))


def _reply(request: AuthedRequest, form: forms.Form, summary: SessionSummary) -> bool:
    save = lambda: services.summary_reply(  # noqa: E731
        actor=request.user,
        summary=summary,
        recognised=form.cleaned_data["recognised"],
        text=form.cleaned_data["text"],
        context=audit_context(request),
    )
    return _write(request, form, save, _("Thank you. Your therapist will see your reply."))
