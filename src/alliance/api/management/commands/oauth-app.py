from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.models import Application

from alliance.api.oauth_apps import AppError, oauth_app_create, oauth_app_remove


class Command(BaseCommand):
    help = (
        "Apps that may ask people for access to the FHIR API (OAuth 2.0, SMART App Launch "
        "2; the practice admin registers them). `create NAME --redirect-uri URI [--public]` "
        "prints the client id and, for a confidential app, its secret once; `list`; "
        "`revoke CLIENT_ID` removes the app and every token it holds. Redirect URIs are "
        "https, or http://127.0.0.1 / http://localhost for native apps."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="register an app")
        create.add_argument("name", help="the name people see when the app asks them")
        create.add_argument(
            "--redirect-uri", action="append", required=True, help="where codes go (repeatable)"
        )
        create.add_argument(
            "--public", action="store_true", help="no secret (a native or browser app; PKCE)"
        )
        commands.add_parser("list", help="the registered apps")
        revoke = commands.add_parser("revoke", help="remove an app and its tokens")
        revoke.add_argument("client_id", help="the app's client id")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "create":
            self._create(options["name"], options["redirect_uri"], options["public"])
        elif options["command"] == "list":
            for app in Application.objects.order_by("name"):
                self.stdout.write(
                    f"{app.client_id}  {app.name}  {app.client_type}  {app.redirect_uris}"
                )
        else:
            app = Application.objects.filter(client_id=options["client_id"]).first()
            if app is None:
                raise CommandError(f"No app with the client id {options['client_id']}.")
            oauth_app_remove(actor=None, app=app)
            self.stdout.write(f"The app {app.name} is removed; its tokens no longer work.")

    def _create(self, name: str, redirect_uris: list[str], public: bool) -> None:
        try:
            app, secret = oauth_app_create(
                actor=None, name=name, redirect_uris=redirect_uris, public=public
            )
        except AppError as refused:
            raise CommandError(f"No app registered: {refused}.") from None
        kind = "public" if public else "confidential"
        self.stdout.write(f"App {app.name} registered ({kind}). Client id:")
        self.stdout.write(app.client_id)
        if secret is not None:
            self.stdout.write("Client secret, shown only now (only its hash is kept):")
            self.stdout.write(secret)
