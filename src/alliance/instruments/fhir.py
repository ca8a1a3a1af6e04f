"""FHIR R4 QuestionnaireResponse and Observation dicts for a scored response."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import Instrument, Item
from .parsing.common import LOINC, thaw
from .scoring import Answer, ScoreResult

UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLIANCE_SCORES = "urn:alliance:codesystem:scores"
ALLIANCE_BANDS = "urn:alliance:codesystem:bands"


def _instrument(result: ScoreResult) -> Instrument:
    return result.instrument


def _answer_value(item: Item, answer: Answer) -> dict[str, Any]:
    if answer.option is not None:
        coding: dict[str, Any] = {"code": answer.option.code, "display": answer.option.display}
        if answer.option.system:
            coding["system"] = answer.option.system
        return {"valueCoding": coding}
    if item.kind == "integer":
        return {"valueInteger": answer.value}
    if item.kind == "decimal":
        return {"valueDecimal": answer.value}
    return {"valueString": answer.value}


def _total_answer(node: Mapping[str, Any], total: float | int) -> dict[str, Any]:
    if node.get("type") == "integer" and float(total).is_integer():
        return {"valueInteger": int(total)}
    return {"valueDecimal": total}


def _response_items(nodes: Any, inst: Instrument, result: ScoreResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for node in nodes or ():
        link_id = node.get("linkId")
        kind = node.get("type")
        if kind == "display":
            continue
        if kind == "group":
            children = _response_items(node.get("item"), inst, result)
            if children:
                out.append(
                    {
                        "linkId": link_id,
                        **({"text": node["text"]} if "text" in node else {}),
                        "item": children,
                    }
                )
            continue
        entry: dict[str, Any] = {"linkId": link_id}
        if "text" in node:
            entry["text"] = node["text"]
        if link_id == inst.total_link_id:
            if result.total is not None:
                entry["answer"] = [_total_answer(node, result.total)]
                out.append(entry)
            continue
        answer = result.answers.get(link_id)
        if answer is not None and link_id in inst.by_link_id:
            entry["answer"] = [_answer_value(inst.item(link_id), answer)]
            out.append(entry)
    return out


def to_questionnaire_response(
    result: ScoreResult,
    *,
    subject: str | None = None,
    authored: str | None = None,
    response_id: str | None = None,
    status: str = "completed",
) -> dict[str, Any]:
    """A QuestionnaireResponse (R4) with the answers and, where the form has one, the total.

    ``subject`` is a reference such as ``"Patient/123"``; ``authored`` an ISO 8601 dateTime.
    """
    inst = _instrument(result)
    qr: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "status": status}
    if response_id:
        qr["id"] = response_id
    if inst.url:
        qr["questionnaire"] = f"{inst.url}|{inst.version}"
    if subject:
        qr["subject"] = {"reference": subject}
    if authored:
        qr["authored"] = authored
    # Read straight from the frozen definition (only strings are copied out): thawing the
    # whole Questionnaire for every response was most of a bulk export's time.
    items = _response_items(inst.questionnaire.get("item"), inst, result)
    if items:
        qr["item"] = items
    return qr


def to_observations(
    result: ScoreResult,
    *,
    subject: str | None = None,
    effective: str | None = None,
    derived_from: str | None = None,
) -> list[dict[str, Any]]:
    """Observations (R4) for the total and each subscale that has a value.

    The total is LOINC-coded where the instrument has a total code; otherwise, and for
    subscales, it is coded in ``urn:alliance:codesystem:scores`` as ``<id>/total`` or
    ``<id>/<subscale>``. Values are ``valueQuantity`` in UCUM ``{score}``.
    An incomplete response (no total) gives no total Observation.
    """
    inst = _instrument(result)
    out: list[dict[str, Any]] = []

    def observation(coding: dict[str, Any], text: str, value: float | int) -> dict[str, Any]:
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": [
                {
                    "coding": [
                        {"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}
                    ]
                }
            ],
            "code": {"coding": [coding], "text": text},
            "valueQuantity": {"value": value, "unit": "{score}", "system": UCUM, "code": "{score}"},
        }
        if subject:
            obs["subject"] = {"reference": subject}
        if effective:
            obs["effectiveDateTime"] = effective
        if derived_from:
            obs["derivedFrom"] = [{"reference": derived_from}]
        return obs

    if result.total is not None:
        text = f"{inst.title} total score"
        if inst.total_loinc:
            coding = {"system": LOINC, "code": inst.total_loinc, "display": text}
        else:
            coding = {"system": ALLIANCE_SCORES, "code": f"{inst.id}/total", "display": text}
        obs = observation(coding, text, result.total)
        if result.band is not None:
            obs["interpretation"] = [
                {
                    "coding": [
                        {
                            "system": f"{ALLIANCE_BANDS}:{inst.id}",
                            "code": result.band.code,
                            "display": result.band.label["en"],
                        }
                    ],
                    "text": result.band.label["en"],
                }
            ]
        out.append(obs)
    for sub in inst.subscales:
        value = result.subscales.get(sub.code)
        if value is None:
            continue
        text = f"{inst.title}: {sub.label['en']}"
        out.append(
            observation(
                {"system": ALLIANCE_SCORES, "code": f"{inst.id}/{sub.code}", "display": text},
                text,
                value,
            )
        )
    return out


def observations_coded(
    instruments: Iterable[Instrument], system: str | None, code: str
) -> list[tuple[Instrument, str | None]]:
    """Which instruments' Observations carry this code (``to_observations``' coding), and
    of what: ``None`` for the total, else the subscale's code. ``system`` None is any."""
    found: list[tuple[Instrument, str | None]] = []
    for inst in instruments:
        if inst.total_loinc == code and system in (None, LOINC):
            found.append((inst, None))
        if system not in (None, ALLIANCE_SCORES):
            continue
        if code == f"{inst.id}/total" and not inst.total_loinc:
            found.append((inst, None))
        found += [(inst, sub.code) for sub in inst.subscales if code == f"{inst.id}/{sub.code}"]
    return found


def questionnaire_id(inst: Instrument) -> str:
    """A Questionnaire's id, one per instrument version: ``phq-9-1.0.0``."""
    return f"{inst.id}-{inst.version}"


def to_questionnaire(inst: Instrument) -> dict[str, Any]:
    """The instrument's own Questionnaire (its definition, scoring extension and all), with
    an id that tells its versions apart."""
    questionnaire: dict[str, Any] = thaw(inst.questionnaire)
    questionnaire["id"] = questionnaire_id(inst)
    return questionnaire
