"""The key flows, as people would click through them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.models import Episode, Session
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE


def test_client_signs_in_on_a_phone_and_switches_to_spanish(cast: Any, visit: Any) -> None:
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    assert dana.page.get_by_role("heading", level=1).inner_text() == "Hello, Dana"
    assert "Alice (she/her)" in dana.page.content()
    dana.screenshot("client-home-phone")
    dana.page.get_by_label("Language").select_option("es")
    dana.page.get_by_role("button", name="Change").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert dana.page.get_by_role("heading", level=1).inner_text() == "Hola, Dana"
    assert dana.page.locator("html").get_attribute("lang") == "es"
    assert User.objects.get(pk=cast.dana.pk).language == "es"
    dana.goto("/profile/")
    dana.screenshot("client-profile-es")


def test_therapist_schedules_a_session_and_the_client_sees_it(cast: Any, visit: Any) -> None:
    alice = visit()
    alice.login("alice@example.test", PASSWORD)
    alice.page.get_by_role("link", name="Dana (they/them)").click()
    alice.check()
    alice.page.get_by_role("link", name="Add a session").click()
    alice.check()
    when = timezone.localtime() + timedelta(days=30)
    alice.page.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT10:30"))
    alice.page.get_by_role("button", name="Add session").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert "Session 1 is scheduled." in alice.page.content()
    alice.screenshot("therapist-client-record")
    session = Session.objects.get()
    assert (session.episode_id, session.number) == (cast.dana_episode.pk, 1)

    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    assert "Session 1" in dana.page.content()
    assert str(when.year) in dana.page.content()


def test_bad_session_date_is_explained_and_nothing_is_saved(cast: Any, visit: Any) -> None:
    alice = visit()
    alice.login("alice@example.test", PASSWORD)
    alice.goto(f"/clinic/episodes/{cast.dana_episode.pk}/sessions/new/")
    alice.page.get_by_role("button", name="Add session").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    assert "Please check what is marked below." in alice.page.content()
    assert not Session.objects.exists()


def test_therapist_invites_a_client_who_accepts(cast: Any, visit: Any) -> None:
    alice = visit()
    alice.login("alice@example.test", PASSWORD)
    alice.page.get_by_role("link", name="Invite a client").click()
    alice.check()
    alice.page.get_by_label("Client's e-mail address").fill("frankie@example.test")
    alice.page.get_by_label("Supervisor").select_option(label="Sam (he/him)")
    alice.page.get_by_role("button", name="Send invitation").click()
    alice.page.wait_for_load_state("load")
    alice.check()
    link = alice.page.locator(".token-link code").inner_text()
    assert re.search(r"/invitations/[\w-]+/$", link)

    frankie = visit(PHONE)
    frankie.page.goto(link)
    frankie.check()
    frankie.page.get_by_label("Preferred name").fill("Frankie")
    frankie.page.get_by_label("Pronouns").fill("they/them")
    frankie.page.get_by_label("Language").last.select_option("es")
    frankie.page.get_by_label("Choose a password").fill("a-long-and-unusual-passphrase")
    frankie.page.get_by_label("Type the password again").fill("a-long-and-unusual-passphrase")
    frankie.screenshot("invitation-accept-phone")
    frankie.page.locator("main button[type=submit]").click()
    frankie.page.wait_for_load_state("load")
    frankie.check()
    assert frankie.page.get_by_role("heading", level=1).inner_text() == "Hola, Frankie"
    user = User.objects.get(email="frankie@example.test")
    episode = Episode.objects.get(client=user)
    assert (episode.therapist_id, episode.supervisor_id) == (cast.alice.pk, cast.sam.pk)

    # The same link a second time: a clear page, nothing changed.
    again = visit()
    again.page.goto(link)
    again.check()
    assert "already been used" in again.page.content()


def test_admin_invites_staff_and_reads_the_audit_log(cast: Any, visit: Any) -> None:
    ada = visit()
    ada.login("ada@example.test", PASSWORD)
    assert ada.page.get_by_role("heading", level=1).inner_text() == "People"
    ada.page.get_by_role("link", name="Invite staff").first.click()
    ada.check()
    ada.page.get_by_label("E-mail address").fill("pat@example.test")
    ada.page.get_by_label("Role").select_option("supervisor")
    ada.page.get_by_role("button", name="Send invitation").click()
    ada.page.wait_for_load_state("load")
    ada.check()
    ada.page.get_by_role("link", name="Audit log").click()
    ada.check()
    assert "sent an invitation" in ada.page.content()
    ada.screenshot("admin-audit-log")
    # The admin cannot open a clinical record.
    response = ada.goto(f"/clinic/clients/{cast.dana.pk}/")
    assert response.status == 404


def test_every_page_passes_axe(cast: Any, visit: Any) -> None:
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    waiting = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="session-feedback"
    )
    done = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response = response_submit(actor=cast.dana, administration=done, answers=[1] * 9)
    alert = response.alerts.get()
    pages = {
        None: [
            "/accounts/login/",
            "/accounts/password/reset/",
            "/accounts/signup/",
            "/invitations/unknown-token/",
            "/no-such-page/",
        ],
        "dana@example.test": [
            "/me/",
            "/profile/",
            "/accounts/password/change/",
            f"/me/check-ins/{waiting.pk}/",
            f"/me/check-ins/{done.pk}/done/",
            "/me/progress/",
            "/accounts/two-factor/",
            "/accounts/two-factor/totp/activate/",
            "/accounts/two-factor/webauthn/add/",
            "/accounts/sessions/",
        ],
        "alice@example.test": [
            "/clinic/",
            f"/clinic/clients/{cast.dana.pk}/",
            f"/clinic/episodes/{cast.dana_episode.pk}/sessions/new/",
            f"/clinic/episodes/{cast.dana_episode.pk}/close/",
            "/clinic/invite/",
            f"/clinic/episodes/{cast.dana_episode.pk}/questionnaires/new/",
            f"/clinic/responses/{response.pk}/",
            f"/clinic/clients/{cast.dana.pk}/progress/",
            f"/clinic/episodes/{cast.dana_episode.pk}/schedule/",
            "/clinic/alerts/",
            f"/clinic/alerts/{alert.pk}/",
            "/profile/",
            "/accounts/two-factor/",
            "/accounts/two-factor/recovery-codes/generate/",
            "/accounts/sessions/",
            "/accounts/logout/",
        ],
        "sam@example.test": [
            "/clinic/",
            f"/clinic/clients/{cast.dana.pk}/",
            "/reports/outcomes/",
            "/reports/alert-accuracy/",
        ],
        "ada@example.test": [
            "/practice/",
            "/practice/invite/",
            "/practice/audit/",
            "/accounts/email/",
        ],
    }
    for email, paths in pages.items():
        for language in ("en", "es"):
            person = visit()
            if email:
                User.objects.filter(email=email).update(language=language)
                person.login(email, PASSWORD)
            else:
                person.context.add_cookies(
                    [{"name": "django_language", "value": language, "url": person.base_url}]
                )
            for path in paths:
                person.goto(path)
            person.close()
