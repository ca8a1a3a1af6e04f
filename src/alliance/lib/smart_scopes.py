"""SMART App Launch 2 scopes, as far as Alliance's read-only FHIR API takes them.

A scope is ``<context>/<resource>.<permissions>``
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): ``context`` is
``patient`` (one's own record: a client) or ``user`` (whatever the person may read: a
clinician); ``resource`` a FHIR resource type or ``*``; ``permissions`` the letters of
``cruds`` in that order. Only reading (``r``) and searching (``s``) are offered for now;
a scope asking to create, update or delete is refused, not trimmed, so that nobody
believes they hold a right they do not. Plain Python: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RESOURCE_TYPES = (
    "Patient",
    "QuestionnaireResponse",
    "Observation",
    "EpisodeOfCare",
    "CarePlan",
    "Goal",
    "DetectedIssue",
    "Questionnaire",
)
CONTEXTS = ("patient", "user")
SCOPE = re.compile(
    r"^(?P<context>[a-z]+)/(?P<resource>\*|[A-Z][A-Za-z]+)\.(?P<permissions>[a-z]+)$"
)
PERMISSIONS = re.compile(r"^c?r?u?d?s?$")


class ScopeError(ValueError):
    """A scope Alliance does not grant; ``str()`` says why, for the person asking."""


@dataclass(frozen=True)
class Scope:
    context: str
    resource: str
    permissions: str

    def allows(self, resource: str, permission: str) -> bool:
        return self.resource in ("*", resource) and permission in self.permissions

    def __str__(self) -> str:
        return f"{self.context}/{self.resource}.{self.permissions}"


def parse_scope(text: str) -> Scope:
    match = SCOPE.match(text)
    if match is None:
        raise ScopeError(
            f"{text!r} is not a SMART scope: write it as user/*.rs, patient/*.rs "
            "or user/Observation.rs"
        )
    context, resource, permissions = match["context"], match["resource"], match["permissions"]
    if context not in CONTEXTS:
        raise ScopeError(f"{text!r}: the context must be 'patient' or 'user', not {context!r}")
    if resource != "*" and resource not in RESOURCE_TYPES:
        raise ScopeError(
            f"{text!r}: the API serves {', '.join(RESOURCE_TYPES)} (or * for all of them)"
        )
    if not permissions or PERMISSIONS.match(permissions) is None:
        raise ScopeError(f"{text!r}: permissions are letters of 'cruds', in that order (e.g. rs)")
    if set(permissions) - {"r", "s"}:
        raise ScopeError(
            f"{text!r}: the API only reads for now; ask for .r, .s or .rs (no c, u or d)"
        )
    return Scope(context=context, resource=resource, permissions=permissions)


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """Scopes separated by spaces, all of one context (a token acts for one kind of reader)."""
    scopes = tuple(parse_scope(part) for part in text.split())
    if not scopes:
        raise ScopeError("give at least one scope, e.g. user/*.rs")
    if len({scope.context for scope in scopes}) > 1:
        raise ScopeError("all scopes of one token are either patient/… or user/…, not both")
    return scopes


def scopes_allow(scopes: tuple[Scope, ...], resource: str, permission: str) -> bool:
    return any(scope.allows(resource, permission) for scope in scopes)
