"""E-mails that cannot be sent: the invitation or request still stands, and the page says so."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from alliance.accounts.models import Invitation
from tests.conftest import Cast, signed_in


# The e-mail goes when the invitation's transaction commits: a real commit is needed.
@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.web.failing_email.Backend")
def test_a_client_invitation_whose_email_fails_shows_its_link_and_a_warning(cast: Cast) -> None:
    response = signed_in(cast.alice).post(
        reverse("client_invite"), {"email": "new.client@example.test"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "could not be sent just now" in page
    assert "/invitations/" in page  # the link, to give in person
    assert Invitation.objects.filter(email="new.client@example.test").exists()


def test_a_sent_invitation_says_it_is_on_its_way(cast: Cast) -> None:
    page = (
        signed_in(cast.ada)
        .post(reverse("staff_invite"), {"email": "new.staff@example.test", "role": "therapist"})
        .content.decode()
    )
    assert "is on its way to new.staff@example.test" in page
    assert "could not be sent" not in page


@override_settings(EMAIL_BACKEND="tests.web.failing_email.Backend")
def test_a_password_reset_while_mail_is_down_says_so(cast: Cast) -> None:
    from django.test import Client

    response = Client().post(
        reverse("account_reset_password"), {"email": "dana@example.test"}, follow=True
    )
    assert response.status_code == 200
    assert "could not be sent just now" in response.content.decode()
