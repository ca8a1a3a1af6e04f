from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.accounts.models import Invitation, User, hash_token
from alliance.accounts.services import invitation_create, invitation_revoke
from alliance.audit.models import AuditEvent
from alliance.care.models import Episode
from tests.conftest import Cast, signed_in

GOOD = {
    "preferred_name": "Frankie",
    "pronouns": "they/them",
    "language": "es",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
}


def invite_client(cast: Cast, django_capture_on_commit_callbacks: Any, **extra: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return invitation_create(
            actor=cast.alice, email="Frankie@Example.test", role="client", **extra
        )


def test_only_a_hash_of_the_token_is_stored(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    issued = invite_client(cast, django_capture_on_commit_callbacks)
    stored = Invitation.objects.get()
    assert stored.token_hash == hash_token(issued.token)
    assert issued.token not in str(Invitation.objects.values().get())


def test_invitation_email_carries_the_link_and_no_health_information(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    issued = invite_client(cast, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["frankie@example.test"]
    assert issued.token in message.body
    for word in ("therap", "Alice", "episode", "clinic", "health", "mental"):
        assert word.lower() not in (message.subject + message.body).lower()


def test_therapist_invites_clients_only(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        invitation_create(actor=cast.alice, email="x@example.test", role="therapist")
    with pytest.raises(ValidationError):
        invitation_create(actor=cast.sam, email="x@example.test", role="client")
    with pytest.raises(ValidationError):
        invitation_create(actor=cast.dana, email="x@example.test", role="client")
    assert not Invitation.objects.exists()


def test_admin_invites_staff_only(cast: Cast) -> None:
    invitation_create(actor=cast.ada, email="new@example.test", role="supervisor")
    with pytest.raises(ValidationError):
        invitation_create(actor=cast.ada, email="c@example.test", role="client")
    with pytest.raises(ValidationError):
        invitation_create(actor=cast.ada, email="z@example.test", role="wizard")
    assert Invitation.objects.count() == 1


def test_the_admin_is_told_an_address_has_an_account_or_an_open_invitation(cast: Cast) -> None:
    # The admin manages every account and sees them all on the People page already.
    with pytest.raises(ValidationError, match="already has an account"):
        invitation_create(actor=cast.ada, email="DANA@example.test", role="therapist")
    invitation_create(actor=cast.ada, email="new@example.test", role="therapist")
    with pytest.raises(ValidationError, match="still open"):
        invitation_create(actor=cast.ada, email="new@example.test", role="supervisor")


def test_a_therapist_is_told_of_her_own_open_invitation_only(cast: Cast) -> None:
    invitation_create(actor=cast.alice, email="new@example.test", role="client")
    with pytest.raises(ValidationError, match="still open"):
        invitation_create(actor=cast.alice, email="new@example.test", role="client")
    # Another therapist's open invitation is not hers to learn of: hers goes out as well.
    invitation_create(actor=cast.charlie, email="NEW@example.test", role="client")
    assert Invitation.objects.filter(email="new@example.test").count() == 2


@pytest.mark.parametrize("holder", ["dana", "eve", "charlie", "ada"])
def test_inviting_an_address_with_an_account_tells_its_holder_not_the_therapist(
    cast: Cast, django_capture_on_commit_callbacks: Any, holder: str
) -> None:
    person = getattr(cast, holder)
    with django_capture_on_commit_callbacks(execute=True):
        issued = invitation_create(
            actor=cast.alice, email=person.email.upper(), role="client", context=None
        )
    assert issued.emailed is True
    assert Invitation.objects.get().email == person.email
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert issued.token not in message.body  # no link that makes a second account
    already = {"en": "but you already have one", "es": "pero usted ya tiene una"}
    assert already[person.language] in " ".join(message.body.split())
    with translation.override(person.language):
        assert message.subject == _("Your invitation to %(practice)s") % {
            "practice": settings.PRACTICE_NAME
        }
    text = f"{message.subject} {message.body}".lower()
    for word in ("therap", "Alice", "episode", "client", "health", "mental"):
        assert word.lower() not in text
    # Its link, if the therapist gives it in person, makes no account and changes nothing.
    response = Client().post(reverse("invitation_accept", args=[issued.token]), GOOD)
    assert response.status_code == 410
    assert User.objects.get(email=person.email).preferred_name == person.preferred_name


def _normalised(page: str, address: str) -> str:
    """The page with what differs by nature between two requests made alike: the link's
    token, the CSRF token, and the address typed."""
    page = re.sub(r"/invitations/[A-Za-z0-9_-]+/", "/invitations/TOKEN/", page)
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", page)
    return page.replace(address, "ADDRESS")


def _invite_page(cast: Cast, address: str, capture: Any) -> tuple[int, str, list[str]]:
    with capture(execute=True):
        response = signed_in(cast.alice).post(
            reverse("client_invite"), {"email": address}, follow=True
        )
    assert Invitation.objects.filter(email=address, invited_by=cast.alice).exists()
    messages = [str(m) for m in response.context["messages"]]
    return response.status_code, _normalised(response.content.decode(), address), messages


@pytest.mark.parametrize(
    "address",
    [
        "dana@example.test",  # Alice's own client
        "sam@example.test",  # staff
        "someone.elses@example.test",  # another therapist's client
        "invited.by.charlie@example.test",  # an invitation from Charlie still open
    ],
)
def test_the_invitation_page_is_the_same_whether_or_not_the_address_has_an_account(
    cast: Cast, django_capture_on_commit_callbacks: Any, address: str
) -> None:
    """SECURITY.md: who is a client of the practice at all is not the therapist's to learn."""
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    other = make_user("someone.elses@example.test", "Someone", "client")
    episode_open(actor=cast.charlie, client=other, therapist=cast.charlie)
    invitation_create(actor=cast.charlie, email="invited.by.charlie@example.test", role="client")
    fresh = _invite_page(cast, "never.seen@example.test", django_capture_on_commit_callbacks)
    known = _invite_page(cast, address, django_capture_on_commit_callbacks)
    assert known == fresh
    assert fresh[0] == 200
    assert "An invitation is on its way to ADDRESS" in fresh[1]
    # One e-mail each, to the address typed: what it says is for its holder only.
    assert [m.to for m in mail.outbox[-2:]] == [["never.seen@example.test"], [address]]


def test_links_sent_from_the_page_are_absolute_and_its_address_audited(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    """The service is given the site's address and the client's, never the request."""
    client = signed_in(cast.alice)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("client_invite"), {"email": "new@example.test"}, REMOTE_ADDR="192.0.2.7"
        )
        client.post(
            reverse("client_invite"), {"email": "dana@example.test"}, REMOTE_ADDR="192.0.2.7"
        )
    invitation_link = re.compile(r"http://testserver/invitations/[A-Za-z0-9_-]+/")
    assert invitation_link.search(page.content.decode())
    invited, holder = mail.outbox
    assert invitation_link.search(invited.body)
    assert "http://testserver" + reverse("account_login") in holder.body
    created = AuditEvent.objects.filter(action="invitation_created")
    assert [event.ip_address for event in created] == ["192.0.2.7", "192.0.2.7"]


@pytest.mark.django_db(transaction=True)
@override_settings(EMAIL_BACKEND="tests.web.failing_email.Backend")
def test_with_mail_down_the_page_is_the_same_too(cast: Cast) -> None:
    pages = []
    for address in ("never.seen@example.test", "dana@example.test"):
        response = signed_in(cast.alice).post(reverse("client_invite"), {"email": address})
        pages.append((response.status_code, _normalised(response.content.decode(), address)))
    assert pages[0] == pages[1]
    assert "could not be sent just now" in pages[0][1]


def test_accepting_creates_the_account_and_opens_the_episode(cast: Cast) -> None:
    issued = invitation_create(
        actor=cast.alice, email="frankie@example.test", role="client", supervisor=cast.sam
    )
    client = Client()
    url = reverse("invitation_accept", args=[issued.token])
    assert client.get(url).status_code == 200
    response = client.post(url, GOOD)
    assert response.status_code == 302
    user = User.objects.get(email="frankie@example.test")
    assert (user.preferred_name, user.pronouns, user.language, user.role) == (
        "Frankie",
        "they/them",
        "es",
        "client",
    )
    assert user.check_password(GOOD["password1"])
    episode = Episode.objects.get(client=user)
    assert (episode.therapist, episode.supervisor, episode.status) == (cast.alice, cast.sam, "open")
    assert Invitation.objects.get().accepted_user == user
    assert client.get(reverse("portal_home")).status_code == 200
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("seq"))
    assert actions[-4:] == ["invitation_accepted", "episode_opened", "logged_in", "viewed"]


def test_accepting_a_staff_invitation_opens_no_episode(cast: Cast) -> None:
    issued = invitation_create(actor=cast.ada, email="pat@example.test", role="therapist")
    response = Client().post(reverse("invitation_accept", args=[issued.token]), GOOD)
    assert response.status_code == 302
    user = User.objects.get(email="pat@example.test")
    assert user.role == "therapist"
    assert not Episode.objects.filter(client=user).exists()


def test_a_used_link_gets_a_clear_page_and_changes_nothing(cast: Cast) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    url = reverse("invitation_accept", args=[issued.token])
    Client().post(url, GOOD)
    users = User.objects.count()
    response = Client().post(url, {**GOOD, "preferred_name": "Someone else"})
    assert response.status_code == 410
    assert b"already been used" in response.content
    assert User.objects.count() == users
    assert User.objects.get(email="frankie@example.test").preferred_name == "Frankie"


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(cast: Cast) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(reverse("invitation_accept", args=[issued.token]), GOOD)
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not User.objects.filter(email="frankie@example.test").exists()


def test_a_withdrawn_link_gets_a_clear_page(cast: Cast) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    invitation_revoke(actor=cast.ada, invitation=issued.invitation, context=None)
    response = Client().get(reverse("invitation_accept", args=[issued.token]))
    assert response.status_code == 410
    assert b"withdrawn" in response.content


@pytest.mark.parametrize("token", ["forged", "x" * 43, "%00", "a.b-c_d~"])
def test_a_forged_link_gets_a_clear_page(cast: Cast, token: str) -> None:
    response = Client().post(f"/invitations/{token}/", GOOD)
    assert response.status_code == 404
    assert b"recognise this link" in response.content
    assert not User.objects.filter(email="frankie@example.test").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"password2": "something-different-entirely"}, b"not the same"),
        ({"password1": "short", "password2": "short"}, b"too short"),
        ({"password1": "password123", "password2": "password123"}, b"too common"),
        ({"preferred_name": "   "}, b"This field is required"),
        ({"language": "fr"}, b"Select a valid choice"),
    ],
)
def test_bad_input_on_accepting_changes_nothing(
    cast: Cast, change: dict[str, str], message: bytes
) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    response = Client().post(reverse("invitation_accept", args=[issued.token]), {**GOOD, **change})
    assert response.status_code == 400
    assert message in response.content
    assert not User.objects.filter(email="frankie@example.test").exists()
    assert Invitation.objects.get().accepted_at is None


