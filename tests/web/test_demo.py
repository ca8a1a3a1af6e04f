from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from alliance.accounts.models import User
from alliance.audit.models import AuditEvent
from alliance.audit.services import verify_chain
from alliance.care.models import Episode, Session
from alliance.exercises.models import Assignment, Entry
from alliance.messaging.models import Message, OfficeHours
from alliance.notes.models import SessionSummary, SummaryReply
from alliance.plans.models import Goal, GoalRating
from alliance.preferences.models import AgendaItem, CulturalProfile, TreatmentPreferences
from alliance.safety.models import SafetyPlanVersion
from alliance.web.demo import DEMO_PASSWORD, load_demo_practice

# Every test here reads the one demo practice loaded for this module (tests/conftest.py):
# loading it takes most of a minute.


def test_demo_practice_has_the_promised_people(demo_practice: Any) -> None:
    emails = set(User.objects.values_list("email", flat=True))
    expected = {"admin@demo.test", "supervisor@demo.test"}
    expected |= {f"therapist{n}@demo.test" for n in (1, 2, 3)}
    expected |= {f"client{n}@demo.test" for n in range(1, 39)}
    assert emails == expected
    for email in expected:
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD), email
    roles = dict(User.objects.values_list("email", "role"))
    assert roles["admin@demo.test"] == "admin"
    assert roles["supervisor@demo.test"] == "supervisor"
    assert roles["therapist2@demo.test"] == "therapist"
    assert roles["client30@demo.test"] == "client"
    languages = dict(User.objects.values_list("email", "language"))
    assert (languages["therapist1@demo.test"], languages["client1@demo.test"]) == ("en", "en")
    assert languages["client2@demo.test"] == "es"
    assert len(set(User.objects.values_list("pronouns", flat=True))) >= 4


def test_every_demo_client_is_in_an_episode_and_client1_2_are_therapist1s(
    demo_practice: Any,
) -> None:
    for number in range(1, 31):
        assert Episode.objects.filter(client__email=f"client{number}@demo.test").count() == 1
    for number in (1, 2):
        episode = Episode.objects.get(client__email=f"client{number}@demo.test")
        assert episode.therapist.email == "therapist1@demo.test"
        assert episode.supervisor is not None
        assert episode.supervisor.email == "supervisor@demo.test"
    assert Episode.objects.filter(status="closed").exists()
    assert Session.objects.count() > 30 * 4


def test_demo_clients_whose_care_ended_give_the_alert_audit_outcomes_to_count(
    demo_practice: Any,
) -> None:
    from alliance.alerts.reports import alert_accuracy_audit

    for number in range(31, 39):
        episode = Episode.objects.get(client__email=f"client{number}@demo.test")
        assert episode.status == "closed"
        assert episode.closed_at < timezone.now() - timedelta(days=25)
        assert not episode.alerts.filter(status="open").exists()
    audit = alert_accuracy_audit()
    # The demo's own closed episode and the eight whose care ended months ago.
    assert audit.n_episodes == 9
    assert audit.n_deteriorated >= 1 and audit.n_deteriorated_alerted >= 1
    assert audit.n_good_outcome >= 4


CLIENTS_VOICE = (
    SessionSummary,
    SummaryReply,
    Goal,
    GoalRating,
    TreatmentPreferences,
    AgendaItem,
    CulturalProfile,
    SafetyPlanVersion,
    Assignment,
    Entry,
    Message,
    OfficeHours,
    AuditEvent,
)


def test_the_workers_round_finds_the_demo_as_it_would_have_made_it(demo_practice: Any) -> None:
    """Every open demo episode is due (sessions were planned through the services): the
    first round visits each once, adds no check-in and raises no second alert; the next
    finds nothing due."""
    from tests.web.test_scale import assert_the_round_finds_all_in_place

    assert_the_round_finds_all_in_place()


