from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from alliance.fields import MFA_CONTEXT
from alliance.lib import crypto

logger = logging.getLogger(__name__)


# What allauth says on a form when a rate limit holds (failed logins, wrong two-factor codes).
RATE_LIMITED_ERRORS = frozenset({"too_many_login_attempts", "rate_limited"})


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Nobody signs themselves up: admins invite staff, therapists invite clients.
        return False

    def validation_error(self, code: str, *args: Any) -> ValidationError:
        """A rate limit that holds answers 429 Too Many Requests with the page that says
        to wait (SECURITY.md), not the form again with 200: allauth gives the sign-in and
        two-factor forms an error here, the same for the right password as the wrong one."""
        request = allauth_context.request
        if code in RATE_LIMITED_ERRORS and request is not None:
            raise ImmediateHttpResponse(ratelimit.respond_429(request))
        return super().validation_error(code, *args)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's e-mails (password reset, a new address to confirm, security notices):
        if the mail server is down, the person is told so instead of seeing an error
        page. The log names the kind of e-mail and of error, never the address."""
        try:
            super().send_mail(template_prefix, email, context)
        except Exception as error:
            logger.error(
                "e-mail %s could not be sent (%s)",
                template_prefix.rsplit("/", 1)[-1],
                type(error).__name__,
            )
            if self.request is not None:
                messages.error(
                    self.request,
                    _("The e-mail could not be sent just now. Please try again in a little while."),
                )


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
