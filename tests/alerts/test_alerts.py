from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from alliance.alerts.models import Alert
from alliance.alerts.services import alert_acknowledge, alert_resolve
from alliance.audit.models import AuditEvent
from alliance.care.services import episode_close
from alliance.checkins.services import response_submit
from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in


@pytest.fixture
def alert(cast: Cast) -> Alert:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response_submit(actor=cast.dana, administration=administration, answers=[0] * 8 + [1])
    return Alert.objects.get()


def test_urgent_banner_on_every_workspace_page_until_acknowledged(cast: Cast, alert: Alert) -> None:
    for user in (cast.alice, cast.sam):
        for url in (reverse("caseload"), reverse("profile"), reverse("alert_list")):
            assert "needs your attention now" in signed_in(user).get(url).content.decode()
    assert (
        "needs your attention"
        not in signed_in(cast.charlie).get(reverse("caseload")).content.decode()
    )
    alert_acknowledge(actor=cast.alice, alert=alert, note="Called Dana; safety plan reviewed.")
    assert (
        "needs your attention"
        not in signed_in(cast.alice).get(reverse("caseload")).content.decode()
    )


def test_acknowledging_needs_a_note(cast: Cast, alert: Alert) -> None:
    client = signed_in(cast.alice)
    response = client.post(reverse("alert_acknowledge", args=[alert.pk]), {"note": "   "})
    assert response.status_code == 400
    assert Alert.objects.get().status == "open"
    with pytest.raises(ValidationError):
        alert_acknowledge(actor=cast.alice, alert=alert, note="")


def test_acknowledge_then_resolve_each_audited(cast: Cast, alert: Alert) -> None:
    client = signed_in(cast.alice)
    response = client.post(
        reverse("alert_acknowledge", args=[alert.pk]), {"note": "Phoned the same day."}
    )
    assert response.status_code == 302
    stored = Alert.objects.get()
    assert (stored.status, stored.acknowledged_by, stored.acknowledgement_note) == (
        "acknowledged",
        cast.alice,
        "Phoned the same day.",
    )
    client.post(reverse("alert_resolve", args=[alert.pk]), {"note": "Risk assessed as low."})
    assert Alert.objects.get().status == "resolved"
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions.index("alert_acknowledged") < actions.index("alert_resolved")
    event = AuditEvent.objects.get(action="alert_acknowledged")
    assert (event.actor_id, event.client_id, event.target_id) == (
        cast.alice.pk,
        cast.dana.pk,
        alert.pk,
    )


def test_cannot_resolve_before_acknowledging_or_twice(cast: Cast, alert: Alert) -> None:
    with pytest.raises(ValidationError, match="Acknowledge"):
        alert_resolve(actor=cast.alice, alert=alert)
    alert_acknowledge(actor=cast.alice, alert=alert, note="Seen.")
    with pytest.raises(ValidationError, match="already been acknowledged"):
        alert_acknowledge(actor=cast.alice, alert=alert, note="Again.")
    alert_resolve(actor=cast.alice, alert=alert)
    with pytest.raises(ValidationError, match="already resolved"):
        alert_resolve(actor=cast.alice, alert=alert)


def test_supervisor_may_acknowledge_and_closed_episode_alerts_can_still_be_answered(
    cast: Cast, alert: Alert
) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    response = signed_in(cast.sam).post(
        reverse("alert_acknowledge", args=[alert.pk]), {"note": "Covered for Alice."}
    )
    assert response.status_code == 302
    assert Alert.objects.get().acknowledged_by == cast.sam


def test_acknowledgement_note_is_encrypted_at_rest(cast: Cast, alert: Alert) -> None:
    alert_acknowledge(actor=cast.alice, alert=alert, note="SENTINEL-note-77")
    with connection.cursor() as cursor:
        cursor.execute("SELECT acknowledgement_note FROM alerts_alert")
        raw = cursor.fetchone()[0]
    assert "SENTINEL" not in raw


def test_alert_page_explains_and_links_to_the_answers(cast: Cast, alert: Alert) -> None:
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "risk item on the Patient Health Questionnaire-9" in page
    assert reverse("response_detail", args=[alert.response_id]) in page
    assert "proper risk assessment" in page


