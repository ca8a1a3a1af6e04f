from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.accounts.models import User
from alliance.api.models import ApiToken
from alliance.api.services import DEFAULT_DAYS, api_token_create, api_token_revoke
from alliance.lib.smart_scopes import ScopeError


class Command(BaseCommand):
    help = (
        "Personal API tokens for the FHIR API (/fhir/R4/). `create EMAIL --scope S` makes "
        "one and prints it once, alone on the last line (only its hash is kept); "
        "`revoke ID` ends one. Scopes are SMART App Launch 2, read only: a client's "
        "patient/*.rs (their own record), a member of staff's user/*.rs or "
        "user/Observation.rs (what they may read on the web)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="make a token for a person")
        create.add_argument("email", help="the person's e-mail address")
        create.add_argument("--scope", required=True, help='e.g. "user/*.rs" or "patient/*.rs"')
        create.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"how long it lasts ({DEFAULT_DAYS})"
        )
        revoke = commands.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("id", type=int, help="the token's id (printed when it was made)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "create":
            self._create(str(options["email"]).strip(), options["scope"], options["days"])
        else:
            self._revoke(options["id"])

    def _create(self, email: str, scope: str, days: int) -> None:
        owner = User.objects.filter(email__iexact=email).first()
        if owner is None or not owner.is_active:
            raise CommandError(f"No active account with the address {email}.")
        try:
            token, raw = api_token_create(actor=None, owner=owner, scope=scope, days=days)
        except ScopeError as refused:
            raise CommandError(f"No token made: {refused}.") from None
        self.stdout.write(
            f"API token {token.pk} ({token.label}) for {owner.email}, scope {token.scope}, "
            f"until {token.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only now:"
        )
        self.stdout.write(raw)

    def _revoke(self, token_id: int) -> None:
        token = ApiToken.objects.filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"No API token {token_id}.")
        if api_token_revoke(actor=None, token=token):
            self.stdout.write(f"API token {token.pk} ({token.label}) is revoked.")
        else:
            self.stdout.write(f"API token {token.pk} ({token.label}) was already revoked.")
