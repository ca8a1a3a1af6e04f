from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.accounts.models import Role, User
from alliance.records.services import record_export


class Command(BaseCommand):
    help = (
        "Write a client's whole record to a ZIP: record.fhir.json (a FHIR R4B Bundle), "
        "record.html (a readable copy in their language) and README.txt. Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the client's e-mail address")
        parser.add_argument(
            "-o", "--output", required=True, help="where to write it, e.g. record.zip"
        )
        parser.add_argument("--force", action="store_true", help="replace the file if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip()
        path = Path(options["output"])
        client = User.objects.filter(email__iexact=email).first()
        if client is None:
            raise CommandError(f"No account has the e-mail address {email}.")
        if client.role != Role.CLIENT:
            raise CommandError(
                f"{email} is a member of staff, not a client: only a client's record is exported."
            )
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} already exists; choose another name or add --force.")
        self.stderr.write(f"Reading the record of client #{client.pk}…")
        archive = record_export(actor=None, client=client)
        self.stderr.write(f"Writing {path}…")
        # Readable by the owner only: it holds health information.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(archive)
        self.stdout.write(
            f"The record of client #{client.pk} is in {path} ({len(archive):,} bytes). "
            "It holds health information: keep it private and give it only to them."
        )