def risk_answers(cast: Cast, client: str = "dana", at: Any = None) -> Alert:
    """A PHQ-9 with item 9 answered "several days": a new risk alert."""
    person = getattr(cast, client)
    episode = getattr(cast, f"{client}_episode")
    administration = administration_request(
        actor=cast.alice, episode=episode, instrument_id="phq-9"
    )
    response = response_submit(
        actor=person,
        administration=administration,
        answers=[0] * 8 + [1],
        **({"submitted_at": at} if at is not None else {}),
    )
    return Alert.objects.get(response=response)


def test_the_banner_counts_clients_not_alerts(cast: Cast) -> None:
    risk_answers(cast)
    risk_answers(cast)
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert "1 client needs your attention now." in page
    risk_answers(cast, "eve")
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert "2 clients need your attention now." in page


def test_acknowledging_the_newest_risk_alert_acknowledges_the_older_open_ones(
    cast: Cast,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    older = risk_answers(cast, at=timezone.now() - timedelta(days=2))
    newer = risk_answers(cast)
    other_client = risk_answers(cast, "eve", at=timezone.now() - timedelta(days=3))
    alert_acknowledge(actor=cast.alice, alert=newer, note="Phoned Dana; risk assessed.")
    older.refresh_from_db()
    assert older.status == "acknowledged"
    assert older.acknowledged_by == cast.alice
    assert older.acknowledged_with == newer
    # Eve's alert is another person's and stays open.
    other_client.refresh_from_db()
    assert other_client.status == "open"
    events = AuditEvent.objects.filter(action="alert_acknowledged")
    assert set(events.values_list("target_id", flat=True)) == {older.pk, newer.pk}
    caseload = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert caseload.count("Urgent: risk") == 1  # Eve only
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[older.pk])).content.decode()
    assert "Acknowledged with the newer alert of" in page
    assert reverse("alert_detail", args=[newer.pk]) in page
    # Resolving the newer alert resolves those acknowledged with it.
    alert_resolve(actor=cast.alice, alert=newer, note="Safety plan updated together.")
    older.refresh_from_db()
    assert older.status == "resolved" and older.resolved_by == cast.alice


def test_acknowledging_an_older_risk_alert_leaves_the_newer_one_open(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone

    older = risk_answers(cast, at=timezone.now() - timedelta(days=2))
    newer = risk_answers(cast)
    alert_acknowledge(actor=cast.alice, alert=older, note="Seen the first answer.")
    newer.refresh_from_db()
    assert newer.status == "open"
    page = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert "Urgent: risk" in page
    assert "1 client needs your attention now." in page


def test_risk_alert_page_shows_the_answer_that_raised_it_and_the_ways_to_the_client(
    cast: Cast, alert: Alert
) -> None:
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "Thoughts that you would be better off dead or of hurting yourself" in page
    assert "Several days" in page
    for url in (
        reverse("client_record", args=[cast.dana.pk]),
        reverse("client_safety_plan", args=[cast.dana.pk]),
        reverse("episode_messages", args=[cast.dana_episode.pk]),
    ):
        assert f'href="{url}"' in page, url


def test_the_answers_on_an_alert_page_are_in_the_readers_language(cast: Cast, alert: Alert) -> None:
    cast.alice.language = "es"
    cast.alice.save()
    page = signed_in(cast.alice).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "Pensamientos de que estaría mejor muerto(a)" in page
    assert "Varios días" in page
    assert "Several days" not in page


def test_not_on_track_alert_page_shows_the_answers_of_the_response_that_raised_it(
    cast: Cast,
) -> None:
    from tests.alerts.test_rules import phq9_history

    phq9_history(cast, [6, 12])
    alert = Alert.objects.get(kind="not_on_track")
    page = signed_in(cast.sam).get(reverse("alert_detail", args=[alert.pk])).content.decode()
    assert "Little interest or pleasure in doing things" in page
    assert "More than half the days" in page or "Nearly every day" in page
    assert f'href="{reverse("client_safety_plan", args=[cast.dana.pk])}"' in page


def test_the_demo_answers_old_alerts_even_when_one_covers_another(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alliance.web.demo import _answer_old_alerts

    risk_answers(cast, at=timezone.now() - timedelta(days=30))
    risk_answers(cast, at=timezone.now() - timedelta(days=20))
    _answer_old_alerts(cast.dana_episode, cast.alice, before=timezone.now())
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
