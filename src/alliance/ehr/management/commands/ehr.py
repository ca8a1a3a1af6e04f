from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.accounts.models import User
from alliance.ehr.models import Ehr, ExternalIdentifier, IdentifierKind
from alliance.ehr.services import EhrRefused, ehr_link, ehr_register, ehr_remove


class Command(BaseCommand):
    help = (
        "The EHRs that may launch Alliance (SMART App Launch) and who is who in them. "
        "`add NAME --iss URL --client-id ID [--client-secret-env VAR]` registers one (the "
        "secret stays in the environment variable VAR, never in the database); `list`; "
        "`remove NAME`; `link-client EMAIL --ehr NAME --patient-id ID` (the EHR's patient id, "
        "or an identifier as system|value); `link-clinician EMAIL --ehr NAME --fhir-user "
        "Practitioner/ID`; `unlink ID`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        add = commands.add_parser("add", help="register an EHR")
        add.add_argument("name")
        add.add_argument("--iss", required=True, help="the EHR's FHIR base URL (https://)")
        add.add_argument("--client-id", required=True, help="Alliance's client id at the EHR")
        add.add_argument("--client-secret-env", default="", help="env variable with the secret")
        commands.add_parser("list", help="the registered EHRs and their links")
        remove = commands.add_parser("remove", help="remove an EHR and its links")
        remove.add_argument("name")
        client = commands.add_parser("link-client", help="link a client to an EHR patient")
        client.add_argument("email")
        client.add_argument("--ehr", required=True)
        client.add_argument("--patient-id", required=True)
        clinician = commands.add_parser("link-clinician", help="link a clinician to a fhirUser")
        clinician.add_argument("email")
        clinician.add_argument("--ehr", required=True)
        clinician.add_argument("--fhir-user", required=True, help="e.g. Practitioner/123")
        unlink = commands.add_parser("unlink", help="remove one link by its id")
        unlink.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, "_" + options["command"].replace("-", "_"))(options)
        except EhrRefused as refused:
            raise CommandError(f"Nothing changed: {refused}.") from None

    def _add(self, options: dict[str, Any]) -> None:
        ehr = ehr_register(
            name=options["name"],
            iss=options["iss"],
            client_id=options["client_id"],
            client_secret_env=options["client_secret_env"],
        )
        self.stdout.write(f"EHR {ehr.name} registered: {ehr.iss}")

    def _list(self, options: dict[str, Any]) -> None:
        for ehr in Ehr.objects.all():
            secret = f", secret in ${ehr.client_secret_env}" if ehr.client_secret_env else ""
            self.stdout.write(f"{ehr.name}: {ehr.iss} (client id {ehr.client_id}{secret})")
            for link in ehr.identifiers.select_related("person").order_by("kind", "pk"):
                self.stdout.write(f"  {link.pk}: {link.kind} {link.value} -> {link.person.email}")

    def _remove(self, options: dict[str, Any]) -> None:
        ehr_remove(self._ehr(options["name"]))
        self.stdout.write(f"EHR {options['name']} removed, with its links.")

    def _link_client(self, options: dict[str, Any]) -> None:
        self._link(options, IdentifierKind.PATIENT, options["patient_id"])

    def _link_clinician(self, options: dict[str, Any]) -> None:
        self._link(options, IdentifierKind.CLINICIAN, options["fhir_user"])

    def _link(self, options: dict[str, Any], kind: IdentifierKind, value: str) -> None:
        ehr = self._ehr(options["ehr"])
        person = User.objects.filter(email__iexact=options["email"].strip()).first()
        if person is None or not person.is_active:
            raise CommandError(f"No active account with the address {options['email']}.")
        link = ehr_link(ehr=ehr, person=person, kind=kind, value=value)
        self.stdout.write(f"Link {link.pk}: {kind} {link.value} in {ehr.name} -> {person.email}")

    def _unlink(self, options: dict[str, Any]) -> None:
        deleted, _ = ExternalIdentifier.objects.filter(pk=options["id"]).delete()
        if not deleted:
            raise CommandError(f"No link {options['id']}.")
        self.stdout.write(f"Link {options['id']} removed.")

    def _ehr(self, name: str) -> Ehr:
        ehr = Ehr.objects.filter(name=name).first()
        if ehr is None:
            raise CommandError(f"No EHR named {name}.")
        return ehr
