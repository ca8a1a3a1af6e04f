"""A questionnaire as an accessible form: one fieldset and legend per question."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from alliance import instruments as engine
from alliance.instruments.model import Number
from alliance.instruments.texts import answer_points, answer_text, item_text, option_text

TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"


def translated(node: Mapping[str, Any], field: str, language: str) -> str:
    """A Questionnaire text in ``language`` (FHIR translation extension), else as written."""
    for extension in (node.get(f"_{field}") or {}).get("extension", []):
        if extension.get("url") != TRANSLATION_URL:
            continue
        parts = {part.get("url"): part for part in extension.get("extension", [])}
        if parts.get("lang", {}).get("valueCode") == language:
            return str(parts.get("content", {}).get("valueString", node.get(field, "")))
    return str(node.get(field, ""))


def form_language(instrument: engine.Instrument, wanted: str) -> str:
    return wanted if wanted in instrument.languages else "en"


def display_texts(instrument: engine.Instrument, language: str) -> dict[str, list[str]]:
    """Display items (instructions) keyed by the answerable item they come before."""
    before: dict[str, list[str]] = {}
    pending: list[str] = []

    def walk(nodes: Any) -> None:
        for node in nodes or []:
            if node.get("type") == "display":
                pending.append(translated(node, "text", language))
            elif node.get("type") == "group":
                if node.get("text"):
                    pending.append(translated(node, "text", language))
                walk(node.get("item"))
            elif node.get("linkId") in instrument.by_link_id and pending:
                before[node["linkId"]] = list(pending)
                pending.clear()

    walk(instrument.questionnaire.get("item"))
    return before


def answer_needed(instrument: engine.Instrument, item: engine.Item) -> bool:
    """Whether the form asks for an answer: the definition requires it, or the total cannot
    be made without it. An imported Questionnaire may leave a scored item optional (the
    LHC-Forms PHQ-9's item 9) while no missing-item rule lets its total go without it;
    offered as optional, its blank would have the answers refused with no question marked."""
    if item.required:
        return True
    return (
        item.link_id in instrument.scored
        and item.link_id not in instrument.optional_scored
        and instrument.missing_max == 0
    )


class QuestionnaireForm(forms.Form):
    """Built from the instrument's own definition; answers are validated again when scored."""

    def __init__(self, *args: Any, instrument: engine.Instrument, language: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.language = form_language(instrument, language)
        for item in instrument.items:
            self.fields[item.link_id] = self._field(item)

    def _field(self, item: engine.Item) -> forms.Field:
        label = item_text(item, self.language)
        required = answer_needed(self.instrument, item)
        if item.kind == "choice":
            return forms.ChoiceField(
                label=label,
                required=required,
                choices=[(o.code, option_text(o, self.language)) for o in item.options],
                widget=forms.RadioSelect,
                error_messages={"required": _("Please choose an answer.")},
            )
        if (
            item.kind in ("integer", "decimal")
            and item.min_value is not None
            and item.max_value is not None
        ):
            values = range(int(item.min_value), int(item.max_value) + 1)
            return forms.TypedChoiceField(
                label=label,
                required=required,
                choices=[(str(v), str(v)) for v in values],
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "scale"}),
                error_messages={"required": _("Please choose an answer.")},
            )
        return forms.CharField(
            label=label,
            required=required,
            max_length=4000,
            widget=forms.Textarea(attrs={"rows": 4}),
        )

    def answers(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def questions(self) -> Iterator[tuple[list[str], forms.BoundField, engine.Item]]:
        intros = display_texts(self.instrument, self.language)
        for item in self.instrument.items:
            yield intros.get(item.link_id, []), self[item.link_id], item


def started_at_hint(posted: str, *, earliest: datetime, now: datetime) -> datetime | None:
    """When the person opened the form, from the hidden ``started_at`` its page wrote; None
    when the value is no plausible opening time.

    It is timing metadata only (how long a check-in or an exercise took), so a value that
    cannot be read (an impossible date, an offset out of range, a year that overflows in
    UTC, no date at all) or that lies before the form existed or after it was sent is
    ignored, never refused: refusing it would hand the client back a form and could lose
    what they had just written, for a number nobody needs.
    """
    try:
        parsed = parse_datetime(posted.strip())
        if parsed is None:
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed = parsed.astimezone(UTC)  # overflows here, not later in the database
    except (ValueError, OverflowError):
        return None
    if not earliest <= parsed <= now:
        return None
    return parsed


@dataclass(frozen=True)
class AnswerRow:
    position: int
    question: str
    answer: str
    points: Number | None  # None where the answer has no weight (or is text)
    critical: bool


def answer_rows(
    instrument: engine.Instrument,
    answers: Mapping[str, Any],
    text_answers: Mapping[str, str],
    critical: list[dict[str, Any]],
    language: str,
) -> list[AnswerRow]:
    """Each question with the answer given and its points, for the clinician's view of a
    response (stored as ``{"value": ..., "code": ...}``; an unweighted answer's value is its
    code, which has no points)."""
    tripped = {hit["link_id"] for hit in critical}
    rows = []
    for item in instrument.items:
        stored = answers.get(item.link_id)
        points = None
        if item.kind == "text":
            shown = text_answers.get(item.link_id, "")
        elif stored is None:
            shown = ""
        else:
            code, value = stored.get("code"), stored.get("value")
            shown = answer_text(item, code, value, language)
            points = answer_points(item, code, value)
        rows.append(
            AnswerRow(
                item.position, item_text(item, language), shown, points, item.link_id in tripped
            )
        )
    return rows
