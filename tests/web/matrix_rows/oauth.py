"""Access-matrix rows for OAuth apps (SMART App Launch 2).

The authorize page is a signed-in page (signed out: to the sign-in page); without an
app's request it has nothing to ask (400). The token and revocation endpoints are the
apps', cookie-less: a browser session changes nothing (POST without credentials: 400 or
401; GET: 405). Who reaches what with an app's token: tests/api/test_oauth.py.
"""

from __future__ import annotations

from typing import Any

from tests.web.matrix import Rows, everyone, only, signed_in


def _dana_app(cast: Any) -> int:
    """An app Dana let read her record (a live access token)."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from alliance.api.oauth_apps import oauth_app_create

    app, _secret = oauth_app_create(
        actor=None, name="Matrix App", redirect_uris=["https://app.example.test/cb"], public=True
    )
    AccessToken.objects.create(
        user=cast.dana,
        application=app,
        token="matrix-token",
        scope="patient/*.rs",
        expires=timezone.now() + timedelta(minutes=15),
    )
    return int(app.pk)


ROWS: Rows = {
    "smart_configuration": (None, {"GET": everyone(200), "POST": everyone(405)}),
    "oauth_authorize": (None, {"GET": signed_in(400), "POST": signed_in(200)}),
    "oauth_token": (None, {"GET": everyone(405), "POST": everyone(400)}),
    "oauth_revoke": (None, {"GET": everyone(405), "POST": everyone(400)}),
    "oauth_apps": (None, {"GET": signed_in(200), "POST": signed_in(405)}),
    # Dana's app: only she may take its access back; for everyone else it does not exist.
    "oauth_app_revoke": (
        lambda c, r: {"app_id": _dana_app(c)},
        {"GET": signed_in(405), "POST": only({"client": 302})},
    ),
}
