"""Forms for treatment preferences, the agenda and the cultural profile."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.preferences.items import CULTURAL_PARTS, ITEMS
from alliance.preferences.models import AGENDA_TEXT_MAX
from alliance.preferences.services import FREE_TEXT_MAX


class PreferencesForm(forms.Form):
    """One radio group per item, then the two questions in the client's own words."""

    hopes = forms.CharField(
        label=_("What do you hope to get from therapy?"),
        required=False,
        max_length=FREE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    working_together = forms.CharField(
        label=_("Anything else about how you would like to work together?"),
        required=False,
        max_length=FREE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in ITEMS:
            self.fields[item.code] = forms.ChoiceField(
                label=item.question,
                choices=item.choices(),
                required=False,
                widget=forms.RadioSelect,
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item.code] for item in ITEMS]

    def answers(self) -> dict[str, str]:
        return {item.code: self.cleaned_data.get(item.code) or "" for item in ITEMS}


class AgendaItemForm(forms.Form):
    text = forms.CharField(
        label=_("Something you would like to talk about"),
        max_length=AGENDA_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Please write what you would like to talk about.")},
    )
    # Where to return afterwards: the home page or the preferences page (never a URL).
    back = forms.ChoiceField(
        choices=[("home", "home"), ("preferences", "preferences")],
        required=False,
        widget=forms.HiddenInput,
    )


class CulturalProfileForm(forms.Form):
    """Each part: a text box and its own "my therapist may see this" box, unticked."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for part in CULTURAL_PARTS:
            self.fields[part.code] = forms.CharField(
                label=part.label,
                help_text=part.help,
                required=False,
                max_length=FREE_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields[f"{part.code}_shared"] = forms.BooleanField(
                label=_("My therapist may see this"), required=False
            )

    def parts(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[part.code], self[f"{part.code}_shared"]) for part in CULTURAL_PARTS]

    def texts(self) -> dict[str, str]:
        return {part.code: self.cleaned_data.get(part.code) or "" for part in CULTURAL_PARTS}

    def shared(self) -> set[str]:
        return {
            part.code for part in CULTURAL_PARTS if self.cleaned_data.get(f"{part.code}_shared")
        }