def test_loading_twice_changes_nothing(demo_practice: Any) -> None:
    first = demo_practice  # the module's load, into an empty database
    counts = (User.objects.count(), Episode.objects.count(), Session.objects.count())
    voice = [model.objects.count() for model in CLIENTS_VOICE]
    second = load_demo_practice(max_weeks=8)
    assert (User.objects.count(), Episode.objects.count(), Session.objects.count()) == counts
    assert [model.objects.count() for model in CLIENTS_VOICE] == voice
    assert first.created_people == 43 and second.created_people == 0
    assert second.created_sessions == 0
    assert verify_chain().ok


def test_demo_command_without_serving_prints_the_logins(demo_practice: Any, capsys: Any) -> None:
    call_command("demo", "--no-serve", "--max-weeks", "4")
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8000/" in out
    assert "demo-password" in out
    for email in (
        "admin@demo.test",
        "supervisor@demo.test",
        "therapist3@demo.test",
        "client1@demo.test",
        "client30@demo.test",
    ):
        assert email in out


def test_demo_logins_work(demo_practice: Any) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "client2@demo.test", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get("/me/").content.decode()
    assert "Hola, Mateo" in page and "Jordan Okafor" in page


def test_demo_shows_every_alert_type(demo_practice: Any) -> None:
    from alliance.alerts.models import Alert

    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert {"risk", "disengagement", "rupture"} <= kinds
    risk = Alert.objects.get(kind="risk")
    assert (risk.client.email, risk.status) == ("client1@demo.test", "open")
    assert Alert.objects.filter(kind="disengagement", client__email="client13@demo.test").exists()
    assert Alert.objects.filter(
        kind="rupture", status="open", client__email="client25@demo.test"
    ).exists()


def test_demo_staff_have_a_known_authenticator_and_clients_none(
    demo_practice: Any, capsys: Any
) -> None:
    from alliance.accounts.mfa import demo_totp_secret, has_second_factor, totp_secret_of
    from alliance.web.demo import STAFF

    call_command("demo", "--no-serve", "--max-weeks", "4")
    out = capsys.readouterr().out
    for email in STAFF:
        secret = demo_totp_secret(email)
        assert totp_secret_of(User.objects.get(email=email)) == secret
        line = next(line for line in out.splitlines() if line.strip().startswith(email))
        assert line.rstrip().endswith(secret), line
    assert len(set(map(demo_totp_secret, STAFF))) == len(STAFF)
    assert not has_second_factor(User.objects.get(email="client1@demo.test"))
    assert "alliance demo-code" in out


def test_a_demo_therapist_signs_in_with_the_printed_secret(demo_practice: Any) -> None:
    from alliance.accounts.mfa import demo_totp_secret, totp_code

    client = Client()
    client.post("/accounts/login/", {"login": "therapist1@demo.test", "password": DEMO_PASSWORD})
    client.post(
        "/accounts/two-factor/authenticate/",
        {"code": totp_code(demo_totp_secret("therapist1@demo.test"))},
    )
    assert client.get("/clinic/").status_code == 200


def test_demo_code_prints_the_current_code_in_debug_only(
    demo_practice: Any, capsys: Any, settings: Any
) -> None:
    import time

    import pytest
    from django.core.management import CommandError

    from alliance.accounts.mfa import demo_totp_secret, totp_code

    settings.DEBUG = False
    with pytest.raises(CommandError, match="ALLIANCE_DEBUG"):
        call_command("demo-code", "therapist1@demo.test")
    settings.DEBUG = True
    call_command("demo-code", "therapist1@demo.test")
    printed = capsys.readouterr().out.strip()
    secret = demo_totp_secret("therapist1@demo.test")
    # The 30-second window may have turned between printing and checking.
    assert printed in (totp_code(secret), totp_code(secret, at=time.time() - 30))
    with pytest.raises(CommandError, match="not a demo staff account"):
        call_command("demo-code", "client1@demo.test")


def test_in_the_demo_practice_every_client_with_a_risk_alert_has_a_plan(
    demo_practice: Any,
) -> None:
    from alliance.alerts.models import Alert, AlertKind
    from alliance.safety.models import SafetyPlan

    episodes = list(Episode.objects.filter(status="open"))
    with_plan = set(SafetyPlan.objects.values_list("client_id", flat=True))
    at_risk = set(
        Alert.objects.filter(kind=AlertKind.RISK, episode__status="open").values_list(
            "episode__client_id", flat=True
        )
    )
    assert at_risk and at_risk <= with_plan
    assert 0 < len(with_plan) < len(episodes)  # not everyone: it is a choice, not a form


