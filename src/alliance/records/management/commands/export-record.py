from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from alliance.accounts.models import User
from alliance.care import access
from alliance.records.selectors import pending_copy_request
from alliance.records.services import (
    CopyRefused,
    record_copy_for_request,
    record_copy_without_request,
)


class Command(BaseCommand):
    help = (
        "Write a client's whole record to a ZIP, for the copy they asked the practice for "
        "(About me → Your record): record.fhir.json (a FHIR R4B Bundle), record.html (a "
        "readable copy in their language) and README.txt. Like the practice admin, this "
        "fulfils their pending request, once, and leaves out what they kept private unless "
        "they asked for everything. Audited, and shown to the client."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the client's e-mail address")
        parser.add_argument(
            "-o", "--output", required=True, help="where to write it, e.g. record.zip"
        )
        parser.add_argument("--force", action="store_true", help="replace the file if it exists")
        parser.add_argument(
            "--without-request",
            action="store_true",
            help=(
                "make a copy the client has not asked for (a duty outside the app, such as a "
                "court order); it leaves out what they kept private unless --everything, and "
                "it is listed on their record page and in who has seen their record"
            ),
        )
        parser.add_argument(
            "--everything",
            action="store_true",
            help="with --without-request: include what the client kept private",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip()
        path = Path(options["output"])
        without_request = bool(options["without_request"])
        if options["everything"] and not without_request:
            raise CommandError(
                "--everything goes with --without-request only: for a request, the client "
                "chose what the copy holds."
            )
        client = User.objects.filter(email__iexact=email).first()
        if client is None:
            raise CommandError(f"No account has the e-mail address {email}.")
        if not access.is_client(client):
            raise CommandError(
                f"{email} is a member of staff, not a client: only a client's record is exported."
            )
        if not without_request and pending_copy_request(client) is None:
            raise CommandError(
                f"Client #{client.pk} has not asked the practice for a copy, so none is made. "
                "They ask from About me → Your record. For a duty outside the app, add "
                "--without-request (the client is shown the copy)."
            )
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} already exists; choose another name or add --force.")
        self.stderr.write(f"Reading the record of client #{client.pk}…")
        # One transaction with the file: if it cannot be written, the request still waits.
        with transaction.atomic():
            try:
                if without_request:
                    archive, made = record_copy_without_request(
                        client=client, everything=bool(options["everything"])
                    )
                else:
                    archive, made = record_copy_for_request(actor=None, client=client)
            except CopyRefused as error:
                raise CommandError(str(error)) from None
            self.stderr.write(f"Writing {path}…")
            # Readable by the owner only: it holds health information.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(archive)
        holds = (
            "everything, also what they kept private"
            if made.everything
            else "everything but what they kept private"
        )
        self.stdout.write(
            f"The record of client #{client.pk} is in {path} ({len(archive):,} bytes; "
            f"{holds}). It holds health information: keep it private and give it only to them."
        )
