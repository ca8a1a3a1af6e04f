"""Forms: they check input and say what is wrong in plain words; services do the writing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from alliance.accounts.models import Language, Role, User
from alliance.accounts.names import person_name
from alliance.instruments.names import Offered, formal_name, offered_in
from alliance.localtime import practice_zone_name, zone_choices, zone_label
from alliance.safety.crisis import COUNTRY_CHOICES

PRONOUN_SUGGESTIONS = ["she/her", "he/him", "they/them", "she/they", "he/they"]


def time_zone_choices() -> list[tuple[str, Any]]:
    practice = _("The practice's time zone (%(zone)s)") % {"zone": zone_label(practice_zone_name())}
    return [("", practice), *zone_choices()]


def your_time_zone() -> str:
    """Help text for a date and time typed into a form: Django reads it in the current zone."""
    return _("In your time zone (%(zone)s).") % {
        "zone": zone_label(timezone.get_current_timezone_name())
    }


class ProfileForm(forms.Form):
    preferred_name = forms.CharField(
        label=_("Preferred name"),
        max_length=100,
        help_text=_("The name you would like us to use when we address you."),
    )
    pronouns = forms.CharField(
        label=_("Pronouns"),
        max_length=40,
        required=False,
        help_text=_("For example she/her, he/him or they/them. Leave empty if you prefer."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=[("", _("The practice's country")), *COUNTRY_CHOICES, ("ZZ", _("Another country"))],
        help_text=_("So that we can show you the right crisis lines if you ever need them."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=time_zone_choices,
        help_text=_("Every date and time is shown in it, in e-mails too."),
    )
    reminders_enabled = forms.BooleanField(
        label=_("E-mail reminders"),
        required=False,
        help_text=_(
            "A short e-mail the day before a session and when a check-in is waiting. It never "
            "says anything about your health or your answers."
        ),
    )

    def clean_preferred_name(self) -> str:
        return person_name(self.cleaned_data["preferred_name"])

    def clean_pronouns(self) -> str:
        return person_name(self.cleaned_data["pronouns"], required=False)


class AcceptInvitationForm(ProfileForm):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Type the password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            probe = User(email=self.email, preferred_name=data.get("preferred_name", ""))
            try:
                password_validation.validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


def language_name(code: str) -> str:
    try:
        return str(Language(code).label)
    except ValueError:
        return code


class ClientLanguageCheck(forms.Form):
    """A questionnaire the client cannot answer in their own language is named on the form,
    and saved only once the clinician has said to send it in English anyway.

    ``in_english`` is the confirmation; its label is set by each form. ``not_in_language``
    lists the choices with no version in the client's language (none for a client who reads
    English), and marks them in the choices.
    """

    in_english = forms.BooleanField(
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "language-notice"}),
    )

    def __init__(
        self, *args: Any, instruments: Sequence[Offered], client_language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client_language = language_name(client_language)
        self.not_in_language = [i for i in instruments if not offered_in(i, client_language)]
        missing = {i.id for i in self.not_in_language}
        language = translation.get_language() or settings.LANGUAGE_CODE
        self.instrument_choices = [
            (
                i.id,
                _("%(title)s — English only") % {"title": formal_name(i, language)}
                if i.id in missing
                else formal_name(i, language),
            )
            for i in instruments
        ]

    def check_language(self, chosen: list[str]) -> None:
        """Stop the save while a chosen questionnaire would reach the client in English."""
        english = [i for i in self.not_in_language if i.id in chosen]
        if english and not self.cleaned_data.get("in_english"):
            self.add_error(
                "in_english",
                _(
                    "%(titles)s: no version in the client's language (%(language)s), so the "
                    "client would answer in English. Tick the box to go ahead, or choose "
                    "another questionnaire."
                )
                % {
                    "titles": ", ".join(i.title for i in english),
                    "language": self.client_language,
                },
            )


class AskQuestionnaireForm(ClientLanguageCheck):
    instrument = forms.ChoiceField(label=_("Questionnaire"))
    due_at = forms.DateTimeField(
        label=_("Due by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    field_order = ["instrument", "due_at", "in_english"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instrument"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = self.instrument_choices
        self.fields["in_english"].label = _("Send it in English anyway")
        self.fields["due_at"].help_text = your_time_zone()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("instrument"):
            self.check_language([data["instrument"]])
        return data


class ScheduleForm(ClientLanguageCheck):
    before_session = forms.MultipleChoiceField(
        label=_("Before each session"), required=False, widget=forms.CheckboxSelectMultiple
    )
    after_session = forms.MultipleChoiceField(
        label=_("After each session"), required=False, widget=forms.CheckboxSelectMultiple
    )
    weekly = forms.MultipleChoiceField(
        label=_("Every week"), required=False, widget=forms.CheckboxSelectMultiple
    )
    client_sees_progress = forms.BooleanField(
        label=_("Show the client their own progress chart"), required=False
    )
    field_order = ["before_session", "after_session", "weekly", "client_sees_progress"]
    WHEN = ("before_session", "after_session", "weekly")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.WHEN:
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = self.instrument_choices
        self.fields["in_english"].label = _("Ask for them in English anyway")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Only what this save adds is questioned: what was already asked for stays as it is.
        before = {i for name in self.WHEN for i in self.initial.get(name) or []}
        added = {i for name in self.WHEN for i in data.get(name) or []} - before
        self.check_language(sorted(added))
        return data


class AlertNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text=_("What you did or will do. Kept encrypted; seen by the care team only."),
    )


class InviteClientForm(forms.Form):
    email = forms.EmailField(label=_("Client's e-mail address"))
    supervisor = forms.ModelChoiceField(
        label=_("Supervisor"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("No supervisor"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["supervisor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(role=Role.SUPERVISOR, is_active=True)


class InviteStaffForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(r.value, r.label) for r in (Role.THERAPIST, Role.SUPERVISOR, Role.ADMIN)],
    )


class SessionForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read in the current zone, which is the person's own (UserLanguageMiddleware).
        self.fields["starts_at"].help_text = your_time_zone()

    def clean_starts_at(self) -> Any:
        value = self.cleaned_data["starts_at"]
        if value.year < 2000 or value > timezone.now() + timedelta(days=730):
            raise forms.ValidationError(_("Please enter a date within the next two years."))
        return value