def test_the_clients_voice_comes_after_the_episode_opened(demo_practice: Any) -> None:
    """The demo backdates each episode after making its sessions; plans and exercises are
    dated from the episode's real start, so goals are rated after they were set."""
    from django.db.models import F

    assert GoalRating.objects.exists() and Assignment.objects.exists()
    assert not GoalRating.objects.filter(rated_at__lt=F("goal__created_at")).exists()
    assert not Goal.objects.filter(created_at__lt=F("episode__opened_at")).exists()
    assert not Assignment.objects.filter(assigned_at__lt=F("episode__opened_at")).exists()


def test_therapist1_has_an_open_alert_of_each_kind(demo_practice: Any) -> None:
    """A newcomer signing in as therapist1 sees every kind of alert in their own caseload."""
    from alliance.alerts.models import Alert

    open_alerts = Alert.objects.filter(
        episode__therapist__email="therapist1@demo.test", episode__status="open", status="open"
    )
    kinds = set(open_alerts.values_list("kind", flat=True))
    assert kinds == {"risk", "not_on_track", "rupture", "disengagement"}
    # The clients README.md's tour names.
    for kind, email in (
        ("risk", "client1@demo.test"),
        ("not_on_track", "client3@demo.test"),
        ("rupture", "client27@demo.test"),
        ("disengagement", "client30@demo.test"),
    ):
        assert open_alerts.filter(kind=kind, client__email=email).exists(), (kind, email)


def test_therapist1_prepares_client1s_next_session_from_the_demo(demo_practice: Any) -> None:
    """The demo's client1 has a session booked with therapist1 in two days: its
    preparation page has something in it, and the caseload links to it."""
    from django.urls import reverse

    upcoming = (
        Session.objects.filter(
            episode__client__email="client1@demo.test", starts_at__gt=timezone.now()
        )
        .order_by("starts_at")
        .first()
    )
    assert upcoming is not None
    assert upcoming.episode.therapist.email == "therapist1@demo.test"
    url = reverse("session_prepare", kwargs={"session_id": upcoming.pk})
    client = Client()
    client.force_login(User.objects.get(email="therapist1@demo.test"))
    assert url in client.get(reverse("caseload")).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "No open alerts." not in text  # client1 has an open risk alert
    assert "No session feedback since the last session." not in text


def test_therapist1s_clients_have_signed_summaries_with_replies(demo_practice: Any) -> None:
    mine = SessionSummary.objects.filter(
        session__episode__therapist__email="therapist1@demo.test", signed_at__isnull=False
    )
    assert mine.exists()
    assert not SessionSummary.objects.exclude(
        session__episode__therapist__email="therapist1@demo.test"
    ).exists()
    partly = SummaryReply.objects.filter(summary__in=mine, recognised="partly")
    assert partly.exists()
    assert all(reply.text and reply.is_answered for reply in partly)
    client1 = mine.filter(session__episode__client__email="client1@demo.test")
    newest = client1.order_by("-session__starts_at").first()
    assert newest is not None and newest.client_read_at is None
    assert not SummaryReply.objects.filter(summary=newest).exists()
    assert client1.filter(client_read_at__isnull=False).exists()


def test_demo_command_adds_a_scale_practice(demo_practice: Any, capsys: Any) -> None:
    call_command("demo", "--no-serve", "--max-weeks", "4", "--scale", "12")
    out = capsys.readouterr().out
    assert "clients 12/12" in out
    for email in (
        "admin@demo.test",
        "client30@demo.test",
        "admin@scale.test",
        "client1@scale.test",
    ):
        assert email in out
    assert User.objects.filter(email__endswith="@scale.test", role="client").count() == 12
    # The documented demo accounts are still the demo's, unchanged.
    assert User.objects.filter(email__endswith="@demo.test").count() == 43
