"""Confirming an erasure: the admin types the person's e-mail address (no JavaScript needed)."""

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
