"""Forms about the whole record: the client's request for a copy, and confirming an
erasure (the admin types the person's e-mail address; no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class ErasureConfirmForm(forms.Form):
    email = forms.CharField(
        label=_("Type this person's e-mail address to confirm"),
        max_length=254,
        help_text=_("Erasing cannot be undone."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, expected: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_email(self) -> str:
        typed = str(self.cleaned_data["email"]).strip()
        if typed.lower() != self.expected.lower():
            raise forms.ValidationError(
                _("That is not this person's e-mail address. Nothing was erased.")
            )
        return typed


class CopyRequestForm(forms.Form):
    """What the copy the client asks the practice for holds; private parts stay out unless
    the client says otherwise."""

    contents = forms.ChoiceField(
        label=_("What should the copy hold?"),
        choices=[
            ("without_private", _("Everything except what I kept private")),
            ("everything", _("Everything, also what I kept private")),
        ],
        initial="without_private",
        widget=forms.RadioSelect,
        help_text=_(
            "What you kept private: exercise entries, parts of your cultural profile and "
            "versions of your preferences that you did not share with your therapist."
        ),
        error_messages={"required": _("Please choose what the copy should hold.")},
    )

    @property
    def everything(self) -> bool:
        return self.cleaned_data.get("contents") == "everything"
