"""Between-session exercises: the client does them and decides who reads each entry (their
therapist, and also the supervisor); the treating therapist assigns them, and clinicians
read what the client shared with them."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from alliance.audit.context import audit_context
from alliance.audit.services import record_opened
from alliance.care import access
from alliance.care.access import Act, Sharing
from alliance.care.models import Episode
from alliance.exercises import selectors
from alliance.exercises.catalogue import CLINICAL_NAMES, ExerciseType, exercise_instrument
from alliance.exercises.catalogue import shared_by_default as default_sharing
from alliance.exercises.models import Assignment, Entry
from alliance.exercises.services import (
    assignment_create,
    assignment_withdraw,
    entry_set_shared,
    entry_submit,
)
from alliance.instruments import Instrument
from alliance.web.forms_exercises import AssignForm, ExerciseForm, SharingForm, entry_rows
from alliance.web.http import AuthedRequest
from alliance.web.questionnaire import form_language, started_at_hint
from alliance.web.sharing import entry_saved_sentence, entry_sharing_changed_sentence

# --- the client ---------------------------------------------------------------------------


@require_GET
def my_exercises(request: AuthedRequest) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    episodes = tuple(access.episodes_reachable_by(request.user))
    record_opened(actor=request.user, client_id=request.user.pk, context=audit_context(request))
    assignments = list(
        selectors.live_assignments(episodes, viewer=request.user).filter(episode__status="open")
    )
    return render(
        request,
        "web/exercises/my_list.html",
        {
            "to_do": [a for a in assignments if not a.entry_count],
            "done": [a for a in assignments if a.entry_count],
            "entries": list(selectors.entries_for_client(episodes)[:50]),
        },
    )


@require_http_methods(["GET", "POST"])
def exercise_do(request: AuthedRequest, assignment_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    assignment = access.access_in_episode(
        request.user, Assignment.objects.select_related("goal"), assignment_id, Act.CONTRIBUTE
    )
    if assignment.is_withdrawn:
        # Still "not found" (nothing to fill in), but said plainly in the person's language.
        return render(request, "web/exercises/withdrawn.html", status=404)
    instrument = exercise_instrument(assignment.exercise_type)
    form = _exercise_form(request, assignment, instrument)
    now = timezone.now()
    started = started_at_hint(
        request.POST.get("started_at", ""), earliest=assignment.assigned_at, now=now
    )
    if request.method == "POST" and form.is_valid():
        entry = _submit_entry(request, assignment, form, started)
        if entry is not None:
            return redirect("my_exercise_entry", entry_id=entry.pk)
    return render(
        request,
        "web/exercises/do.html",
        {"assignment": assignment, "instrument": instrument, "form": form}
        | {"started_at": (started or now).isoformat()},
        status=400 if request.method == "POST" else 200,
    )


def _exercise_form(
    request: AuthedRequest, assignment: Assignment, instrument: Instrument
) -> ExerciseForm:
    return ExerciseForm(
        request.POST if request.method == "POST" else None,
        instrument=instrument,
        language=request.user.language,
        episode=assignment.episode,
        sharing=Sharing.THERAPIST if default_sharing(assignment.exercise_type) else Sharing.PRIVATE,
    )


def _submit_entry(
    request: AuthedRequest, assignment: Assignment, form: ExerciseForm, started: datetime | None
) -> Entry | None:
    """The saved entry (and a word on who will see it), or ``None`` with the service's
    refusal on the form."""
    try:
        entry = entry_submit(
            actor=request.user,
            assignment=assignment,
            answers=form.answers(),
            shared=form.sharing.with_therapist,
            shared_with_supervisor=form.sharing.with_supervisor,
            started_at=started,
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, entry_saved_sentence(entry.episode, entry.sharing))
    return entry


@require_GET
def my_exercise_entry(request: AuthedRequest, entry_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    entry = access.access_exercise_entry(request.user, entry_id)
    record_opened(actor=request.user, client_id=request.user.pk, context=audit_context(request))
    return _client_entry_page(
        request, entry, SharingForm(episode=entry.episode, sharing=entry.sharing)
    )


def _client_entry_page(
    request: AuthedRequest, entry: Entry, form: SharingForm, status: int = 200
) -> HttpResponse:
    instrument = exercise_instrument(entry.instrument_id, entry.instrument_version)
    language = form_language(instrument, request.user.language)
    return render(
        request,
        "web/exercises/my_entry.html",
        {
            "entry": entry,
            "rows": entry_rows(instrument, entry.answers, language),
            "form": form,
            "may_change_sharing": access.may_change_entry_sharing(request.user, entry),
        },
        status=status,
    )


@require_POST
def exercise_entry_sharing(request: AuthedRequest, entry_id: int) -> HttpResponse:
    access.require(access.may_use_client_portal(request.user))
    entry = access.access_exercise_entry(request.user, entry_id)
    if not access.may_change_entry_sharing(request.user, entry):
        raise Http404
    form = SharingForm(request.POST, episode=entry.episode, sharing=entry.sharing)
    if not form.is_valid():
        return _client_entry_page(request, entry, form, status=400)
    entry = entry_set_shared(
        actor=request.user,
        entry=entry,
        shared=form.sharing.with_therapist,
        shared_with_supervisor=form.sharing.with_supervisor,
        context=audit_context(request),
    )
    messages.success(request, entry_sharing_changed_sentence(entry.episode, entry.sharing))
    return redirect("my_exercise_entry", entry_id=entry.pk)


# --- the clinician ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def exercise_assign(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.TREAT)
    if request.method == "GET":
        record_opened(
            actor=request.user, client_id=episode.client_id, context=audit_context(request)
        )
    goals = selectors.goals_to_link(episode)
    form = AssignForm(request.POST if request.method == "POST" else None, goals=goals)
    if request.method == "POST" and form.is_valid() and _assign(request, episode, form):
        messages.success(request, _("The exercise is on the client's list."))
        return redirect("episode_exercises", episode_id=episode.pk)
    return render(
        request,
        "web/exercises/assign.html",
        {"episode": episode, "form": form},
        status=400 if request.method == "POST" else 200,
    )


def _assign(request: AuthedRequest, episode: Episode, form: AssignForm) -> bool:
    """Put the exercise on the client's list; ``False`` with the refusal on the form."""
    try:
        assignment_create(
            actor=request.user,
            episode=episode,
            exercise_type=form.cleaned_data["exercise_type"],
            due_on=form.cleaned_data["due_on"],
            note=form.cleaned_data["note"],
            goal=form.cleaned_data.get("goal"),
            context=audit_context(request),
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_GET
def episode_exercises(request: AuthedRequest, episode_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    episode = access.access_episode(request.user, episode_id, Act.READ)
    record_opened(actor=request.user, client_id=episode.client_id, context=audit_context(request))
    return render(
        request,
        "web/exercises/episode.html",
        {
            "episode": episode,
            "assignments": list(selectors.assignments_of([episode], viewer=request.user)),
            "entries": list(selectors.shared_entries([episode], viewer=request.user)),
            "may_assign": access.may_assign_exercise(request.user, episode),
        },
    )


@require_POST
def exercise_withdraw(request: AuthedRequest, assignment_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    assignment = access.access_in_episode(
        request.user, Assignment.objects.all(), assignment_id, Act.TREAT
    )
    try:
        assignment_withdraw(
            actor=request.user, assignment=assignment, context=audit_context(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The exercise is withdrawn; what the client wrote is kept."))
    return redirect("episode_exercises", episode_id=assignment.episode_id)


@require_GET
def exercise_entry_detail(request: AuthedRequest, entry_id: int) -> HttpResponse:
    access.require(access.may_see_caseload(request.user))
    entry = access.access_exercise_entry(request.user, entry_id)
    record_opened(
        actor=request.user, client_id=entry.episode.client_id, context=audit_context(request)
    )
    instrument = exercise_instrument(entry.instrument_id, entry.instrument_version)
    return render(
        request,
        "web/exercises/entry_detail.html",
        {
            "entry": entry,
            "episode": entry.episode,
            "name": CLINICAL_NAMES[ExerciseType(entry.assignment.exercise_type)],
            "rows": entry_rows(
                instrument, entry.answers, form_language(instrument, request.user.language)
            ),
        },
    )
