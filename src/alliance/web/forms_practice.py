"""Filters for the admin's People page and audit log (GET forms: nothing changes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import Role, User
from alliance.audit.models import Action


class PeopleSearchForm(forms.Form):
    # A typed name travels in the query string. We accept that here: the admin already sees
    # every account on this page, the Referrer-Policy is same-origin, and `alliance serve`
    # never writes a query string to its access log (server.py). The audit log, whose URLs
    # are about what happened to someone's record, takes people from a list instead.
    q = forms.CharField(label=_("Name or e-mail"), required=False, max_length=100)
    role = forms.ChoiceField(
        label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices]
    )


def _person_choices(people: Any, anyone: str) -> list[tuple[str, str]]:
    return [("", anyone)] + [
        (str(p.pk), f"{p.display_name} ({p.get_role_display()})") for p in people
    ]


class AuditFilterForm(forms.Form):
    """Who, what, on whose record, when: people are chosen from a list, so the URL carries
    only account numbers (the audit log already shows a client's record as '#12')."""

    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=_("What"), required=False)
    client = forms.TypedChoiceField(
        label=_("Client record"), required=False, coerce=int, empty_value=None
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = User.objects.order_by("role", "preferred_name", "pk")
        self.fields["actor"].choices = _person_choices(everyone, str(_("Anyone")))  # type: ignore[attr-defined]
        self.fields["client"].choices = _person_choices(  # type: ignore[attr-defined]
            everyone.filter(role=Role.CLIENT), str(_("Any client"))
        )
        self.fields["action"].choices = [("", _("Any action")), *Action.choices]  # type: ignore[attr-defined]
