"""Two-factor sign-in: who must have it, and the demo's known authenticator secrets.

allauth.mfa does the work (TOTP, recovery codes, WebAuthn); this module only says what
Alliance requires of it.
"""

from __future__ import annotations

import base64
import hashlib
import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction
from django.http import HttpRequest

from alliance.accounts.models import User

# Either of these proves a second factor at sign-in; recovery codes only stand in for one.
SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def mfa_required(user: User) -> bool:
    """Every staff role must sign in with a second factor; for clients it is a choice."""
    return user.is_staff_member


def has_second_factor(user: User) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTORS).exists()


def signed_in_with_second_factor(request: HttpRequest, user: User) -> bool:
    """Whether this session's sign-in used an app or a security key (allauth records it).

    That proves a second factor without a query; a session that did not (one set up just
    now, or a recovery code) asks ``has_second_factor``.
    """
    return any(
        record.get("method") == "mfa" and record.get("type") in SECOND_FACTORS
        for record in get_authentication_records(request, user)
    )


def reauthenticated_with_second_factor(request: HttpRequest, user: User) -> bool:
    """Whether this person confirmed who they are with a second factor just now.

    allauth records each re-authentication in the session: one by an authenticator app,
    a security key or a recovery code (which stands in for the app it replaces) must be
    within ``ACCOUNT_REAUTHENTICATION_TIMEOUT``. Typing the password again, or the
    sign-in itself, does not count.
    """
    from allauth.account import app_settings

    confirmed = [
        record
        for record in get_authentication_records(request, user)
        if record.get("reauthenticated") and record.get("method") == "mfa"
    ]
    if not confirmed:
        return False
    return time.time() - float(confirmed[-1]["at"]) < app_settings.REAUTHENTICATION_TIMEOUT


def second_factor_reauthentication_url(user: User) -> str | None:
    """Where this person confirms who they are with their second factor (allauth's page
    for the app and recovery codes, else the one for a security key); None without one."""
    from allauth.account.adapter import get_adapter

    for method in get_adapter().get_reauthentication_methods(user):
        if str(method["id"]).startswith("mfa_reauthenticate"):
            return str(method["url"])
    return None


def demo_totp_secret(email: str) -> str:
    """A fixed base32 secret per demo address: published with the demo, never used elsewhere."""
    digest = hashlib.sha256(f"alliance-demo-totp:{email.lower()}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


@transaction.atomic
def totp_activate(*, user: User, secret: str) -> Authenticator:
    """Give ``user`` an authenticator app with a known secret (demo data and tests)."""
    existing = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return existing
    return TOTP.activate(user, secret).instance


def totp_code(secret: str, at: float | None = None) -> str:
    """The current six-digit code for ``secret``, as an authenticator app would show it."""
    from allauth.mfa import app_settings

    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def totp_secret_of(user: User) -> str | None:
    """The stored (decrypted) secret of ``user``'s authenticator app, if they have one."""
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.filter(
        user_id=user.pk, type=Authenticator.Type.TOTP
    ).first()
    if authenticator is None:
        return None
    return decrypt(authenticator.data["secret"])
