"""The practice admin's form to register an alert webhook."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.webhooks.models import WebhookEvent


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(
        label=_("Address (https://…)"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        initial=WebhookEvent.values,
        widget=forms.CheckboxSelectMultiple,
    )
