from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliance.alerts.models import Alert
from alliance.measures.models import Administration, Response
from alliance.measures.schedules import schedule_update, session_plan
from alliance.measures.services import administration_request
from tests.conftest import Cast, signed_in
from tests.web.started_at_values import MALFORMED_STARTED_AT

LA = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}


def phq9_post(values: list[int]) -> dict[str, str]:
    return {f"phq9-{n}": LA[v] for n, v in enumerate(values, start=1)}


def test_due_questionnaire_shows_on_the_client_home(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="gad-7"
    )
    page = signed_in(cast.dana).get(reverse("portal_home")).content.decode()
    assert reverse("checkin_fill", args=[administration.pk]) in page
    assert "Ready for you" in page


def test_form_has_a_fieldset_and_legend_per_question(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    page = (
        signed_in(cast.dana).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    assert page.count("<fieldset") == 10 and page.count("<legend") == 10
    assert "Over the last 2 weeks" in page
    assert 'type="radio"' in page


def test_spanish_client_gets_the_official_spanish_form(cast: Cast) -> None:
    episode = cast.eve_episode
    administration = administration_request(
        actor=cast.alice, episode=episode, instrument_id="phq-9"
    )
    page = (
        signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    assert "Poco interés o placer en hacer cosas" in page


def test_english_only_instrument_says_so(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id="audit-c"
    )
    page = (
        signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    assert "disponible en inglés" in page


def test_spanish_client_answers_the_gad7_in_the_official_spanish(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id="gad-7"
    )
    page = (
        signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    # Typed from shared/clinical/FOUND_SOURCES.md, not read from the definition.
    for spanish in [
        "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
        "siguientes problemas?",
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        "Ha tenido miedo de que algo terrible fuera a pasar",
        "Ningún día",
        "Más de la mitad de los días",
    ]:
        assert spanish in page, spanish
    for english in ["Over the last 2 weeks", "Trouble relaxing", "Several days", "Not at all"]:
        assert english not in page, english
    assert "disponible en inglés" not in page
    assert "<h1>Registro de la preocupación</h1>" in page
    assert "GAD-7" not in page and "Generalized Anxiety" not in page


@pytest.mark.parametrize("instrument_id", ["phq-9", "phq-2", "gad-7", "gad-2", "session-feedback"])
def test_spanish_client_does_every_check_in_with_official_spanish_in_spanish(
    cast: Cast, instrument_id: str
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id=instrument_id
    )
    page = (
        signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    assert "disponible en inglés" not in page
    assert '<span lang="en">' not in page


@pytest.mark.parametrize("instrument_id", ["phq-15", "pcl-5", "audit-c"])
def test_a_form_with_no_official_spanish_is_marked_as_english(
    cast: Cast, instrument_id: str
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id=instrument_id
    )
    page = (
        signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    # The note is in Spanish; the questions and answers are marked as English for screen
    # readers.
    assert '<p class="note">Este cuestionario solo está disponible en inglés.</p>' in page
    assert page.count('<span lang="en">') > 2


def test_clients_see_a_short_plain_name_clinicians_the_formal_one(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    home = signed_in(cast.dana).get(reverse("portal_home")).content.decode()
    assert "Start: Mood check-in" in home
    assert "Patient Health Questionnaire" not in home and "PHQ-9" not in home
    page = (
        signed_in(cast.dana).get(reverse("checkin_fill", args=[administration.pk])).content.decode()
    )
    assert "<h1>Mood check-in</h1>" in page and "PHQ-9" not in page
    eve = administration_request(actor=cast.alice, episode=cast.eve_episode, instrument_id="pcl-5")
    home = signed_in(cast.eve).get(reverse("portal_home")).content.decode()
    assert "Comenzar: Registro sobre una experiencia difícil" in home
    assert reverse("checkin_fill", args=[eve.pk]) in home
    assert "PTSD" not in home
    record = signed_in(cast.alice).get(reverse("client_record", args=[cast.eve.pk]))
    assert "PTSD Checklist for DSM-5 (PCL-5)" in record.content.decode()


def test_submitting_shows_a_plain_language_result(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    response = client.post(
        reverse("checkin_fill", args=[administration.pk]), phq9_post([2, 2, 2, 1, 1, 1, 1, 1, 0])
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()  # type: ignore[attr-defined]
    assert "your answers are saved" in page
    assert "things have been hard lately" in page
    assert "988" not in page
    assert Response.objects.get().total == 11


def test_missing_answers_are_explained_and_nothing_is_saved(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    data = phq9_post([1] * 9)
    del data["phq9-4"]
    data["phq9-5"] = "not-a-code"
    response = signed_in(cast.dana).post(reverse("checkin_fill", args=[administration.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please choose an answer." in page
    assert "Select a valid choice" in page
    assert not Response.objects.exists()


def test_double_submit_and_back_button_save_once(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    first = client.post(url, phq9_post([1] * 9))
    second = client.post(url, phq9_post([3] * 9))
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("checkin_done", args=[administration.pk])  # type: ignore[attr-defined]
    assert client.get(url).status_code == 302
    assert Response.objects.count() == 1 and Response.objects.get().total == 9


def test_risk_answer_brings_crisis_resources_and_an_email_without_health_information(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("checkin_fill", args=[administration.pk]), phq9_post([0] * 8 + [1])
        )
    page = client.get(response.url).content.decode()  # type: ignore[attr-defined]
    assert "You don&#x27;t have to face this alone" in page or "face this alone" in page
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    alert = Alert.objects.get()
    assert alert.notification == "sent"
    (message,) = mail.outbox
    assert message.to == ["alice@example.test"]
    text = (message.subject + message.body).lower()
    assert "attention" in text and "sign in" in text
    for word in ("dana", "phq", "risk", "suicid", "item", "depress"):
        assert word not in text


def test_crisis_resources_follow_the_clients_country(cast: Cast) -> None:
    cast.dana.country = "GB"
    cast.dana.save()
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    response = client.post(
        reverse("checkin_fill", args=[administration.pk]), phq9_post([0] * 8 + [2])
    )
    page = client.get(response.url).content.decode()  # type: ignore[attr-defined]
    assert "Samaritans" in page and 'href="tel:999"' in page and "988" not in page


def test_alert_stands_when_email_fails(
    cast: Cast, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.web.failing_email.Backend"
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("checkin_fill", args=[administration.pk]), phq9_post([0] * 8 + [3])
        )
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert (alert.status, alert.notification) == ("open", "failed")
    assert Response.objects.count() == 1
    banner = signed_in(cast.alice).get(reverse("caseload")).content.decode()
    assert "1 client needs your attention now." in banner
    admin_page = signed_in(cast.ada).get(reverse("practice_people")).content.decode()
    assert "could not be sent" in admin_page


# --- started_at: the time the form was opened, a hint only --------------------------------


@pytest.mark.parametrize("started_at", MALFORMED_STARTED_AT)
def test_a_malformed_started_at_still_saves_the_answers_without_it(
    cast: Cast, started_at: str
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    response = signed_in(cast.dana).post(
        reverse("checkin_fill", args=[administration.pk]),
        {**phq9_post([1] * 9), "started_at": started_at},
    )
    assert response.status_code == 302
    saved = Response.objects.get()
    assert saved.total == 9 and saved.started_at is None


def test_the_started_at_from_the_form_is_kept(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    started = re.search(r'name="started_at" value="([^"]+)"', client.get(url).content.decode())
    assert started is not None
    assert client.post(url, {**phq9_post([1] * 9), "started_at": started[1]}).status_code == 302
    saved = Response.objects.get()
    assert saved.started_at == datetime.fromisoformat(started[1])
    assert administration.created_at <= saved.started_at <= saved.submitted_at


# --- check-ins that are not open: withdrawn, or not open yet -------------------------------


def weekly_phq9(cast: Cast) -> Administration:
    """A weekly PHQ-9, due now, asked for through the schedule as the therapist does."""
    schedule_update(
        actor=cast.alice,
        episode=cast.dana_episode,
        before_session=[],
        after_session=[],
        weekly=["phq-9"],
        client_sees_progress=True,
    )
    return Administration.objects.get(instrument_id="phq-9", cancelled_at__isnull=True)


def withdraw_weekly(cast: Cast) -> None:
    schedule_update(
        actor=cast.alice,
        episode=cast.dana_episode,
        before_session=[],
        after_session=[],
        weekly=[],
        client_sees_progress=True,
    )


def test_a_withdrawn_checkin_says_so_kindly_and_takes_no_answers(cast: Cast) -> None:
    administration = weekly_phq9(cast)
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])
    assert client.get(url).status_code == 200  # open: the form
    withdraw_weekly(cast)

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "This check-in is no longer open" in text
    assert "nothing you need to do" in text
    assert "<form" not in text.split("<main", 1)[-1].split("</main>")[0]

    # The form was still open in another tab: a risk answer sent now is not stored.
    sent = client.post(url, phq9_post([0] * 8 + [3]))
    assert sent.status_code == 409
    text = sent.content.decode()
    assert "This check-in is no longer open" in text
    assert "were not saved" in text
    assert reverse("my_messages") in text
    assert not Response.objects.exists() and not Alert.objects.exists()
    administration.refresh_from_db()
    assert administration.completed_at is None
    assert client.get(reverse("checkin_done", args=[administration.pk])).status_code == 302


def test_a_checkin_not_open_yet_says_when_it_opens_and_takes_no_answers(cast: Cast) -> None:
    starts = timezone.now() + timedelta(days=10)
    session_plan(actor=cast.alice, episode=cast.dana_episode, starts_at=starts)
    administration = Administration.objects.get(instrument_id="phq-9")
    assert administration.available_from is not None
    assert administration.available_from > timezone.now()
    client = signed_in(cast.dana)
    url = reverse("checkin_fill", args=[administration.pk])

    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "This check-in is not open yet" in text
    assert f'datetime="{administration.available_from.isoformat()}"' in text
    assert 'name="phq9-1"' not in text

    sent = client.post(url, phq9_post([0] * 8 + [3]))
    assert sent.status_code == 409
    assert "This check-in is not open yet" in sent.content.decode()
    assert "were not saved" in sent.content.decode()
    assert not Response.objects.exists() and not Alert.objects.exists()


def test_a_spanish_client_reads_that_a_checkin_is_no_longer_open_in_spanish(
    cast: Cast,
) -> None:
    administration = administration_request(
        actor=cast.alice, episode=cast.eve_episode, instrument_id="phq-9"
    )
    Administration.objects.filter(pk=administration.pk).update(cancelled_at=timezone.now())
    page = signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk]))
    assert page.status_code == 200
    assert "Este cuestionario ya no está abierto" in page.content.decode()
    Administration.objects.filter(pk=administration.pk).update(
        cancelled_at=None, available_from=timezone.now() + timedelta(days=2)
    )
    page = signed_in(cast.eve).get(reverse("checkin_fill", args=[administration.pk]))
    assert "Este cuestionario todavía no está abierto" in page.content.decode()
    assert "Se abre el <time" in page.content.decode()


def test_another_client_still_gets_a_404_for_a_withdrawn_checkin(cast: Cast) -> None:
    administration = weekly_phq9(cast)
    withdraw_weekly(cast)
    url = reverse("checkin_fill", args=[administration.pk])
    assert signed_in(cast.eve).get(url).status_code == 404
    assert signed_in(cast.eve).post(url, phq9_post([1] * 9)).status_code == 404


def risk_page(cast: Cast) -> str:
    administration = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    client = signed_in(cast.dana)
    response = client.post(
        reverse("checkin_fill", args=[administration.pk]), phq9_post([0] * 8 + [1])
    )
    return client.get(response.url).content.decode()  # type: ignore[attr-defined]


def test_risk_page_says_when_the_therapist_is_next_working_after_the_crisis_help(
    cast: Cast,
) -> None:
    from datetime import time, timedelta

    from django.utils import formats, timezone

    from alliance.messaging.services import office_hours_set

    today = timezone.localtime().weekday()
    days = [d for d in range(7) if d not in (today, (today - 1) % 7)]
    office_hours_set(actor=cast.alice, days=days, starts_at=time(9), ends_at=time(17))
    page = risk_page(cast)
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert "is not working now" in page
    assert formats.date_format(tomorrow, "l j F") in page and "09:00" in page
    assert "will follow up with you." not in page  # no longer a promise without a when
    # Crisis help first, then when the therapist will see it.
    assert page.index('href="tel:911"') < page.index("Your therapist has been told")
    assert "If you are in danger now, do not wait" in page


def test_risk_page_when_the_therapist_is_working_now(cast: Cast) -> None:
    from datetime import time

    from alliance.messaging.services import office_hours_set

    office_hours_set(actor=cast.alice, days=list(range(7)), starts_at=time(0), ends_at=time.max)
    page = risk_page(cast)
    assert "is working now, until 23:59" in page
    assert page.index('href="tel:911"') < page.index("Your therapist has been told")


def test_risk_page_in_spanish_says_when_in_spanish(cast: Cast) -> None:
    from datetime import time

    from alliance.messaging.services import office_hours_set

    cast.dana.language = "es"
    cast.dana.save()
    office_hours_set(actor=cast.alice, days=list(range(7)), starts_at=time(0), ends_at=time.max)
    page = risk_page(cast)
    assert "está trabajando ahora, hasta las 23:59" in page
