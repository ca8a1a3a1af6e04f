"""The FHIR API driven as an EHR's integration would drive it: fhirpy, a FHIR client made
by others, over real HTTP (a live server), following the server's own paging links.

Nothing here is shaped for Alliance: the client builds its own search URLs, reads
``Bundle.link[next]`` to page, and turns 404s and OperationOutcomes into its own errors."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import AuthorizationError, ResourceNotFound

from alliance.measures.models import Response
from tests.api.helpers import GAD7, PHQ9, PHQ9_TOTAL_LOINC, token_for
from tests.conftest import Cast
from tests.records.helpers import respond

pytestmark = pytest.mark.django_db(transaction=True)


def _client(live_server: Any, token: str) -> SyncFHIRClient:
    return SyncFHIRClient(
        f"{live_server.url}/fhir/R4",
        authorization=f"Bearer {token}",
        requests_config={"timeout": 30},
    )


def _history(cast: Cast) -> None:
    for _ in range(3):
        respond(cast, cast.dana_episode, "phq-9", PHQ9)
        respond(cast, cast.dana_episode, "gad-7", GAD7)
    respond(cast, cast.eve_episode, "phq-9", PHQ9)


def test_an_ehr_pages_through_a_clients_observations(cast: Cast, live_server: Any) -> None:
    _history(cast)
    fhir = _client(live_server, token_for(cast.alice, "user/*.rs"))
    patients = fhir.resources("Patient").fetch_all()
    assert {p["id"] for p in patients} == {str(cast.dana.pk), str(cast.eve.pk)}

    # Two to a page: the client follows next links until there are none.
    observations = (
        fhir.resources("Observation").search(patient=f"Patient/{cast.dana.pk}").limit(2).fetch_all()
    )
    assert len(observations) >= Response.objects.filter(client=cast.dana).count()
    assert {o["subject"]["reference"] for o in observations} == {f"Patient/{cast.dana.pk}"}
    assert len({o["id"] for o in observations}) == len(observations)

    totals = (
        fhir.resources("Observation")
        .search(patient=f"Patient/{cast.dana.pk}", code=f"http://loinc.org|{PHQ9_TOTAL_LOINC}")
        .fetch_all()
    )
    assert len(totals) == 3
    assert all(o["valueQuantity"]["value"] == sum(PHQ9) for o in totals)

    responses = fhir.resources("QuestionnaireResponse").search(subject=f"Patient/{cast.dana.pk}")
    assert len(responses.fetch_all()) == 6
    first = responses.first()
    assert first is not None
    again = fhir.reference("QuestionnaireResponse", first["id"]).to_resource()
    assert again["id"] == first["id"] and again["status"] == "completed"


def test_what_the_token_does_not_reach_is_not_found(cast: Cast, live_server: Any) -> None:
    _history(cast)
    other = _client(live_server, token_for(cast.charlie, "user/*.rs"))
    with pytest.raises(ResourceNotFound):
        other.reference("Patient", str(cast.dana.pk)).to_resource()
    assert other.resources("Patient").fetch_all() == []
    with pytest.raises(ResourceNotFound):
        other.resources("Observation").search(patient=f"Patient/{cast.dana.pk}").fetch_all()

    # A client's own token reaches their record only.
    own = _client(live_server, token_for(cast.dana, "patient/*.rs"))
    assert [p["id"] for p in own.resources("Patient").fetch_all()] == [str(cast.dana.pk)]
    with pytest.raises(ResourceNotFound):
        own.reference("Patient", str(cast.eve.pk)).to_resource()


def test_a_bad_token_is_refused_as_unauthorised(cast: Cast, live_server: Any) -> None:
    fhir = _client(live_server, "alliance_not-a-token")
    with pytest.raises(AuthorizationError) as refused:
        fhir.resources("Patient").fetch_all()
    assert "OperationOutcome" in str(refused.value)


def test_a_client_app_finds_its_checkin_and_sends_the_answers(cast: Cast, live_server: Any) -> None:
    from fhirpy.base.exceptions import OperationOutcome

    from alliance.measures.services import administration_request

    waiting = administration_request(
        actor=cast.alice, episode=cast.dana_episode, instrument_id="phq-9"
    )
    fhir = _client(
        live_server, token_for(cast.dana, "patient/*.rs patient/QuestionnaireResponse.c")
    )
    (task,) = fhir.resources("Task").search(status="ready").fetch_all()
    assert task["focus"]["reference"].startswith("Questionnaire/phq-9-")
    questionnaire = fhir.reference(reference=task["focus"]["reference"]).to_resource()
    items = [i for i in questionnaire["item"] if i.get("required")]
    answers = fhir.resource(
        "QuestionnaireResponse",
        status="completed",
        basedOn=[{"reference": f"Task/{task['id']}"}],
        item=[
            {
                "linkId": i["linkId"],
                "answer": [{"valueCoding": i["answerOption"][0]["valueCoding"]}],
            }
            for i in items
        ],
    )
    answers.save()
    assert answers["id"] == f"response-{Response.objects.get(administration=waiting).pk}"
    assert fhir.reference("Task", task["id"]).to_resource()["status"] == "completed"
    # A body naming no check-in is refused, and the refusal is the client library's own error.
    wrong = fhir.resource("QuestionnaireResponse", status="completed", item=[])
    with pytest.raises(OperationOutcome):
        wrong.save()
