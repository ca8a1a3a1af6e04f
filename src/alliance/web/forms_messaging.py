"""Forms of secure messaging: they check input; the services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from alliance.messaging.services import MAX_AUTO_REPLY, MAX_BODY


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        # No maxlength attribute: a browser would cut the text silently; the server says why.
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Please write a message before sending.")},
    )

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        length = len(body.replace("\r\n", "\n"))
        if length > MAX_BODY:
            raise forms.ValidationError(
                _(
                    "Messages can be up to %(limit)s characters; this one has %(length)s. "
                    "Please shorten it or send it in two parts."
                )
                % {"limit": f"{MAX_BODY:,}", "length": f"{length:,}"}
            )
        return body


class OfficeHoursForm(forms.Form):
    days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        coerce=int,
        choices=[(number, name) for number, name in WEEKDAYS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day.")},
    )
    starts_at = forms.TimeField(
        label=_("From"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Please give the time your office hours start.")},
    )
    ends_at = forms.TimeField(
        label=_("To"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Please give the time your office hours end.")},
        help_text=_("If this is earlier than the start, the hours run past midnight."),
    )
    auto_reply = forms.CharField(
        label=_("Automatic reply outside office hours"),
        required=False,
        max_length=MAX_AUTO_REPLY,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Leave empty to use the standard reply, shown in each client's own language. "
            "Crisis help is always shown under the reply."
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and starts == ends:
            self.add_error(
                "ends_at", _("The hours need to end at a different time than they start.")
            )
        return cleaned
