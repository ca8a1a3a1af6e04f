"""Forms of the notes after a session: they check input; services do the writing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.exercises.models import Assignment
from alliance.notes.models import (
    MAX_ADDENDUM_CHARS,
    MAX_NOTE_CHARS,
    MAX_REPLY_ANSWER_CHARS,
    MAX_REPLY_CHARS,
    MAX_SUMMARY_PART_CHARS,
    Recognised,
)
from alliance.plans.models import Goal
from alliance.web.forms_exercises import AssignForm
from alliance.web.forms_plans import GoalTextForm

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

# What the submit buttons of a draft say (``intent``): save, or save and sign; or save
# and propose a new goal, or save and assign an exercise (both then linked to the summary).
DRAFT, SIGN, ADDENDUM, ANSWER = "draft", "sign", "addendum", "answer"
NEW_GOAL, NEW_EXERCISE = "goal", "exercise"


class PrivateNoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your private note"),
        required=False,
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 12}),
    )


def _part(label: str | _StrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_SUMMARY_PART_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class SessionSummaryForm(forms.Form):
    discussed = _part(_("What we talked about"))
    decided = _part(_("What we decided together"))
    client_will = _part(_("What the client will do"))
    therapist_will = _part(_("What I will do before next time"))
    goals = forms.MultipleChoiceField(
        label=_("Goals this session worked on"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assignments = forms.MultipleChoiceField(
        label=_("Exercises this summary refers to"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        goals: Sequence[Goal] = (),
        assignments: Sequence[tuple[Assignment, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        goal_field = self.fields["goals"]
        assert isinstance(goal_field, forms.MultipleChoiceField)
        goal_field.choices = [(str(goal.pk), goal.current_text) for goal in goals]
        assignment_field = self.fields["assignments"]
        assert isinstance(assignment_field, forms.MultipleChoiceField)
        assignment_field.choices = [(str(a.pk), label) for a, label in assignments]
        # Nothing to link: no empty list of boxes.
        if not goals:
            del self.fields["goals"]
        if not assignments:
            del self.fields["assignments"]

    @property
    def parts(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name]
            for name in ("discussed", "decided", "client_will", "therapist_will")
        }

    @property
    def goal_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("goals", [])]

    @property
    def assignment_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("assignments", [])]


class AddendumForm(forms.Form):
    addendum = forms.CharField(
        label=_("Addendum"),
        max_length=MAX_ADDENDUM_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Dated and kept after the signed text; the signed text does not change."),
        error_messages={"required": _("Write the addendum before adding it.")},
    )


class SummaryReplyForm(forms.Form):
    """The client's "Is this how you remember it?" under a signed summary."""

    recognised = forms.ChoiceField(
        label=_("Is this how you remember it?"),
        choices=Recognised.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes, partly or no.")},
    )
    text = forms.CharField(
        label=_("Anything you would like to add or correct?"),
        required=False,
        max_length=MAX_REPLY_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReplyAnswerForm(forms.Form):
    """The therapist's short answer to the client's reply, given once."""

    answer = forms.CharField(
        label=_("Your answer to the client"),
        max_length=MAX_REPLY_ANSWER_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The client reads it under their reply. You answer once."),
        error_messages={"required": _("Write the answer before sending it.")},
    )


# The plan's and the exercises' own forms, inside the summary's form: prefixed so that
# their fields do not meet the summary's, and without the browser's "required" (the other
# buttons of the same form must still submit with these left empty).


class SummaryGoalForm(GoalTextForm):
    prefix = "new_goal"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, clinician=True, use_required_attribute=False, **kwargs)


class SummaryExerciseForm(AssignForm):
    prefix = "new_exercise"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, use_required_attribute=False, **kwargs)
        # A short list on a phone, the same choices as the exercise page's.
        field = self.fields["exercise_type"]
        assert isinstance(field, forms.ChoiceField)
        listed: list[tuple[str, Any]] = [("", _("Choose an exercise")), *field.widget.choices]
        field.widget = forms.Select()
        field.choices = listed
