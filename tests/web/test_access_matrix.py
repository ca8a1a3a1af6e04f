"""Every URL, every role: the expected status, or the suite fails.

A new URL pattern without a row here fails ``test_every_url_has_a_row``. The record
URLs point at Dana's record: Alice treats her, Sam supervises; Charlie, Eve and Ada
have no business there and get 404 — never a hint that the record exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import Cast
from tests.web.matrix import LOGGED_IN_REDIRECT, ROLES, Rows, everyone, only, signed_in
from tests.web.matrix_rows import (
    api,
    api_v1,
    exercises,
    messaging,
    notes,
    oauth,
    plans,
    preferences,
    preparation,
    records,
    safety,
    smart,
    webhooks,
)

STAFF = ("therapist", "other_therapist", "supervisor", "admin")
# Reauthenticating with a code, or turning the app off, is for those who have an app.
STAFF_200 = only(dict.fromkeys(STAFF, 200), others=302)
STAFF_302 = only(dict.fromkeys(STAFF, 302))

# url name -> (kwargs maker taking the cast and Records, {method: {role: status}})
MATRIX: Rows = {
    "home": (None, {"GET": signed_in(302), "POST": signed_in(405)}),
    "healthz": (None, {"GET": everyone(200)}),
    "language_switch": (None, {"GET": everyone(405), "POST": everyone(302)}),
    "invitation_accept": (
        lambda c, r: {"token": "not-a-real-token"},
        {"GET": everyone(404), "POST": everyone(404)},
    ),
    "account_login": (None, {"GET": LOGGED_IN_REDIRECT}),
    "account_logout": (None, {"GET": signed_in(200), "POST": everyone(302)}),
    "account_inactive": (None, {"GET": everyone(200)}),
    "account_signup": (None, {"GET": signed_in(302, anon=200)}),
    "account_reauthenticate": (None, {"GET": signed_in(200)}),
    # Re-authentication by a code by e-mail is turned off (settings): refused to everyone.
    "account_request_reauthentication_code": (
        None,
        {"GET": signed_in(403), "POST": signed_in(403)},
    ),
    "account_confirm_reauthentication_code": (
        None,
        {"GET": signed_in(403), "POST": signed_in(403)},
    ),
    "account_email": (None, {"GET": signed_in(200)}),
    "account_email_verification_sent": (None, {"GET": everyone(200)}),
    "account_change_password": (None, {"GET": signed_in(200)}),
    "account_set_password": (None, {"GET": signed_in(302)}),
    "account_reset_password": (None, {"GET": everyone(200)}),
    "account_confirm_login_code": (None, {"GET": signed_in(302, anon=302)}),
    "account_confirm_email": (lambda c, r: {"key": "forged-key"}, {"GET": everyone(200)}),
    "account_reset_password_from_key_done": (None, {"GET": everyone(200)}),
    "account_reset_password_from_key": (
        lambda c, r: {"uidb36": "zz", "key": "forged-key"},
        {"GET": everyone(200)},
    ),
    "account_reset_password_done": (None, {"GET": everyone(200)}),
    "profile": (None, {"GET": signed_in(200), "POST": signed_in(400)}),
    # Two-factor sign-in (allauth.mfa). Every staff member of the cast has an authenticator
    # app; clients have none. Changing a factor asks for the password again first (302 to
    # reauthenticate: these tests sign in without a recent password).
    "mfa_index": (None, {"GET": signed_in(200), "POST": signed_in(405)}),
    "mfa_authenticate": (None, {"GET": everyone(302), "POST": everyone(302)}),
    "mfa_reauthenticate": (None, {"GET": STAFF_200, "POST": STAFF_200}),
    "mfa_activate_totp": (None, {"GET": signed_in(302), "POST": signed_in(302)}),
    "mfa_deactivate_totp": (None, {"GET": STAFF_302, "POST": STAFF_302}),
    "mfa_view_recovery_codes": (None, {"GET": signed_in(404), "POST": signed_in(405)}),
    "mfa_generate_recovery_codes": (None, {"GET": signed_in(302), "POST": signed_in(302)}),
    "mfa_download_recovery_codes": (None, {"GET": signed_in(404), "POST": signed_in(404)}),
    "mfa_list_webauthn": (None, {"GET": signed_in(200), "POST": signed_in(405)}),
    "mfa_add_webauthn": (None, {"GET": signed_in(302), "POST": signed_in(302)}),
    "mfa_reauthenticate_webauthn": (None, {"GET": signed_in(302), "POST": signed_in(302)}),
    "mfa_edit_webauthn": (
        lambda c, r: {"pk": 999999},
        {"GET": signed_in(302), "POST": signed_in(302)},
    ),
    "mfa_remove_webauthn": (
        lambda c, r: {"pk": 999999},
        {"GET": signed_in(302), "POST": signed_in(302)},
    ),
    # Everyone lists and ends only their own sessions (POST redirects back to the list).
    "usersessions_list": (None, {"GET": signed_in(200), "POST": signed_in(302)}),
    # Only one's own session ends; any other id answers the same redirect (nothing leaks).
    "user_session_end": (
        lambda c, r: {"session_id": 999999},
        {"GET": signed_in(405), "POST": signed_in(302)},
    ),
    "portal_home": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "caseload": (
        None,
        {
            "GET": only({"therapist": 200, "other_therapist": 200, "supervisor": 200}),
            "POST": signed_in(405),
        },
    ),
    "client_invite": (
        None,
        {
            "GET": only({"therapist": 200, "other_therapist": 200}),
            "POST": only({"therapist": 400, "other_therapist": 400}),
        },
    ),
    "client_record": (
        lambda c, r: {"client_id": c.dana.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 200}),
            "POST": signed_in(405),
        },
    ),
    "session_add": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 403, "client": 403}),
            "POST": only({"therapist": 400, "supervisor": 403, "client": 403}),
        },
    ),
    "episode_close": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {"GET": only({"therapist": 200, "supervisor": 403, "client": 403})},
    ),
    "checkin_fill": (
        lambda c, r: {"administration_id": r.pending.pk},
        {"GET": only({"client": 200}), "POST": only({"client": 400})},
    ),
    "checkin_done": (
        lambda c, r: {"administration_id": r.done.pk},
        {"GET": only({"client": 200}), "POST": signed_in(405)},
    ),
    "questionnaire_request": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 403, "client": 403}),
            "POST": only({"therapist": 400, "supervisor": 403, "client": 403}),
        },
    ),
    "response_detail": (
        lambda c, r: {"response_id": r.response.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "response_fhir": (
        lambda c, r: {"response_id": r.response.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "alert_list": (
        None,
        {"GET": only({"therapist": 200, "other_therapist": 200, "supervisor": 200})},
    ),
    "alert_detail": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "alert_acknowledge": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": signed_in(405), "POST": only({"therapist": 400, "supervisor": 400, "client": 403})},
    ),
    "alert_resolve": (
        lambda c, r: {"alert_id": r.alert.pk},
        {"GET": signed_in(405), "POST": only({"therapist": 302, "supervisor": 302, "client": 403})},
    ),
    "client_progress": (
        lambda c, r: {"client_id": c.dana.pk},
        {"GET": only({"therapist": 200, "supervisor": 200}), "POST": signed_in(405)},
    ),
    "my_access_log": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "my_progress": (
        None,
        {"GET": only({"client": 200, "other_client": 200}), "POST": signed_in(405)},
    ),
    "schedule_edit": (
        lambda c, r: {"episode_id": c.dana_episode.pk},
        {
            "GET": only({"therapist": 200, "supervisor": 403, "client": 403}),
            "POST": only({"therapist": 302, "supervisor": 403, "client": 403}),
        },
    ),
    # A POST works the report's figures out now and shows the page again.
    "practice_report": (
        None,
        {
            "GET": only({"supervisor": 200, "admin": 200}),
            "POST": only({"supervisor": 302, "admin": 302}),
        },
    ),
    # A POST works the report's figures out now and shows the page again.
    "alert_accuracy": (
        None,
        {
            "GET": only({"supervisor": 200, "admin": 200}),
            "POST": only({"supervisor": 302, "admin": 302}),
        },
    ),
    "practice_people": (None, {"GET": only({"admin": 200}), "POST": signed_in(405)}),
    "staff_invite": (None, {"GET": only({"admin": 200}), "POST": only({"admin": 400})}),
    "invitation_withdraw": (
        lambda c, r: {"invitation_id": 999999},
        {"GET": signed_in(405), "POST": only({"admin": 404})},
    ),
    "person_set_active": (
        lambda c, r: {"user_id": c.dana.pk},
        {"GET": signed_in(405), "POST": only({"admin": 302})},
    ),
    "audit_log": (None, {"GET": only({"admin": 200}), "POST": signed_in(405)}),
}
# Each feature of the client's voice keeps its rows beside the others, in matrix_rows/.
for _rows in (
    plans.ROWS,
    preferences.ROWS,
    exercises.ROWS,
    messaging.ROWS,
    safety.ROWS,
    records.ROWS,
    preparation.ROWS,
    api.ROWS,
    api_v1.ROWS,
    notes.ROWS,
    smart.ROWS,
    webhooks.ROWS,
    oauth.ROWS,
):
    assert not MATRIX.keys() & _rows.keys(), "a URL has two rows"
    MATRIX.update(_rows)


def all_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"URL pattern {pattern.pattern} has no name"
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return names


def test_every_url_has_a_row() -> None:
    missing = all_url_names() - MATRIX.keys()
    assert not missing, f"URLs with no expected outcome in the access matrix: {sorted(missing)}"
    stale = MATRIX.keys() - all_url_names()
    assert not stale, f"Rows for URLs that no longer exist: {sorted(stale)}"


def user_for(cast: Cast, role: str) -> Any:
    return {
        "anon": None,
        "client": cast.dana,
        "other_client": cast.eve,
        "therapist": cast.alice,
        "other_therapist": cast.charlie,
        "supervisor": cast.sam,
        "admin": cast.ada,
    }[role]


CASES = [
    (name, method, role)
    for name, (_, methods) in MATRIX.items()
    for method, outcomes in methods.items()
    for role in ROLES
    if role in outcomes
]


@dataclass
class Records:
    pending: Any
    done: Any
    response: Any
    alert: Any


def make_records(cast: Cast) -> Records:
    """Dana has one questionnaire waiting and one answered with a risk item (so an alert)."""
    from alliance.checkins.services import response_submit
    from alliance.measures.services import administration_request

    pending = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    done = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response = response_submit(
        actor=cast.dana, administration=done, answers=[0, 0, 0, 0, 0, 0, 0, 0, 1]
    )
    return Records(pending, done, response, response.alerts.get())


@pytest.fixture
def records(cast: Cast) -> Records:
    return make_records(cast)


@pytest.mark.parametrize(("name", "method", "role"), CASES)
def test_access_matrix(cast: Cast, records: Records, name: str, method: str, role: str) -> None:
    from django.urls import reverse

    make_kwargs, methods = MATRIX[name]
    url = reverse(name, kwargs=make_kwargs(cast, records) if make_kwargs else None)
    client = Client()
    user = user_for(cast, role)
    if user is not None:
        client.force_login(user)
    response = client.get(url) if method == "GET" else client.post(url, {})
    expected = methods[method][role]
    assert response.status_code == expected, (
        f"{method} {url} as {role}: expected {expected}, got {response.status_code}"
    )
    if expected in (403, 404) and role not in ("client",):
        # Nothing of the record leaks into a refusal.
        assert cast.dana.preferred_name.encode() not in response.content


def test_every_role_is_asked_about_every_url_method() -> None:
    for name, (_, methods) in MATRIX.items():
        for method, outcomes in methods.items():
            assert set(outcomes) == set(ROLES), f"{name} {method} misses a role"
