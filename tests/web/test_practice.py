from __future__ import annotations

from django.test import Client
from django.urls import reverse

from alliance.accounts.models import Invitation, User
from alliance.accounts.services import invitation_create
from alliance.audit.models import AuditEvent
from tests.conftest import Cast, signed_in


def test_people_page_lists_accounts_and_open_invitations(cast: Cast) -> None:
    invitation_create(actor=cast.ada, email="new@example.test", role="therapist")
    page = signed_in(cast.ada).get(reverse("practice_people")).content.decode()
    assert "alice@example.test" in page and "dana@example.test" in page
    assert "new@example.test" in page


def test_admin_withdraws_an_invitation(cast: Cast) -> None:
    issued = invitation_create(actor=cast.ada, email="new@example.test", role="therapist")
    response = signed_in(cast.ada).post(reverse("invitation_withdraw", args=[issued.invitation.pk]))
    assert response.status_code == 302
    assert Invitation.objects.get().revoked_at is not None
    again = signed_in(cast.ada).post(
        reverse("invitation_withdraw", args=[issued.invitation.pk]), follow=True
    )
    assert b"can no longer be withdrawn" in again.content


def test_admin_deactivates_and_reactivates_an_account(cast: Cast) -> None:
    client = signed_in(cast.ada)
    client.post(reverse("person_set_active", args=[cast.charlie.pk]), {"active": "false"})
    assert not User.objects.get(pk=cast.charlie.pk).is_active
    client.post(reverse("person_set_active", args=[cast.charlie.pk]), {"active": "true"})
    assert User.objects.get(pk=cast.charlie.pk).is_active
    actions = list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:2])
    assert actions == ["account_reactivated", "account_deactivated"]


def test_admin_cannot_deactivate_themselves(cast: Cast) -> None:
    response = signed_in(cast.ada).post(
        reverse("person_set_active", args=[cast.ada.pk]), {"active": "false"}, follow=True
    )
    assert b"cannot deactivate your own account" in response.content
    assert User.objects.get(pk=cast.ada.pk).is_active


def test_unclear_active_value_changes_nothing(cast: Cast) -> None:
    response = signed_in(cast.ada).post(
        reverse("person_set_active", args=[cast.charlie.pk]), {"active": "maybe"}, follow=True
    )
    assert b"Choose whether" in response.content
    assert User.objects.get(pk=cast.charlie.pk).is_active


def test_audit_log_shows_who_did_what_without_clinical_content(cast: Cast) -> None:
    viewer = Client()
    viewer.force_login(cast.alice)
    viewer.get(reverse("client_record", args=[cast.dana.pk]))
    page = signed_in(cast.ada).get(reverse("audit_log")).content.decode()
    assert "Alice (she/her) (Therapist)" in page
    assert "opened the record" in page
    assert f"#{cast.dana.pk}" in page
