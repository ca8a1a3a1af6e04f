"""Who is calling the API, whatever credential they came with.

A personal API token and an application's OAuth access token both end as an
``ApiCaller``: the person the call acts for, the SMART scopes it holds, and how the
client's "Who has seen your record" names it. Everything past the HTTP edge (selectors,
FHIR mapping, audit) takes a caller, never a credential.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.accounts.models import User
from alliance.api.models import ApiToken
from alliance.lib.smart_scopes import Scope, parse_scopes

# The audit event's target_type names the credential: the client's access log reads it
# there without asking this app (``alliance.records.access_log``).
TOKEN_AUDIT_TARGET = "api_token:"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True)
class ApiCaller:
    owner: User
    scopes: tuple[Scope, ...]
    # How audit events name the credential (``api_token:<prefix>``), and its id.
    audit_target: str
    audit_target_id: int
    # What rate limits count calls by: one budget per credential.
    rate_key: str


def token_caller(token: ApiToken) -> ApiCaller:
    return ApiCaller(
        owner=token.owner,
        scopes=parse_scopes(token.scope),
        audit_target=f"{TOKEN_AUDIT_TARGET}{token.prefix}",
        audit_target_id=token.pk,
        rate_key=f"token:{token.pk}",
    )
