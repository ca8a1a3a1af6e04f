"""What an OAuth app asks for, in plain words, and the apps a person has let in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from oauth2_provider.models import Application

from alliance.api.oauth import LAUNCH_PATIENT, OFFLINE_ACCESS
from alliance.lib.smart_scopes import ScopeError, parse_scope


def _what(resource: str) -> str:
    return {
        "*": _("everything in the record"),
        "Patient": _("the personal details (name, date of birth)"),
        "Observation": _("the questionnaire scores"),
        "QuestionnaireResponse": _("the questionnaire answers"),
    }.get(resource, resource)


def scope_line(scope: str) -> str:
    """One scope as a sentence the person can judge."""
    if scope == OFFLINE_ACCESS:
        return _(
            "Keep this access while you are away, until you take it back (without this, "
            "it ends after 15 minutes)."
        )
    if scope == LAUNCH_PATIENT:
        return _("Know whose record it is working on (yours).")
    try:
        parsed = parse_scope(scope)
    except ScopeError:
        return scope
    if parsed.context == "patient":
        read = _("Read your own record: %(what)s.") % {"what": _what(parsed.resource)}
        send = _("Send your answers to the check-ins asked of you.")
        if "c" not in parsed.permissions:
            return read
        return f"{read} {send}" if set(parsed.permissions) & {"r", "s"} else send
    return _("Read the records of the clients you may see here: %(what)s.") % {
        "what": _what(parsed.resource)
    }


def scope_lines(scopes: Iterable[str]) -> list[str]:
    return [scope_line(scope) for scope in scopes]


@dataclass(frozen=True)
class AppRow:
    pk: int
    name: str


def app_rows(apps: Iterable[Application]) -> list[AppRow]:
    return [AppRow(pk=app.pk, name=app.name) for app in apps]
