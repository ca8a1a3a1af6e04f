"""SMART EHR launch: the practice's registry of trusted EHRs, the links between their
people and Alliance's, and the two halves of a launch.

A launch is ``launch_begin`` (the EHR must be registered: an unknown ``iss`` is never
followed) and, after the EHR's authorize page, ``launch_finish``: the code is exchanged
with the PKCE verifier, the clinician the EHR names (``fhirUser``) must be linked to the
signed-in person, and the EHR's patient must be linked to a client in their reach. Who is
who is decided by identifiers the practice set, never by a name or a birth date.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from alliance.accounts.models import User
from alliance.care import access
from alliance.ehr.models import Ehr, ExternalIdentifier, IdentifierKind
from alliance.lib import smart_client
from alliance.lib.smart_client import SmartError

# How long the EHR's authorize step may take before the launch must start again.
LAUNCH_SECONDS = 600


class EhrRefused(Exception):
    """A registry change that cannot be made; the message says why."""


def normalise_iss(iss: str) -> str:
    return iss.strip().rstrip("/")


def ehr_register(*, name: str, iss: str, client_id: str, client_secret_env: str = "") -> Ehr:
    iss = normalise_iss(iss)
    if not smart_client.is_allowed_url(iss):
        raise EhrRefused("the FHIR base URL must be https:// (or http:// to this machine)")
    if not client_id.strip():
        raise EhrRefused("the client id is empty")
    if Ehr.objects.filter(name=name).exists() or Ehr.objects.filter(iss=iss).exists():
        raise EhrRefused("an EHR with this name or FHIR base URL is already registered")
    return Ehr.objects.create(
        name=name, iss=iss, client_id=client_id.strip(), client_secret_env=client_secret_env
    )


def ehr_remove(ehr: Ehr) -> None:
    """Removes the EHR and every link to it: it can no longer launch Alliance."""
    ehr.delete()


def ehr_link(*, ehr: Ehr, person: User, kind: IdentifierKind, value: str) -> ExternalIdentifier:
    """Links a client (to the EHR's patient id, or ``system|value``) or a clinician (to
    their ``fhirUser``, e.g. ``Practitioner/123``). One EHR identifier names one person."""
    value = value.strip()
    if not value:
        raise EhrRefused("the identifier is empty")
    if kind == IdentifierKind.PATIENT and not access.is_client(person):
        raise EhrRefused("only a client can be linked to an EHR patient")
    if kind == IdentifierKind.CLINICIAN and not access.may_launch_from_ehr(person):
        raise EhrRefused("only a therapist or a supervisor can be linked to an EHR clinician")
    with transaction.atomic():
        taken = ExternalIdentifier.objects.filter(ehr=ehr, kind=kind, value=value).first()
        if taken is not None:
            raise EhrRefused("this identifier is already linked to someone")
        return ExternalIdentifier.objects.create(ehr=ehr, person=person, kind=kind, value=value)


def ehr_for_iss(iss: str) -> Ehr | None:
    """The registered EHR with exactly this FHIR base URL, if any."""
    return Ehr.objects.filter(iss=normalise_iss(iss)).first() if iss else None


@dataclass(frozen=True)
class PendingLaunch:
    """What the browser's session keeps between the two halves (no health information)."""

    ehr_id: int
    verifier: str
    token_url: str
    redirect_uri: str
    started_at: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PendingLaunch | None:
        try:
            return cls(**data)
        except TypeError:
            return None

    def expired(self) -> bool:
        return not 0 <= time.time() - self.started_at <= LAUNCH_SECONDS


def launch_begin(*, ehr: Ehr, launch: str, redirect_uri: str) -> tuple[str, str, PendingLaunch]:
    """The EHR's authorize URL to send the browser to, the ``state`` it carries, and what
    to keep until the EHR sends the browser back. Raises SmartError("unreachable")."""
    endpoints = smart_client.discover(ehr.iss)
    verifier, challenge = smart_client.pkce_pair()
    state = secrets.token_urlsafe(32)
    url = smart_client.authorize_url(
        endpoints,
        client_id=ehr.client_id,
        redirect_uri=redirect_uri,
        launch=launch,
        iss=ehr.iss,
        state=state,
        challenge=challenge,
    )
    pending = PendingLaunch(ehr.pk, verifier, endpoints.token, redirect_uri, time.time())
    return url, state, pending


def launch_finish(*, user: User, pending: PendingLaunch, code: str) -> int:
    """The id of the client record to open. Raises SmartError with the reason: "token",
    "unreachable", "refused", "unknown_ehr", "clinician" (the EHR's user is not linked to
    this person) or "no_client" (no client in their reach is linked to the EHR's patient:
    the same answer whether or not someone else's client is, so nothing leaks)."""
    ehr = Ehr.objects.filter(pk=pending.ehr_id).first()
    if ehr is None:
        raise SmartError("unknown_ehr")
    grant = smart_client.exchange_code(
        pending.token_url,
        code=code,
        verifier=pending.verifier,
        redirect_uri=pending.redirect_uri,
        client_id=ehr.client_id,
        client_secret=_client_secret(ehr),
        iss=ehr.iss,
    )
    if not access.is_linked_clinician(user, ehr.pk, grant.fhir_user):
        raise SmartError("clinician")
    patient = smart_client.read_resource(ehr.iss, grant.access_token, "Patient", grant.patient)
    keys = smart_client.patient_keys(grant.patient, patient)
    link = ExternalIdentifier.objects.filter(
        ehr=ehr, kind=IdentifierKind.PATIENT, value__in=keys
    ).first()
    if link is None or not access.launch_reaches_client(user, link.person_id):
        raise SmartError("no_client")
    return link.person_id


def _client_secret(ehr: Ehr) -> str:
    """A confidential client's secret, from the environment variable named at registration."""
    if not ehr.client_secret_env:
        return ""
    secret = os.environ.get(ehr.client_secret_env, "")
    if not secret:
        raise SmartError("token")
    return secret
