"""The profile's API tokens page: one's own tokens, never the token, and revoking them."""

from __future__ import annotations

import pytest

from tests.api.helpers import token_for
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db


def test_the_page_lists_ones_own_tokens_without_the_token(cast: Cast) -> None:
    from alliance.api.models import ApiToken

    raw = token_for(cast.alice, "user/Observation.rs")
    token_for(cast.charlie, "user/*.rs")
    page = signed_in(cast.alice).get("/profile/api-tokens/")
    text = page.content.decode()
    mine = ApiToken.objects.get(owner=cast.alice)
    theirs = ApiToken.objects.get(owner=cast.charlie)
    assert mine.prefix in text
    assert "user/Observation.rs" in text
    assert raw not in text
    assert raw.removeprefix("alliance_") not in text
    assert theirs.prefix not in text
    assert 'href="/profile/api-tokens/"' in signed_in(cast.alice).get("/profile/").content.decode()


def test_revoking_ones_token_ends_it_and_is_audited(cast: Cast) -> None:
    from django.test import Client

    from alliance.api.models import ApiToken
    from alliance.audit.models import Action, AuditEvent

    raw = token_for(cast.dana, "patient/*.rs")
    token = ApiToken.objects.get()
    response = signed_in(cast.dana).post(f"/profile/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    event = AuditEvent.objects.get(action=Action.API_TOKEN_REVOKED)
    assert (event.actor_id, event.target_id) == (cast.dana.pk, token.pk)
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/fhir/R4/Patient", headers=headers).status_code == 401
    page = signed_in(cast.dana).get("/profile/api-tokens/").content.decode()
    assert "revoked" in page
    assert f"/profile/api-tokens/{token.pk}/revoke/" not in page


def test_nobody_else_can_revoke_a_token(cast: Cast) -> None:
    from alliance.api.models import ApiToken

    token_for(cast.dana, "patient/*.rs")
    token = ApiToken.objects.get()
    for other in (cast.eve, cast.alice, cast.ada):
        response = signed_in(other).post(f"/profile/api-tokens/{token.pk}/revoke/")
        assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
