"""Crisis resources by country, shown whenever a response trips a risk item.

Source: the project's clinical reference (shared/clinical/CRISIS_LINES.md). Entries
marked ``confirmed=False`` were not confirmed against the service's own page when
this table was written; check every release and update ``CHECKED_ON``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from alliance.accounts.models import User

CHECKED_ON = "2026-11-25"


@dataclass(frozen=True)
class Line:
    name: str | Promise  # a service's own name stays as it is; a description is translated
    how: str | Promise  # what to do: "call 988", _("text HOME to 741741")
    tel: str = ""  # digits for a tel: link, when calling is the way
    confirmed: bool = True


@dataclass(frozen=True)
class CountryResources:
    code: str
    name: str | Promise  # in the reader's language, through gettext
    emergency: str | Promise
    emergency_tel: str
    lines: tuple[Line, ...]
    note: str = ""


RESOURCES: dict[str, CountryResources] = {
    "US": CountryResources(
        "US",
        _("United States"),
        "911",
        "911",
        (
            Line("988 Suicide & Crisis Lifeline", _("call or text 988, or chat online"), "988"),
            Line("Crisis Text Line", _("text HOME to 741741"), confirmed=False),
        ),
    ),
    "CA": CountryResources(
        "CA",
        _("Canada"),
        "911",
        "911",
        (
            Line(
                "9-8-8 Suicide Crisis Helpline",
                _("call or text 988, in English or French, 24/7"),
                "988",
            ),
        ),
    ),
    "GB": CountryResources(
        "GB",
        _("United Kingdom"),
        "999",
        "999",
        (
            Line("Samaritans", _("call 116 123"), "116123"),
            Line("NHS 111 (England)", _("call 111 and choose option 2 for mental health"), "111"),
            Line("Shout", _("text SHOUT to 85258"), confirmed=False),
        ),
    ),
    "IE": CountryResources(
        "IE",
        _("Ireland"),
        _("112 or 999"),
        "112",
        (
            Line("Samaritans", _("call 116 123"), "116123"),
            Line("Pieta", _("call 1800 247 247"), "1800247247", confirmed=False),
            Line(_("Text line"), _("text 50808"), confirmed=False),
        ),
    ),
    "AU": CountryResources(
        "AU",
        _("Australia"),
        "000",
        "000",
        (
            Line("Lifeline", _("call 13 11 14"), "131114", confirmed=False),
            Line(
                "Suicide Call Back Service", _("call 1300 659 467"), "1300659467", confirmed=False
            ),
        ),
    ),
    "ES": CountryResources(
        "ES",
        _("Spain"),
        "112",
        "112",
        (
            Line(
                "Línea 024",
                _("call 024 (suicidal behaviour helpline)"),
                "024",
                confirmed=False,
            ),
        ),
    ),
    "MX": CountryResources(
        "MX",
        _("Mexico"),
        "911",
        "911",
        (Line("Línea de la Vida", _("call 800 911 2000"), "8009112000", confirmed=False),),
    ),
}

# The names are translated when shown (lazily), so one list serves every language.
COUNTRY_CHOICES = [(code, resources.name) for code, resources in RESOURCES.items()]


def resources_for_person(person: User) -> CountryResources | None:
    """The resources for where this person is: their own country, else the practice's."""
    return resources_for(person.country or settings.PRACTICE_COUNTRY)


def resources_for(country: str) -> CountryResources | None:
    """The resources for a country, or None: the page then gives the emergency advice only."""
    return RESOURCES.get(country.upper()) if country else None
