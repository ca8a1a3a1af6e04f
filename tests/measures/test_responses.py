from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from alliance.alerts.models import Alert
from alliance.audit.models import AuditEvent
from alliance.care.services import episode_close
from alliance.checkins.services import response_submit
from alliance.measures.models import Administration, Response
from alliance.measures.services import (
    AlreadyCompleted,
    NotOpenForAnswers,
    administration_request,
    rescore,
    response_fhir_bundle,
)
from tests.conftest import Cast
from tests.fhir_checks import unresolved_references
from tests.sentinel import run_on_database_file

CALM = [1, 0, 1, 0, 1, 0, 1, 0, 0]  # total 4, minimal, item 9 not endorsed

# Variables of this run that must not leak into a child process with its own settings.
LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")


def ask(cast: Cast, instrument: str = "phq-9") -> Administration:
    return administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id=instrument
    )


def test_response_is_stored_with_version_scores_and_times(cast: Cast) -> None:
    administration = ask(cast)
    response = response_submit(actor=cast.dana, administration=administration, answers=CALM)
    stored = Response.objects.get(pk=response.pk)
    assert (stored.instrument_id, stored.total, stored.band) == ("phq-9", 4, "minimal")
    assert stored.instrument_version == administration.instrument_version
    assert stored.answers["phq9-1"] == {"value": 1, "code": "LA6569-3"}
    assert stored.critical == []
    assert (stored.answered, stored.required) == (9, 9)
    assert Administration.objects.get(pk=administration.pk).completed_at == stored.submitted_at
    assert not Alert.objects.exists()
    assert rescore(stored).total == 4


def test_only_the_episodes_client_answers(cast: Cast) -> None:
    administration = ask(cast)
    for someone in (cast.alice, cast.sam, cast.charlie, cast.eve, cast.ada):
        with pytest.raises(PermissionDenied):
            response_submit(actor=someone, administration=administration, answers=CALM)
    assert not Response.objects.exists()
    assert not Alert.objects.exists()


def test_second_submission_stores_nothing(cast: Cast) -> None:
    administration = ask(cast)
    first = response_submit(actor=cast.dana, administration=administration, answers=CALM)
    with pytest.raises(AlreadyCompleted) as caught:
        response_submit(actor=cast.dana, administration=administration, answers=[3] * 9)
    assert caught.value.response == first
    assert Response.objects.count() == 1
    assert Response.objects.get().total == 4


@pytest.mark.parametrize("value", [1, 2, 3])
def test_risk_answer_raises_an_urgent_alert_in_the_same_transaction(cast: Cast, value: int) -> None:
    response = response_submit(actor=cast.dana, administration=ask(cast), answers=[0] * 8 + [value])
    alert = Alert.objects.get()
    assert (alert.kind, alert.status, alert.response, alert.client) == (
        "risk",
        "open",
        response,
        cast.dana,
    )
    assert response.critical == [{"link_id": "phq9-9", "position": 9, "value": value}]
    assert "alert_raised" in AuditEvent.objects.values_list("action", flat=True)


def test_no_alert_when_item_9_is_zero_even_with_a_high_total(cast: Cast) -> None:
    response_submit(actor=cast.dana, administration=ask(cast), answers=[3] * 8 + [0])
    assert not Alert.objects.exists()


def test_failed_response_leaves_no_alert_and_no_response(cast: Cast) -> None:
    administration = ask(cast)
    with pytest.raises(ValidationError):
        response_submit(actor=cast.dana, administration=administration, answers=[0] * 8 + [7])
    assert not Response.objects.exists() and not Alert.objects.exists()
    assert Administration.objects.get(pk=administration.pk).completed_at is None


def test_incomplete_response_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="answer every question"):
        response_submit(actor=cast.dana, administration=ask(cast), answers={"phq9-1": 1})
    assert not Response.objects.exists()


def test_a_start_after_the_submission_is_dropped_and_the_answers_kept(cast: Cast) -> None:
    later = timezone.now() + timedelta(days=1)
    response = response_submit(
        actor=cast.dana, administration=ask(cast), answers=CALM, started_at=later
    )
    assert response.total == 4 and Response.objects.get().started_at is None


def test_a_withdrawn_checkin_takes_no_response_and_raises_no_alert(cast: Cast) -> None:
    administration = ask(cast)
    Administration.objects.filter(pk=administration.pk).update(cancelled_at=timezone.now())
    with pytest.raises(NotOpenForAnswers) as caught:
        response_submit(actor=cast.dana, administration=administration, answers=[3] * 9)
    assert caught.value.state == "cancelled"
    assert not Response.objects.exists() and not Alert.objects.exists()
    assert Administration.objects.get(pk=administration.pk).completed_at is None


