"""QuestionnaireResponse and Observation exports validate with fhir.resources R4B."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from alliance.instruments import (
    InstrumentRegistry,
    get_instrument,
    score,
    to_observations,
    to_questionnaire_response,
)

BUILTINS = ["audit-c", "gad-2", "gad-7", "pcl-5", "phq-15", "phq-2", "phq-9", "session-feedback"]


def full_answers(iid: str) -> list[int]:
    inst = get_instrument(iid)
    return [inst.item(c).allowed_values()[1] for c in inst.batch_columns]


@pytest.mark.parametrize("iid", BUILTINS)
def test_exports_validate_for_every_builtin(iid: str) -> None:
    result = score(iid, full_answers(iid))
    qr = to_questionnaire_response(
        result, subject="Patient/123", authored="2026-11-25T10:00:00Z", response_id="qr-1"
    )
    model = QuestionnaireResponse.model_validate(qr)
    assert model.questionnaire == f"urn:alliance:questionnaire:{iid}|{get_instrument(iid).version}"
    observations = to_observations(
        result, subject="Patient/123", effective="2026-11-25T10:00:00Z",
        derived_from="QuestionnaireResponse/qr-1",
    )  # fmt: skip
    assert observations
    for obs in observations:
        Observation.model_validate(obs)
    assert observations[0]["valueQuantity"]["value"] == result.total


def test_phq9_exports() -> None:
    result = score("phq-9", [1, 2, 3, 0, 1, 2, 3, 0, 2, "LA6573-5"])
    qr = to_questionnaire_response(result)
    items = {i["linkId"]: i for i in qr["item"]}
    assert items["phq9-9"]["answer"] == [
        {
            "valueCoding": {
                "code": "LA6570-1",
                "display": "More than half the days",
                "system": "http://loinc.org",
            }
        }
    ]
    assert items["phq9-difficulty"]["answer"][0]["valueCoding"]["code"] == "LA6573-5"
    assert items["phq9-total"]["answer"] == [{"valueInteger": 14}]
    assert "phq9-stem" not in items
    (obs,) = to_observations(result)
    assert obs["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "44261-6",
        "display": "Patient Health Questionnaire-9 (PHQ-9) total score",
    }
    assert obs["valueQuantity"] == {"value": 14, "unit": "{score}", "system": "http://unitsofmeasure.org",
                                    "code": "{score}"}  # fmt: skip
    assert obs["interpretation"][0]["coding"][0]["code"] == "moderate"
    Observation.model_validate(obs)


def test_incomplete_response_exports_answers_but_no_total() -> None:
    result = score("phq-9", [1] * 8)
    qr = to_questionnaire_response(result, status="in-progress")
    QuestionnaireResponse.model_validate(qr)
    assert "phq9-total" not in {i["linkId"] for i in qr["item"]}
    assert to_observations(result) == []


def test_pcl5_subscale_observations() -> None:
    result = score("pcl-5", [2] * 20)
    observations = to_observations(result)
    assert [o["code"]["coding"][0]["code"] for o in observations] == [
        "101698-9", "pcl-5/intrusion", "pcl-5/avoidance", "pcl-5/cognition-mood",
        "pcl-5/arousal-reactivity",
    ]  # fmt: skip
    assert [o["valueQuantity"]["value"] for o in observations] == [40, 10, 4, 14, 12]
    for obs in observations:
        Observation.model_validate(obs)


def test_session_feedback_comment_exports_as_string() -> None:
    result = score("session-feedback", [9, 9, 9, 9, 9, "More breaks please"])
    qr = to_questionnaire_response(result)
    QuestionnaireResponse.model_validate(qr)
    items = {i["linkId"]: i for i in qr["item"]}
    assert items["sf-comment"]["answer"] == [{"valueString": "More breaks please"}]
    assert items["sf-bond"]["answer"] == [{"valueInteger": 9}]


def test_imported_lhc_exports_validate(
    registry: InstrumentRegistry, lhc_phq9: dict[str, Any]
) -> None:
    inst = registry.import_questionnaire(lhc_phq9)
    result = score(inst, [3] * 9)
    qr = to_questionnaire_response(result)
    QuestionnaireResponse.model_validate(qr)
    assert "questionnaire" not in qr  # the LHC file has no canonical url
    assert qr["item"][-1] == {
        "linkId": "/44261-6",
        "text": "Patient health questionnaire 9 item total score",
        "answer": [{"valueDecimal": 27}],
    }
    (obs,) = to_observations(result)
    assert obs["code"]["coding"][0]["code"] == "44261-6"
    assert obs["interpretation"][0]["coding"][0]["code"] == "severe"
    Observation.model_validate(obs)


def test_sdc_nested_export_keeps_groups(
    registry: InstrumentRegistry, sdc_nested: dict[str, Any]
) -> None:
    inst = registry.import_questionnaire(sdc_nested)
    result = score(inst, ["LA6569-3", "LA6570-1", "yes", "low", "fine"])
    qr = to_questionnaire_response(result)
    QuestionnaireResponse.model_validate(qr)
    assert [i["linkId"] for i in qr["item"]] == ["mood", "support", "total"]
    nested = qr["item"][1]["item"][1]
    assert nested["linkId"] == "support.nested"
    assert [i["linkId"] for i in nested["item"]] == ["support.2", "support.comment"]
    assert qr["item"][2]["answer"] == [{"valueDecimal": 5}]
    (obs,) = to_observations(result)
    assert obs["code"]["coding"][0]["code"] == f"{inst.id}/total"
    Observation.model_validate(obs)
