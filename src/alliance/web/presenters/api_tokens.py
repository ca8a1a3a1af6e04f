"""The profile's list of one's own API tokens: what each can reach, never the token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.api.models import ApiToken


@dataclass(frozen=True)
class TokenRow:
    pk: int
    label: str
    scope: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    status: str
    usable: bool


def _status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return _("revoked")
    if not token.is_usable(now):
        return _("expired")
    return _("in use")


def api_token_rows(tokens: Iterable[ApiToken], now: datetime | None = None) -> list[TokenRow]:
    now = now or timezone.now()
    return [
        TokenRow(
            pk=token.pk,
            label=token.label,
            scope=token.scope,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            status=_status(token, now),
            usable=token.is_usable(now),
        )
        for token in tokens
    ]