def test_a_checkin_takes_answers_only_once_its_window_opens(cast: Cast) -> None:
    administration = ask(cast)
    opens = timezone.now() + timedelta(days=2)
    Administration.objects.filter(pk=administration.pk).update(available_from=opens)
    administration.refresh_from_db()
    assert not administration.is_open_for_answers(timezone.now())
    with pytest.raises(NotOpenForAnswers) as caught:
        response_submit(actor=cast.dana, administration=administration, answers=[3] * 9)
    assert caught.value.state == "upcoming"
    assert not Response.objects.exists() and not Alert.objects.exists()
    assert administration.is_open_for_answers(opens)
    response_submit(
        actor=cast.dana,
        administration=administration,
        answers=CALM,
        submitted_at=opens + timedelta(hours=1),
    )
    assert Response.objects.count() == 1


def test_an_overdue_checkin_still_takes_answers(cast: Cast) -> None:
    administration = administration_request(
        actor=cast.alice,
        episode=cast.dana_episode,
        instrument_id="phq-9",
        due_at=timezone.now() - timedelta(days=3),
    )
    assert administration.state(timezone.now()) == "overdue"
    response_submit(actor=cast.dana, administration=administration, answers=CALM)
    assert Response.objects.count() == 1


def test_closed_episode_takes_no_response(cast: Cast) -> None:
    administration = ask(cast)
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(ValidationError):
        response_submit(actor=cast.dana, administration=administration, answers=CALM)
    with pytest.raises(ValidationError):
        ask(cast)


def test_unknown_instrument_cannot_be_asked_for(cast: Cast) -> None:
    with pytest.raises(ValidationError):
        ask(cast, "no-such-instrument")
    assert not Administration.objects.exists()


def test_free_text_answers_are_encrypted_at_rest(cast: Cast) -> None:
    sentinel = "SENTINEL-free-text-4f1c"
    answers = {"sf-bond": 8, "sf-goals": 7, "sf-approach": 9, "sf-respect": 10, "sf-overall": 8}
    answers["sf-comment"] = sentinel
    response = response_submit(
        actor=cast.dana, administration=ask(cast, "session-feedback"), answers=answers
    )
    assert Response.objects.get(pk=response.pk).text_answers == {"sf-comment": sentinel}
    with connection.cursor() as cursor:
        cursor.execute("SELECT text_answers FROM measures_response WHERE id = %s", [response.pk])
        raw = cursor.fetchone()[0]
    assert sentinel not in raw and raw.startswith("v1:")


def test_encrypted_text_is_bound_to_its_column(cast: Cast) -> None:
    from alliance.lib import crypto

    sealed = crypto.encrypt("hello", settings.FIELD_KEYS, "measures_response.text_answers")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, settings.FIELD_KEYS, "alerts_alert.acknowledgement_note")
    other_key = [b"x" * 32]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(sealed, other_key, "measures_response.text_answers")
    rotated = [b"n" * 32, *settings.FIELD_KEYS]
    assert crypto.decrypt(sealed, rotated, "measures_response.text_answers") == "hello"
    assert crypto.needs_rotation(sealed, rotated)


def test_fhir_export_validates_and_carries_the_loinc_total(cast: Cast) -> None:
    from fhir.resources.R4B.bundle import Bundle

    response = response_submit(actor=cast.dana, administration=ask(cast), answers=CALM)
    bundle = response_fhir_bundle(response)
    Bundle.model_validate(bundle)
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert [r["resourceType"] for r in resources] == ["QuestionnaireResponse", "Observation"]
    observation = resources[1]
    assert observation["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": observation["code"]["coding"][0]["display"],
    }
    assert observation["valueQuantity"]["value"] == 4
    assert observation["derivedFrom"][0]["reference"] == bundle["entry"][0]["fullUrl"]
    # Self-contained: the client is not in this Bundle, so it is named, not referred to.
    assert unresolved_references(bundle) == []
    assert resources[0]["subject"] == {
        "type": "Patient",
        "identifier": {"system": "urn:alliance:id", "value": f"Patient/{cast.dana.pk}"},
    }


SCRIPT = """
from alliance.measures.services import administration_request
from alliance.checkins.services import response_submit
from tests.conftest import make_user
from alliance.care.services import episode_open
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
administration = administration_request(
    actor=therapist, episode=episode, instrument_id="session-feedback"
)
answers = {"sf-bond": 8, "sf-goals": 7, "sf-approach": 9, "sf-respect": 10, "sf-overall": 8}
answers["sf-comment"] = "SENTINEL-disk-" + "8d2e"
response_submit(actor=client, administration=administration, answers=answers)
print("stored")
"""


def test_sqlite_file_holds_no_plaintext_of_free_text(tmp_path: Any) -> None:

    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert b"SENTINEL-disk-" not in raw
    assert b"SENTINEL-disk-8d2e" not in raw
