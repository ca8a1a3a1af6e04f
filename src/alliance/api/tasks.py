"""API tasks run by `alliance worker`."""

from __future__ import annotations

from django_tasks import task
from oauth2_provider.models import AccessToken, Grant, RefreshToken, clear_expired

from alliance.api import bulk


@task()
def clear_expired_oauth_tokens() -> int:
    """Apps' expired access tokens, authorization codes and refresh tokens, removed once they
    can no longer be used (django-oauth-toolkit's ``clear_expired``: a refresh token lives
    REFRESH_TOKEN_EXPIRE_SECONDS, an access token with a live refresh token stays with it).
    Returns how many rows went."""
    before = AccessToken.objects.count() + Grant.objects.count() + RefreshToken.objects.count()
    clear_expired()
    after = AccessToken.objects.count() + Grant.objects.count() + RefreshToken.objects.count()
    return before - after


@task()
def bulk_exports_due() -> dict[str, int]:
    """Exports past their time removed; exports whose task was lost or worker died run
    (``run_bulk_export``, in ``alliance.api.bulk``, runs each at its kick-off)."""
    return bulk.bulk_exports_due()
