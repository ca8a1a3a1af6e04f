from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest

from alliance.lib import crypto

# Bound into every sealed MFA secret, so that it cannot be moved into another column.
MFA_CONTEXT = "mfa.authenticator"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Nobody signs themselves up: admins invite staff, therapists invite clients.
        return False


class MFAAdapter(DefaultMFAAdapter):
    """Two-factor secrets (TOTP keys, recovery-code seeds) are stored encrypted."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text, settings.FIELD_KEYS, MFA_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text, settings.FIELD_KEYS, MFA_CONTEXT)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Staff must keep one second factor: an app or a security key besides this one.
        from alliance.accounts.mfa import SECOND_FACTORS, mfa_required

        if not mfa_required(authenticator.user):
            return True
        return (
            Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTORS)
            .exclude(pk=authenticator.pk)
            .exists()
        )
