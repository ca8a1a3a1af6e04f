"""Forms of the shared treatment plan: they check input; services do the writing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.plans.models import GBO_MAX, GBO_MIN, Goal, GoalStatus
from alliance.plans.services import GOAL_MAX_LENGTH, SUMMARY_MAX_LENGTH


class GoalTextForm(forms.Form):
    text = forms.CharField(
        label=_("The goal, in your own words"),
        max_length=GOAL_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Please write the goal in a few words.")},
    )

    def __init__(self, *args: Any, clinician: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clinician:
            self.fields["text"].label = _("The goal, in the client's words")
            self.fields["text"].help_text = _(
                "The client will be asked to agree this wording before it becomes part of the plan."
            )
        else:
            self.fields["text"].help_text = _(
                "For example: “Go back to the Saturday walking group”. Your therapist will "
                "be asked to agree it."
            )


class AgreeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class GoalCloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("What happens to this goal"),
        choices=[
            (GoalStatus.ACHIEVED, _("Achieved")),
            (GoalStatus.SET_ASIDE, _("Set aside")),
        ],
        error_messages={"required": _("Choose whether the goal is achieved or set aside.")},
    )


class PlanSummaryForm(forms.Form):
    text = forms.CharField(
        label=_("What we are working towards and how"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The client reads this on their plan. Plain words help."),
        error_messages={"required": _("Please write a few words about the plan.")},
    )


class ReviewDateForm(forms.Form):
    review_on = forms.DateField(
        label=_("Review the plan together on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to clear the review date."),
    )


SCALE = [(str(n), str(n)) for n in range(GBO_MIN, GBO_MAX + 1)]


class GoalRatingsForm(forms.Form):
    """One 0-10 radio scale per active goal, each optional; at least one is needed."""

    response = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, goals: Sequence[Goal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.goals = list(goals)
        for goal in self.goals:
            self.fields[f"goal-{goal.pk}"] = forms.TypedChoiceField(
                label=goal.current_text,
                choices=SCALE,
                coerce=int,
                required=False,
                empty_value=None,
                widget=forms.RadioSelect,
            )

    def goal_fields(self) -> list[tuple[Goal, forms.BoundField]]:
        return [(goal, self[f"goal-{goal.pk}"]) for goal in self.goals]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.scores():
            raise forms.ValidationError(_("Choose a number for at least one goal."))
        return data

    def scores(self) -> dict[int, int]:
        data = getattr(self, "cleaned_data", {})
        return {
            goal.pk: data[f"goal-{goal.pk}"]
            for goal in self.goals
            if data.get(f"goal-{goal.pk}") is not None
        }
