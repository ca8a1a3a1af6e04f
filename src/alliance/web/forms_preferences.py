"""Forms for treatment preferences, the agenda and the cultural profile."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.care.access import Sharing
from alliance.care.models import Episode
from alliance.preferences.items import CULTURAL_PARTS, ITEMS
from alliance.preferences.models import AGENDA_TEXT_MAX, CulturalProfile
from alliance.preferences.services import FREE_TEXT_MAX
from alliance.web.sharing import sharing_field


class PreferencesForm(forms.Form):
    """One radio group per item, the two questions in the client's own words, then who
    may read them (their therapist by default: the page is there to tell them)."""

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

    def __init__(
        self, *args: Any, episode: Episode, sharing: Sharing = Sharing.THERAPIST, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for item in ITEMS:
            self.fields[item.code] = forms.ChoiceField(
                label=item.question,
                choices=item.choices(),
                required=False,
                widget=forms.RadioSelect,
            )
        self.fields["sharing"] = sharing_field(
            episode, label=_("Who may read your preferences?"), initial=sharing
        )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item.code] for item in ITEMS]

    def answers(self) -> dict[str, str]:
        return {item.code: self.cleaned_data.get(item.code) or "" for item in ITEMS}

    @property
    def sharing(self) -> Sharing:
        return Sharing(self.cleaned_data["sharing"])


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
    """Each part: a text box and its own choice of who may read it, "only me" at first."""

    def __init__(
        self, *args: Any, episode: Episode, profile: CulturalProfile | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for part in CULTURAL_PARTS:
            self.fields[part.code] = forms.CharField(
                label=part.label,
                help_text=part.help,
                required=False,
                max_length=FREE_TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=profile.text_of(part.code) if profile is not None else "",
            )
            # As with the boxes this replaces, a part sent without a choice stays private.
            self.fields[f"{part.code}_sharing"] = sharing_field(
                episode,
                label=_("Who may read this?"),
                initial=profile.sharing_of(part.code) if profile is not None else Sharing.PRIVATE,
                required=False,
            )

    def parts(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[part.code], self[f"{part.code}_sharing"]) for part in CULTURAL_PARTS]

    def texts(self) -> dict[str, str]:
        return {part.code: self.cleaned_data.get(part.code) or "" for part in CULTURAL_PARTS}

    def _sharing(self, code: str) -> Sharing:
        return Sharing(self.cleaned_data.get(f"{code}_sharing") or Sharing.PRIVATE.value)

    def shared(self) -> set[str]:
        """The parts the therapist reads."""
        return {part.code for part in CULTURAL_PARTS if self._sharing(part.code).with_therapist}

    def shared_with_supervisor(self) -> set[str]:
        """The parts the therapist's supervisor reads too."""
        return {part.code for part in CULTURAL_PARTS if self._sharing(part.code).with_supervisor}
