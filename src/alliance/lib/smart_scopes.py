"""SMART App Launch 2 scopes, as far as Alliance's FHIR API takes them.

A scope is ``<context>/<resource>.<permissions>``
(https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html): ``context`` is
``patient`` (one's own record: a client) or ``user`` (whatever the person may read: a
clinician); ``resource`` a FHIR resource type or ``*``; ``permissions`` the letters of
``cruds`` in that order, or SMART v1's ``read`` (``rs``) and ``write`` (``cu``). Reading
(``r``) and searching (``s``) are offered everywhere. Creating (``c``) and updating
(``u``) are offered to staff (``user/…``), for the JSON API's writes (``alliance.web.api_v1``:
acknowledging an alert is ``DetectedIssue.u``, asking for a questionnaire ``Task.c``); a
client (``patient/…``) creates one thing, their answers to a check-in
(``QuestionnaireResponse.c``, or ``*.c``), and updates nothing. Deleting (``d``)
nowhere. A scope asking for more is refused, not trimmed, so that nobody believes they
hold a right they do not. Plain Python: no Django.
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
    # A check-in asked of a client; the JSON API (/api/v1/) creates them (Task.c).
    "Task",
)
# What a client's token (patient/…) may create: their answers to a check-in.
PATIENT_CREATES = ("*", "QuestionnaireResponse")
# SMART v1 permission words and the v2 letters they stand for (no deleting here).
V1_PERMISSIONS = {"read": "rs", "write": "cu"}
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
    permissions = V1_PERMISSIONS.get(permissions, permissions)
    if resource != "*" and resource not in RESOURCE_TYPES:
        raise ScopeError(
            f"{text!r}: the API serves {', '.join(RESOURCE_TYPES)} (or * for all of them)"
        )
    if not permissions or PERMISSIONS.match(permissions) is None:
        raise ScopeError(f"{text!r}: permissions are letters of 'cruds', in that order (e.g. rs)")
    if "d" in permissions:
        raise ScopeError(f"{text!r}: the API deletes nothing; ask for .rs, or .crus (no d)")
    if context == "patient" and "u" in permissions:
        raise ScopeError(
            f"{text!r}: a client's token only reads, and sends answers "
            "(QuestionnaireResponse.c); ask for .rs or .crs (no u)"
        )
    if context == "patient" and "c" in permissions and resource not in PATIENT_CREATES:
        raise ScopeError(
            f"{text!r}: a client's token only reads, and sends answers "
            "(QuestionnaireResponse.c); it creates no other resource"
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
