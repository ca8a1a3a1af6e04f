"""Making, revoking and checking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import User
from alliance.api.callers import ApiCaller
from alliance.api.models import ApiToken
from alliance.audit.context import AuditContext
from alliance.audit.models import Action
from alliance.audit.services import audit_record
from alliance.care import access
from alliance.lib.smart_scopes import ScopeError, parse_scopes

TOKEN_START = "alliance_"  # noqa: S105 (what every token begins with, not a secret)
PREFIX_LENGTH = 8
DEFAULT_DAYS = 30
MAX_DAYS = 365
# Last use is written at most this often, so that a busy token does not write on every call.
LAST_USED_EVERY = timedelta(minutes=1)


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scope_refusal(owner: User, scope: str) -> str | None:
    """Why this person may not hold this scope, in words; None when they may."""
    try:
        scopes = parse_scopes(scope)
    except ScopeError as error:
        return str(error)
    if not access.may_hold_api_scope(owner, scopes[0].context):
        return (
            "a client's token reads only their own record (patient/…); a member of staff's "
            "reads as they do (user/…)"
        )
    return None


@transaction.atomic
def api_token_create(
    *,
    actor: User | None,
    owner: User,
    scope: str,
    days: int = DEFAULT_DAYS,
    context: AuditContext | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``owner``: the stored row and the token itself (shown once)."""
    refusal = scope_refusal(owner, scope)
    if refusal is not None:
        raise ScopeError(refusal)
    if not 1 <= days <= MAX_DAYS:
        raise ScopeError(f"a token lasts from 1 to {MAX_DAYS} days")
    secret = secrets.token_urlsafe(32)
    raw = TOKEN_START + secret
    now = timezone.now()
    token = ApiToken(
        owner=owner,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_api_token(raw),
        scope=" ".join(scope.split()),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    token.full_clean()
    token.save()
    audit_record(
        actor=actor,
        action=Action.API_TOKEN_CREATED,
        target_type="api_token",
        target_id=token.pk,
        context=context,
    )
    return token, raw


@transaction.atomic
def api_token_revoke(
    *, actor: User | None, token: ApiToken, context: AuditContext | None = None
) -> bool:
    """Revoke the token; False when it already was."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=Action.API_TOKEN_REVOKED,
        target_type="api_token",
        target_id=token.pk,
        context=context,
    )
    return True


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The usable token with this value, its owner active; else None (expired, revoked…)."""
    if not raw.startswith(TOKEN_START):
        return None
    token = ApiToken.objects.select_related("owner").filter(token_hash=hash_api_token(raw)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.owner.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_read_record(
    *, caller: ApiCaller, client_ids: Iterable[int], context: AuditContext | None = None
) -> None:
    """One audit event per client whose data an API call returned, naming the credential."""
    for client_id in sorted(set(client_ids)):
        audit_record(
            actor=caller.owner,
            action=Action.API_READ,
            client_id=client_id,
            target_type=caller.audit_target,
            target_id=caller.audit_target_id,
            context=context,
        )
