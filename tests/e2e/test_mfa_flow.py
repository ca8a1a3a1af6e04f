"""Two-factor sign-in and sessions, in a real browser."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from alliance.accounts.mfa import totp_code
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, current_code_for


def test_staff_sign_in_with_password_then_code_on_a_phone(cast: Any, visit: Any) -> None:
    alice = visit(PHONE)
    alice.goto("/accounts/login/")
    alice.page.get_by_label("Email").fill("alice@example.test")
    alice.page.get_by_label("Password").fill(PASSWORD)
    alice.page.get_by_role("button", name="Sign in").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert alice.page.get_by_role("heading", level=1).inner_text() == "Two-factor sign-in"
    alice.screenshot("mfa-code-phone")
    # A wrong code is refused with a plain message; the right one lets her in.
    alice.page.get_by_label("Code").fill("000000")
    alice.page.get_by_role("button", name="Sign in").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert "Incorrect code" in alice.page.content()
    alice.page.get_by_label("Code").fill(current_code_for("alice@example.test"))
    alice.page.get_by_role("button", name="Sign in").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert alice.page.url.endswith("/clinic/")


def test_staff_without_two_factor_is_sent_to_set_it_up(cast: Any, visit: Any) -> None:
    Authenticator.objects.filter(user=cast.charlie).delete()
    charlie = visit()
    charlie.login("charlie@example.test", PASSWORD)
    assert "Staff accounts need two-factor sign-in" in charlie.page.content()
    # allauth asks for the password once more before any change to two-factor settings.
    assert "/accounts/reauthenticate/" in charlie.page.url
    charlie.page.get_by_label("Password").fill(PASSWORD)
    charlie.page.get_by_role("button", name="Confirm").click()
    charlie.page.wait_for_load_state("load")
    charlie.check()
    assert "/accounts/two-factor/totp/activate/" in charlie.page.url
    charlie.screenshot("mfa-setup")
    # Every other page sends him back here until the app is set up.
    charlie.goto("/clinic/")
    assert "/accounts/two-factor/totp/activate/" in charlie.page.url
    secret = charlie.page.locator("#authenticator-secret").inner_text().strip()
    charlie.page.get_by_label("Authenticator code").fill(totp_code(secret))
    charlie.page.get_by_role("button", name="Turn on two-factor sign-in").click()
    charlie.page.wait_for_load_state("load")
    charlie.check()
    assert Authenticator.objects.filter(user=cast.charlie, type="totp").exists()
    # Recovery codes are made with it and shown once set up (their page runs allauth's script).
    assert "/accounts/two-factor/recovery-codes/" in charlie.page.url
    assert charlie.page.locator("#recovery_codes").count() == 1
    charlie.screenshot("mfa-recovery-codes")
    # The security-key page runs allauth's WebAuthn scripts under our CSP.
    charlie.goto("/accounts/two-factor/webauthn/add/")
    assert charlie.page.get_by_role("heading", level=1).count() == 1
    charlie.screenshot("mfa-security-key")
    charlie.goto("/clinic/")
    assert charlie.page.url.endswith("/clinic/")


def test_client_lists_sessions_and_ends_another(cast: Any, visit: Any) -> None:
    phone = visit(PHONE)
    phone.login("dana@example.test", PASSWORD)
    laptop = visit()
    laptop.login("dana@example.test", PASSWORD)
    laptop.goto("/profile/")
    laptop.page.get_by_role("link", name="Your sessions").click()
    laptop.check()
    rows = laptop.page.locator("tbody tr")
    assert rows.count() == 2
    assert "This session" in laptop.page.content()
    laptop.page.get_by_role("button", name="Sign out all other sessions").click()
    laptop.page.wait_for_load_state("load")
    laptop.check()
    assert laptop.page.locator("tbody tr").count() == 1
    laptop.screenshot("sessions")
    # The phone's session has ended: the next page asks it to sign in again.
    phone.goto("/me/")
    assert "/accounts/login/" in phone.page.url
