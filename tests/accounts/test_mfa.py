"""Two-factor sign-in: required for staff, optional for clients, secrets sealed at rest."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from alliance.accounts.mfa import has_second_factor, totp_activate, totp_code, totp_secret_of
from alliance.audit.models import Action, AuditEvent
from alliance.lib import crypto
from tests.conftest import PASSWORD, TOTP_SECRET, Cast, sign_in, signed_in


def test_the_stored_totp_secret_is_encrypted(cast: Cast) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data FROM mfa_authenticator WHERE user_id = %s AND type = 'totp'",
            [cast.alice.pk],
        )
        stored = cursor.fetchone()[0]
    assert TOTP_SECRET not in stored
    assert '"secret": "v1:' in stored or '"secret":"v1:' in stored
    assert totp_secret_of(cast.alice) == TOTP_SECRET


def test_a_sealed_secret_cannot_be_read_in_another_context(cast: Cast, settings: Any) -> None:
    sealed = get_adapter().encrypt("JBSWY3DP")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, settings.FIELD_KEYS, "accounts.user.email")
    assert get_adapter().decrypt(sealed) == "JBSWY3DP"


def test_every_staff_member_of_the_cast_has_a_second_factor_and_clients_do_not(
    cast: Cast,
) -> None:
    assert all(has_second_factor(u) for u in (cast.alice, cast.sam, cast.charlie, cast.ada))
    assert not has_second_factor(cast.dana)


def test_staff_with_an_app_must_enter_a_code_after_the_password(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")  # type: ignore[attr-defined]
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("caseload")).status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert client.get(reverse("caseload")).status_code == 200


def test_after_signing_in_with_a_code_pages_need_no_authenticator_query(cast: Cast) -> None:
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.post(reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("caseload")).status_code == 200
    assert not [q for q in queries if "mfa_authenticator" in q["sql"]]


def test_a_wrong_code_does_not_sign_in(cast: Cast) -> None:
    client = Client()
    client.post(reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD})
    wrong = "000000" if totp_code(TOTP_SECRET) != "000000" else "111111"
    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert b"Incorrect code" in response.content
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(action=Action.MFA_FAILED)
    assert failed.actor_id == cast.alice.pk


def test_codes_are_rate_limited_per_account(cast: Cast) -> None:
    cache.clear()
    client = Client()
    client.post(reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD})
    right = totp_code(TOTP_SECRET)
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    response = client.post(reverse("mfa_authenticate"), {"code": right})
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert "_auth_user_id" not in client.session
    cache.clear()


def test_a_client_signs_in_without_a_code(cast: Cast) -> None:
    client = Client()
    response = sign_in(client, "dana@example.test")
    assert response.url == "/"  # type: ignore[attr-defined]
    assert client.get(reverse("portal_home")).status_code == 200


def test_a_client_may_add_an_app(cast: Cast) -> None:
    totp_activate(user=cast.dana, secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    client = Client()
    response = sign_in(client, "dana@example.test")
    assert client.get(reverse("portal_home")).status_code == 200, response


def test_staff_without_a_second_factor_are_sent_to_set_one_up(cast: Cast) -> None:
    Authenticator.objects.filter(user=cast.charlie).delete()
    client = signed_in(cast.charlie)
    for url in (reverse("caseload"), reverse("profile"), reverse("home")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == reverse("mfa_activate_totp")  # type: ignore[attr-defined]
    page = client.get(reverse("mfa_index"), follow=True).content.decode()
    assert "need two-factor sign-in" in page
    # What setting it up needs stays open.
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_reauthenticate")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("language_switch"), {"language": "es"}).status_code == 302
    assert client.post(reverse("account_logout")).status_code == 302


def test_setting_up_an_app_lets_staff_in(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    Authenticator.objects.filter(user=cast.charlie).delete()
    client = Client()
    sign_in(client, "charlie@example.test")
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert "<svg" in page.content.decode() and "data:image" not in page.content.decode()
    # allauth sends its signal once the new authenticator is committed.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert has_second_factor(cast.charlie)
    assert client.get(reverse("caseload")).status_code == 200
    # The app, and the recovery codes allauth makes with it.
    added = AuditEvent.objects.filter(action=Action.MFA_ADDED, actor_id=cast.charlie.pk)
    assert sorted(added.values_list("target_type", flat=True)) == [
        "mfa:recovery_codes",
        "mfa:totp",
    ]


def test_staff_cannot_remove_their_only_second_factor(cast: Cast) -> None:
    app = Authenticator.objects.get(user=cast.alice, type="totp")
    assert not get_adapter().can_delete_authenticator(app)
    dana_app = totp_activate(user=cast.dana, secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    assert get_adapter().can_delete_authenticator(dana_app)


def test_profile_links_to_two_factor_and_sessions(cast: Cast) -> None:
    for person in (cast.dana, cast.alice):
        page = signed_in(person).get(reverse("profile")).content.decode()
        assert reverse("mfa_index") in page and reverse("usersessions_list") in page


def test_people_see_and_end_their_other_sessions(cast: Cast) -> None:
    from allauth.usersessions.models import UserSession

    phone, laptop = Client(), Client()
    sign_in(phone, "dana@example.test")
    sign_in(laptop, "dana@example.test")
    sign_in(Client(), "eve@example.test")
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert page.count("<tr>") == 3  # the header and Dana's two sessions, not Eve's
    laptop.post(reverse("usersessions_list"))
    assert UserSession.objects.filter(user=cast.dana).count() == 1
    assert phone.get(reverse("portal_home")).status_code == 302
    assert laptop.get(reverse("portal_home")).status_code == 200
    assert UserSession.objects.filter(user=cast.eve).count() == 1


def test_people_end_one_chosen_session_of_their_own_and_no_one_elses(cast: Cast) -> None:
    from allauth.usersessions.models import UserSession

    phone, tablet, laptop, eves = Client(), Client(), Client(), Client()
    for device in (phone, tablet, laptop):
        sign_in(device, "dana@example.test")
    sign_in(eves, "eve@example.test")
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)
    eve_session = UserSession.objects.get(user=cast.eve)
    page = laptop.get(reverse("usersessions_list")).content.decode()
    # A button for each of Dana's other sessions, none for this one.
    assert page.count("Sign this session out") == 2
    assert reverse("user_session_end", args=[phone_session.pk]) in page
    response = laptop.post(reverse("user_session_end", args=[phone_session.pk]), follow=True)
    assert "That session is signed out." in response.content.decode()
    assert phone.get(reverse("portal_home")).status_code == 302
    assert tablet.get(reverse("portal_home")).status_code == 200
    assert laptop.get(reverse("portal_home")).status_code == 200
    ended = AuditEvent.objects.get(action=Action.SESSION_ENDED)
    assert ended.actor_id == cast.dana.pk
    # Someone else's session, or this one, is not ended this way: the same answer as for
    # a session that no longer exists.
    for key in (eve_session.pk, UserSession.objects.get(session_key=laptop.session.session_key).pk):
        response = laptop.post(reverse("user_session_end", args=[key]), follow=True)
        assert "That session had already ended." in response.content.decode()
    assert eves.get(reverse("portal_home")).status_code == 200
    assert laptop.get(reverse("portal_home")).status_code == 200
    assert AuditEvent.objects.filter(action=Action.SESSION_ENDED).count() == 1


def test_confirming_who_you_are_takes_the_password_not_a_code_by_e_mail(
    cast: Cast, mailoutbox: list[Any]
) -> None:
    # SECURITY.md: sensitive changes and the record download ask for the password again.
    # allauth 65.22 can offer a code by e-mail instead; a stolen session plus the mailbox
    # must not pass for the person, so that way stays shut.
    client = signed_in(cast.dana)
    page = client.get(reverse("account_reauthenticate")).content.decode()
    assert reverse("account_request_reauthentication_code") not in page
    assert client.get(reverse("account_request_reauthentication_code")).status_code == 403
    response = client.post(
        reverse("account_request_reauthentication_code"), {"email": "dana@example.test"}
    )
    assert response.status_code == 403
    assert (
        client.post(reverse("account_confirm_reauthentication_code"), {"code": "X"}).status_code
        == 403
    )
    assert mailoutbox == []


def test_a_code_from_the_step_before_is_accepted_one_older_is_not(cast: Cast) -> None:
    """One step of clock drift (RFC 6238 §5.2): a code typed as it changed, or answered
    late by a busy server, still signs in; older codes do not."""
    import time

    stale = Client()
    stale.post(reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD})
    response = stale.post(
        reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET, at=time.time() - 95)}
    )
    assert b"Incorrect code" in response.content
    late = Client()
    late.post(reverse("account_login"), {"login": "alice@example.test", "password": PASSWORD})
    late.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET, at=time.time() - 30)})
    assert late.get(reverse("caseload")).status_code == 200
