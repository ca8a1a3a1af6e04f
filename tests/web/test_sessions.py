"""Sessions: a new key at sign-in, gone at sign-out, staff signed out when idle."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from alliance.web.middleware import IDLE_SESSION_KEY, STARTED_SESSION_KEY
from tests.conftest import Cast, sign_in, signed_in


def test_sign_in_issues_a_new_session_key(cast: Cast) -> None:
    client = Client()
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    assert before
    sign_in(client, "alice@example.test")
    after = client.session.session_key
    assert after != before
    assert not SessionStore().exists(before)


def test_sign_out_deletes_the_session_on_the_server(cast: Cast) -> None:
    client = Client()
    sign_in(client, "dana@example.test")
    key = client.session.session_key
    assert SessionStore().exists(key)
    client.post(reverse("account_logout"))
    assert not SessionStore().exists(key)
    # Replaying the old cookie gets nobody in.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("portal_home")).status_code == 302


def _backdate(client: Client, key: str, seconds: int) -> None:
    """Set the session's clock ``key`` (idle or start) to ``seconds`` ago."""
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def _idle_for(client: Client, seconds: int) -> None:
    _backdate(client, IDLE_SESSION_KEY, seconds)


def test_staff_are_signed_out_after_the_idle_limit(cast: Cast) -> None:
    client = signed_in(cast.alice)
    assert client.get(reverse("caseload")).status_code == 200
    key = client.session.session_key
    _idle_for(client, 15 * 60 + 1)
    response = client.get(reverse("caseload"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))  # type: ignore[attr-defined]
    assert not SessionStore().exists(key)
    page = client.get(response.url).content.decode()  # type: ignore[attr-defined]
    assert "signed out after 15 minutes without activity" in page


def test_staff_activity_within_the_limit_keeps_them_signed_in(cast: Cast) -> None:
    client = signed_in(cast.alice)
    client.get(reverse("caseload"))
    _idle_for(client, 14 * 60)
    assert client.get(reverse("caseload")).status_code == 200
    # Each request restarts the clock.
    assert int(time.time()) - client.session[IDLE_SESSION_KEY] < 5


def test_the_idle_limit_is_configurable(cast: Cast, settings: Any) -> None:
    settings.STAFF_IDLE_MINUTES = 5
    client = signed_in(cast.sam)
    client.get(reverse("caseload"))
    _idle_for(client, 6 * 60)
    assert client.get(reverse("caseload")).status_code == 302


def test_clients_have_no_idle_limit_only_the_absolute_one(cast: Cast) -> None:
    client = signed_in(cast.dana)
    client.get(reverse("portal_home"))
    _idle_for(client, 60 * 60)
    assert client.get(reverse("portal_home")).status_code == 200
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_HOURS * 3600 == 12 * 3600


def test_session_limits_come_from_the_environment() -> None:
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'alliance.settings'; "
        "from django.conf import settings; "
        "print(settings.SESSION_COOKIE_AGE, settings.STAFF_IDLE_MINUTES)"
    )
    env = {
        "ALLIANCE_TESTING": "1",
        "ALLIANCE_SESSION_MAX_HOURS": "8",
        "ALLIANCE_STAFF_IDLE_MINUTES": "10",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["28800", "10"]
    env["ALLIANCE_STAFF_IDLE_MINUTES"] = "0"
    refused = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True)
    assert refused.returncode != 0 and b"at least 1" in refused.stderr


def _started(client: Client, seconds_ago: int) -> None:
    _backdate(client, STARTED_SESSION_KEY, seconds_ago)


def test_an_active_staff_member_is_still_signed_out_at_the_absolute_limit(cast: Cast) -> None:
    # The idle clock is fresh on every request, and saving the session moves Django's own
    # expiry forward: only the recorded start enforces ALLIANCE_SESSION_MAX_HOURS.
    client = signed_in(cast.alice)
    assert client.get(reverse("caseload")).status_code == 200
    key = client.session.session_key
    _started(client, 12 * 3600 + 1)
    response = client.get(reverse("caseload"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))  # type: ignore[attr-defined]
    assert not SessionStore().exists(key)


def test_clients_have_the_same_absolute_limit_and_no_idle_one(cast: Cast, settings: Any) -> None:
    settings.SESSION_MAX_HOURS = 2
    client = signed_in(cast.dana)
    assert client.get(reverse("portal_home")).status_code == 200
    _started(client, 3600)
    assert client.get(reverse("portal_home")).status_code == 200
    _started(client, 2 * 3600 + 1)
    assert client.get(reverse("portal_home")).status_code == 302


def test_an_ordinary_page_view_writes_nothing_and_activity_is_kept_once_a_minute(
    cast: Cast,
) -> None:
    from allauth.usersessions.models import UserSession
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alliance.web.middleware import SEEN_SESSION_KEY
    from tests.conftest import sign_in

    client = Client()
    sign_in(client, "alice@example.test")
    client.get(reverse("caseload"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("caseload")).status_code == 200
    writes = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))
    ]
    assert writes == []
    row = UserSession.objects.get(session_key=client.session.session_key)
    # A minute later the session list's "last active" moves, and the idle clock with it.
    session = client.session
    session[SEEN_SESSION_KEY][0] -= 61
    session[IDLE_SESSION_KEY] -= 61
    session.save()
    client.get(reverse("caseload"))
    later = UserSession.objects.get(pk=row.pk)
    assert later.last_seen_at > row.last_seen_at
    assert int(time.time()) - client.session[IDLE_SESSION_KEY] < 5
    # Another browser on the same session is recorded at once.
    client.get(reverse("caseload"), HTTP_USER_AGENT="Another browser/1.0")
    assert UserSession.objects.get(pk=row.pk).user_agent == "Another browser/1.0"
