from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.accounts.models import User
from alliance.records.erasure import ErasureRefused, client_erase, erasure_refusal


class Command(BaseCommand):
    help = (
        "Erase a client's whole record at their request, for good: every row about them and "
        "their account. The audit log keeps its entries (ids and times, no content). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the client's e-mail address")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        email = str(options["email"]).strip()
        client = User.objects.filter(email__iexact=email).first()
        if client is None:
            raise CommandError(f"No account has the e-mail address {email}.")
        refusal = erasure_refusal(client)
        if refusal:
            raise CommandError(refusal)
        if not options["yes"]:
            typed = input(
                f"This erases everything about client #{client.pk} for good; it cannot be "
                "undone. Type their e-mail address again to go ahead: "
            )
            if typed.strip().lower() != client.email.lower():
                raise CommandError("Not confirmed: nothing was erased.")
        self.stderr.write(f"Erasing the record of client #{client.pk}…")
        try:
            result = client_erase(actor=None, client=client)
        except ErasureRefused as error:
            raise CommandError(str(error)) from None
        for kind, count in result.removed.items():
            self.stderr.write(f"  {count:>6} {kind}")
        erasure = result.erasure
        self.stdout.write(
            f"Client #{erasure.client_id} is erased. The audit log keeps its entries about "
            f"#{erasure.client_id} (no content), held until {erasure.audit_kept_until}."
        )
        if not result.compacted:
            self.stderr.write(
                "The database file could not be compacted now; erased bytes may remain on "
                "disk until `VACUUM; PRAGMA wal_checkpoint(TRUNCATE);` runs (SECURITY.md)."
            )
