"""Forms of the exercises feature: an exercise to fill in, assigning one, sharing an entry."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance import instruments as engine
from alliance.care.access import Sharing
from alliance.care.models import Episode
from alliance.exercises.catalogue import CLINICAL_NAMES, ExerciseType
from alliance.exercises.services import NOTE_MAX
from alliance.instruments.texts import answered_items, item_text
from alliance.web.questionnaire import QuestionnaireForm
from alliance.web.sharing import sharing_field

# A radio scale suits 0 to 10; wider ranges (0 to 100, minutes) take a number box.
SCALE_MAX_POINTS = 11


def _raw_types(instrument: engine.Instrument) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(nodes: Any) -> None:
        for node in nodes or []:
            found[str(node.get("linkId"))] = str(node.get("type"))
            walk(node.get("item"))

    walk(instrument.questionnaire.get("item"))
    return found


def widget_kind(item: engine.Item, raw_type: str) -> str:
    """How an item is shown: choice, scale, number, line (one line of text) or text."""
    if item.kind == "choice":
        return "choice"
    if item.kind in ("integer", "decimal"):
        if (
            item.min_value is not None
            and item.max_value is not None
            and item.max_value - item.min_value < SCALE_MAX_POINTS
        ):
            return "scale"
        return "number"
    return "line" if raw_type == "string" else "text"


def _share_field(episode: Episode, initial: Sharing) -> forms.ChoiceField:
    field = sharing_field(episode, label=_("Who sees this entry?"), initial=initial)
    field.help_text = _(
        "Only the people you choose can read it. Your therapist will see that you did it, "
        "not what you wrote, unless you share it with them. You can change this later."
    )
    return field


class ExerciseForm(QuestionnaireForm):
    """The exercise's own questions (from its definition), then the client's sharing choice."""

    def __init__(
        self,
        *args: Any,
        instrument: engine.Instrument,
        language: str,
        episode: Episode,
        sharing: Sharing,
        **kwargs: Any,
    ) -> None:
        raw_types = _raw_types(instrument)
        self.kinds = {
            it.link_id: widget_kind(it, raw_types.get(it.link_id, "")) for it in instrument.items
        }
        super().__init__(*args, instrument=instrument, language=language, **kwargs)
        self.fields["share"] = _share_field(episode, sharing)

    def _field(self, item: engine.Item) -> forms.Field:
        kind = self.kinds[item.link_id]
        label = item_text(item, self.language)
        required_message = {"required": _("Please fill this in.")}
        if kind == "number":
            return forms.IntegerField(
                label=label,
                required=item.required,
                min_value=None if item.min_value is None else int(item.min_value),
                max_value=None if item.max_value is None else int(item.max_value),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                error_messages=required_message,
            )
        if kind == "line":
            return forms.CharField(
                label=label, required=item.required, max_length=300, error_messages=required_message
            )
        if kind == "text":
            return forms.CharField(
                label=label,
                required=item.required,
                max_length=20000,
                widget=forms.Textarea(attrs={"rows": 6}),
                error_messages=required_message,
            )
        return super()._field(item)

    def answers(self) -> dict[str, Any]:
        answers = super().answers()
        answers.pop("share", None)
        return answers

    @property
    def sharing(self) -> Sharing:
        return Sharing(self.cleaned_data["share"])

    def exercise_questions(
        self,
    ) -> Iterator[tuple[list[str], forms.BoundField, engine.Item, str]]:
        for intros, field, item in self.questions():
            yield intros, field, item, self.kinds[item.link_id]


class SharingForm(forms.Form):
    """Changing who reads an entry already written."""

    def __init__(self, *args: Any, episode: Episode, sharing: Sharing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["share"] = sharing_field(
            episode, label=_("Who sees this entry?"), initial=sharing
        )

    @property
    def sharing(self) -> Sharing:
        return Sharing(self.cleaned_data["share"])


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.current_text)


class AssignForm(forms.Form):
    exercise_type = forms.ChoiceField(
        label=_("Exercise"),
        choices=[(value, CLINICAL_NAMES[ExerciseType(value)]) for value in ExerciseType.values],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose an exercise.")},
    )
    due_on = forms.DateField(
        label=_("Due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    note = forms.CharField(
        label=_("Note for the client"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The client reads it with the exercise."),
    )

    def __init__(self, *args: Any, goals: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if goals:
            self.fields["goal"] = GoalChoiceField(
                label=_("Goal it works towards"),
                # Each label reads the goal's latest wording: its versions in one query.
                queryset=type(goals[0])
                .objects.filter(pk__in=[g.pk for g in goals])
                .prefetch_related("versions"),
                required=False,
                empty_label=_("No particular goal"),
            )


@dataclass(frozen=True)
class EntryRow:
    question: str
    answer: str


def entry_rows(
    instrument: engine.Instrument, answers: Mapping[str, Any], language: str
) -> list[EntryRow]:
    """Each question with the answer given, in the reader's language where the form has it."""
    return [EntryRow(*pair) for pair in answered_items(instrument, answers, language)]
