"""Sign-in events come from Django's and allauth's signals: their views are not ours."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_changed, password_changed, password_reset
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from alliance.audit.context import audit_context
from alliance.audit.models import Action
from alliance.audit.services import audit_record


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.LOGGED_IN, context=audit_context(request))


def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action=Action.LOGGED_OUT, context=audit_context(request))


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The attempted e-mail address is not stored: it may be a client's.
    audit_record(actor=None, action=Action.LOGIN_FAILED, context=audit_context(request))


def _password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.PASSWORD_CHANGED, context=audit_context(request))


def _password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action=Action.PASSWORD_RESET, context=audit_context(request))


def _email_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # Neither address is stored: the event says that it changed, not to what.
    audit_record(actor=user, action=Action.EMAIL_CHANGED, context=audit_context(request))


def _authenticator(action: Action) -> Any:
    """A receiver for allauth's second-factor signals: who, what happened, and the kind
    of authenticator (TOTP, recovery codes, security key) as the target; no secrets."""

    def receiver(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        authenticator = kwargs.get("authenticator")
        audit_record(
            actor=user,
            action=action,
            target_type=f"mfa:{authenticator.type}" if authenticator is not None else "mfa",
            target_id=getattr(authenticator, "pk", None),
            context=audit_context(request),
        )

    return receiver


_MFA_SIGNALS = (
    (authenticator_added, Action.MFA_ADDED),
    (authenticator_removed, Action.MFA_REMOVED),
    (authenticator_reset, Action.MFA_RESET),
    (authentication_failed, Action.MFA_FAILED),
)
_MFA_RECEIVERS = [_authenticator(action) for _, action in _MFA_SIGNALS]


def connect() -> None:
    user_logged_in.connect(_logged_in, dispatch_uid="alliance-audit-login")
    user_logged_out.connect(_logged_out, dispatch_uid="alliance-audit-logout")
    user_login_failed.connect(_login_failed, dispatch_uid="alliance-audit-login-failed")
    password_changed.connect(_password_changed, dispatch_uid="alliance-audit-password-changed")
    password_reset.connect(_password_reset, dispatch_uid="alliance-audit-password-reset")
    email_changed.connect(_email_changed, dispatch_uid="alliance-audit-email-changed")
    for (signal, action), receiver in zip(_MFA_SIGNALS, _MFA_RECEIVERS, strict=True):
        signal.connect(receiver, dispatch_uid=f"alliance-audit-{action.value}")
