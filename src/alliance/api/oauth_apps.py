"""Registering OAuth apps (the practice admin, on the server) and ending a person's grants."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, Grant, RefreshToken

from alliance.accounts.models import User
from alliance.api.oauth import APP_NAME_MAX
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
APP_AUDIT_TYPE = "oauth_app"


class AppError(ValueError):
    """An app Alliance will not register; ``str()`` says why."""


def redirect_uri_problem(uri: str) -> str | None:
    """https, or http to this machine only (a native app's loopback, RFC 8252)."""
    parts = urlsplit(uri)
    if parts.fragment or not parts.hostname:
        return f"{uri!r}: a redirect URI is absolute, with a host and no #fragment"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return f"{uri!r}: a redirect URI must be https (http only for 127.0.0.1 or localhost)"


@transaction.atomic
def oauth_app_create(
    *, actor: User | None, name: str, redirect_uris: list[str], public: bool
) -> tuple[Application, str | None]:
    """A registered app and, for a confidential one, its client secret (shown once)."""
    name = " ".join(name.split())
    if not name or len(name) > APP_NAME_MAX:
        raise AppError(f"an app's name has 1 to {APP_NAME_MAX} characters")
    if Application.objects.filter(name=name).exists():
        raise AppError(f"there already is an app called {name!r}")
    if not redirect_uris:
        raise AppError("give at least one --redirect-uri")
    for uri in redirect_uris:
        problem = redirect_uri_problem(uri)
        if problem is not None:
            raise AppError(problem)
    secret = None if public else generate_client_secret()
    app = Application(
        name=name,
        client_type=Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        client_secret=secret or "",
        algorithm=Application.NO_ALGORITHM,
        skip_authorization=False,
    )
    app.full_clean(exclude=["client_secret"])
    app.save()
    audit_record(
        actor=actor, action=Action.API_TOKEN_CREATED, target_type=APP_AUDIT_TYPE, target_id=app.pk
    )
    return app, secret


@transaction.atomic
def oauth_app_remove(*, actor: User | None, app: Application) -> None:
    """The app is no longer registered: its codes and tokens end with it."""
    audit_record(
        actor=actor, action=Action.API_TOKEN_REVOKED, target_type=APP_AUDIT_TYPE, target_id=app.pk
    )
    app.delete()


@transaction.atomic
def oauth_access_end(*, actor: User, app: Application, context: AuditContext | None = None) -> bool:
    """The person takes back what they gave the app; False when it held nothing."""
    refresh = RefreshToken.objects.filter(user=actor, application=app, revoked__isnull=True)
    access = AccessToken.objects.filter(user=actor, application=app)
    held = refresh.exists() or access.filter(expires__gt=timezone.now()).exists()
    for token in refresh:
        token.revoke()
    AccessToken.objects.filter(user=actor, application=app).delete()
    Grant.objects.filter(user=actor, application=app).delete()
    if held:
        audit_record(
            actor=actor,
            action=Action.API_TOKEN_REVOKED,
            target_type=APP_AUDIT_TYPE,
            target_id=app.pk,
            context=context,
        )
    return held
