"""The safety plan form: one textarea per step, one entry per line (no JavaScript needed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from alliance.safety.steps import STEPS


class SafetyPlanForm(forms.Form):
    # The version this edit started from: a save on top of a newer one is refused.
    based_on = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for step in STEPS:
            self.fields[step.key] = forms.CharField(
                label=format_lazy("{}. {}", step.number, step.title),
                help_text=format_lazy(
                    "{} {} {}", step.prompt, _("Write one thing per line."), step.example
                ),
                required=False,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "based_on" in self.errors:
            # A hidden field shows no error of its own: say it where people can read it.
            raise forms.ValidationError(
                _("This form is missing a part it needs. Please reload the page and try again.")
            )
        return cleaned

    def steps(self) -> dict[str, list[str]]:
        """Each step's lines; the service trims them and leaves out empty ones."""
        return {step.key: self.cleaned_data.get(step.key, "").splitlines() for step in STEPS}

    @staticmethod
    def initial_from(steps: dict[str, list[str]], based_on: int) -> dict[str, Any]:
        return {"based_on": based_on, **{key: "\n".join(lines) for key, lines in steps.items()}}