def test_a_signed_in_person_cannot_accept(cast: Cast) -> None:
    issued = invitation_create(actor=cast.alice, email="frankie@example.test", role="client")
    client = Client()
    client.force_login(cast.dana)
    response = client.post(reverse("invitation_accept", args=[issued.token]), GOOD)
    assert response.status_code == 409
    assert not User.objects.filter(email="frankie@example.test").exists()


def test_therapist_invites_a_client_through_the_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.post(
        reverse("client_invite"), {"email": "new@example.test", "supervisor": cast.sam.pk}
    )
    assert response.status_code == 200
    assert b"/invitations/" in response.content
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.supervisor) == (
        "new@example.test",
        "client",
        cast.sam,
    )


def test_invite_page_refuses_a_non_supervisor_as_supervisor(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.alice)
    response = client.post(
        reverse("client_invite"), {"email": "new@example.test", "supervisor": cast.charlie.pk}
    )
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_admin_invites_staff_through_the_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.ada)
    response = client.post(reverse("staff_invite"), {"email": "bad address", "role": "therapist"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()
    response = client.post(
        reverse("staff_invite"), {"email": "t@example.test", "role": "therapist"}
    )
    assert response.status_code == 200
    assert Invitation.objects.get().role == "therapist"


def test_invitation_links_are_rate_limited(cast: Cast) -> None:
    from django.core.cache import cache

    cache.clear()
    client = Client()
    url = reverse("invitation_accept", kwargs={"token": "not-a-real-token"})
    codes = [client.get(url).status_code for _ in range(21)]
    assert codes[:20] == [404] * 20
    assert codes[20] == 429
    refused = client.post(url, {})
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.content
    cache.clear()
