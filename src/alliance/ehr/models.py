"""The EHRs a practice trusts to launch Alliance (SMART App Launch), and how their
patients and clinicians are linked to people in Alliance.

An EHR's client secret is never stored: ``client_secret_env`` names the environment
variable that holds it on the server (empty for a public client, which has PKCE only).
People are linked by an identifier the practice sets (``alliance ehr link-client`` /
``link-clinician``), never by name or birth date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Ehr(models.Model):
    name = models.SlugField(_("name"), max_length=50, unique=True)
    iss = models.URLField(_("FHIR base URL"), max_length=500, unique=True)
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret_env = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdentifierKind(models.TextChoices):
    # The EHR's patient id, or one of its identifiers as "system|value".
    PATIENT = "patient", _("patient")
    # The clinician's fhirUser, e.g. "Practitioner/123".
    CLINICIAN = "clinician", _("clinician")


class ExternalIdentifier(models.Model):
    """One person in Alliance as one EHR knows them."""

    ehr = models.ForeignKey(Ehr, on_delete=models.CASCADE, related_name="identifiers")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identifiers"
    )
    kind = models.CharField(max_length=10, choices=IdentifierKind.choices)
    value = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ehr", "kind", "value"], name="ehr_identifier_names_one_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} identifier {self.pk} in {self.ehr_id}"
