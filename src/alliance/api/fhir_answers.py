"""A client's answers sent as a FHIR QuestionnaireResponse (``POST
/fhir/R4/QuestionnaireResponse``): read from the body into the answers the check-in's
service takes (``alliance.checkins.services.response_submit``, the web form's path), and
the crisis resources the answer carries when a risk item was answered.

Only what the API's own QuestionnaireResponses and the instruments' Questionnaires say is
taken: ``basedOn`` names the check-in (``Task/checkin-<id>``), each ``item`` a question by
its ``linkId`` (nested under its group, or not), with one ``answer``: ``valueCoding`` (its
``code``) for a choice, ``valueInteger`` for a whole number, ``valueDecimal`` (or
``valueInteger``) for a number, ``valueString`` for text. The total is the server's to
work out: an item with the total's linkId is ignored. Anything else is refused with a
diagnostic that names the item, and nothing is stored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from alliance.instruments import Instrument
from alliance.instruments.fhir import questionnaire_id
from alliance.instruments.parsing.common import thaw
from alliance.safety.crisis import CountryResources

Resource = dict[str, Any]
TEXT_MAX = 4000  # as the web form's text answers
TASK = re.compile(r"^(?:.*/)?Task/checkin-(?P<pk>\d{1,18})$")
CRISIS_EXTENSION = "urn:alliance:extension:crisis-resources"
CRISIS_ID = "crisis"


@dataclass(frozen=True)
class WriteRefused(Exception):
    """A write the API does not take: the HTTP status, the OperationOutcome's issue code
    and a diagnostic for the person calling."""

    status: int
    code: str
    diagnostics: str


def invalid(diagnostics: str) -> WriteRefused:
    return WriteRefused(422, "invalid", diagnostics)


def parse_body(raw: bytes) -> Resource:
    """The body as a QuestionnaireResponse (a JSON object of that type); else 400."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WriteRefused(400, "structure", "The body is not JSON (UTF-8).") from None
    if not isinstance(body, dict):
        raise WriteRefused(400, "structure", "The body must be a JSON object (a resource).")
    if body.get("resourceType") != "QuestionnaireResponse":
        raise WriteRefused(
            400, "structure", "The body must be a resource of type QuestionnaireResponse."
        )
    return body


def checkin_named(body: Resource) -> int:
    """The id of the check-in ``basedOn`` names (``Task/checkin-<id>``)."""
    based_on = body.get("basedOn")
    one = based_on[0] if isinstance(based_on, list) and len(based_on) == 1 else None
    reference = one.get("reference") if isinstance(one, dict) else None
    match = TASK.match(reference) if isinstance(reference, str) else None
    if match is None:
        raise invalid(
            "basedOn must name the one check-in answered: "
            '[{"reference": "Task/checkin-<id>"}] (GET /fhir/R4/Task?status=ready lists them).'
        )
    return int(match["pk"])


def _check_header(body: Resource, inst: Instrument, client_id: int) -> None:
    status = body.get("status", "completed")
    if status != "completed":
        raise invalid("status must be completed: only finished answers are taken.")
    named = body.get("questionnaire")
    if named is not None and named not in (
        f"{inst.url}|{inst.version}",
        inst.url,
        f"Questionnaire/{questionnaire_id(inst)}",
    ):
        raise invalid(
            f"questionnaire names another questionnaire than the check-in's "
            f"({inst.url}|{inst.version})."
        )
    subject = body.get("subject")
    if subject is not None and (
        not isinstance(subject, dict) or subject.get("reference") != f"Patient/{client_id}"
    ):
        raise invalid(f"subject must be the client answering (Patient/{client_id}), or absent.")


def _walk(items: Any, where: str) -> Iterator[Resource]:
    if items is None:
        return
    if not isinstance(items, list):
        raise invalid(f"{where} must be a list of items.")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
            raise invalid(f"every entry of {where} must be an object with a linkId.")
        yield item
        yield from _walk(item.get("item"), f"item {item['linkId']}'s item")


def _groups(inst: Instrument) -> set[str]:
    found: set[str] = set()

    def walk(nodes: Any) -> None:
        for node in nodes or ():
            if node.get("type") in ("group", "display"):
                found.add(str(node.get("linkId")))
            walk(node.get("item"))

    walk(thaw(inst.questionnaire).get("item"))
    return found


def _value(inst: Instrument, link_id: str, answer: Any) -> Any:
    item = inst.item(link_id)
    if not isinstance(answer, dict):
        raise invalid(f"{link_id}: an answer must be an object such as {{'valueCoding': …}}.")
    values = {k: v for k, v in answer.items() if k.startswith("value")}
    if len(values) != 1:
        raise invalid(f"{link_id}: an answer holds one value[x].")
    ((kind, value),) = values.items()
    if item.kind == "choice":
        if kind != "valueCoding" or not isinstance(value, dict):
            raise invalid(f"{link_id}: answer with valueCoding (one of the options' codes).")
        code, system = value.get("code"), value.get("system")
        option = next((o for o in item.options if o.code == code), None)
        if option is None or (system is not None and option.system and system != option.system):
            codes = ", ".join(o.code for o in item.options)
            raise invalid(f"{link_id}: the code must be one of {codes}.")
        return option.code
    if item.kind in ("integer", "decimal"):
        kinds = ("valueInteger",) if item.kind == "integer" else ("valueInteger", "valueDecimal")
        if kind not in kinds or isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid(f"{link_id}: answer with {' or '.join(kinds)}.")
        return value
    if kind != "valueString" or not isinstance(value, str):
        raise invalid(f"{link_id}: answer with valueString.")
    if len(value) > TEXT_MAX:
        raise invalid(f"{link_id}: at most {TEXT_MAX} characters.")
    return value


def answers_from(body: Resource, inst: Instrument, client_id: int) -> dict[str, Any]:
    """The answers by linkId, as the web form gives them to the service; 422 with the
    first problem found."""
    _check_header(body, inst, client_id)
    groups = _groups(inst)
    answers: dict[str, Any] = {}
    for item in _walk(body.get("item"), "item"):
        link_id = item["linkId"]
        given = item.get("answer")
        if link_id == inst.total_link_id:
            continue  # the server works the total out
        if link_id not in inst.by_link_id:
            if link_id in groups and not given:
                continue
            raise invalid(f"{link_id} is not a question of {inst.id} that takes an answer.")
        if link_id in answers:
            raise invalid(f"{link_id} is given twice.")
        if given is None or given == []:
            continue
        if not isinstance(given, list) or len(given) != 1:
            raise invalid(f"{link_id}: give one answer (a list of one).")
        value = _value(inst, link_id, given[0])
        if value != "":
            answers[link_id] = value
    missing = [i.link_id for i in inst.items if i.required and i.link_id not in answers]
    if missing:
        raise invalid(f"Every question not marked optional needs an answer: {', '.join(missing)}.")
    return answers


@dataclass(frozen=True)
class SafetyPlanLink:
    """Where the client's safety plan is, and whether they have written one."""

    url: str
    written: bool


def crisis_outcome(
    resources: CountryResources | None, language: str, plan: SafetyPlanLink
) -> Resource:
    """The crisis help the web shows after a risk answer, as an OperationOutcome of
    ``information`` issues, in the client's language: the emergency number, the country's
    crisis lines, and their safety plan."""
    with translation.override(language):
        lines = [_("If you are in immediate danger, call your local emergency number")]
        if resources is not None:
            lines[0] += f": {resources.emergency}"
            lines += [f"{line.name}: {line.how}" for line in resources.lines]
        if plan.written:
            lines += [f"{_('Open my safety plan')}: {plan.url}"]
            lines += [_("The steps you wrote down for moments like this one.")]
        else:
            lines += [f"{_('Open my safety plan page')}: {plan.url}"]
            lines += [
                _(
                    "You can make a safety plan there with your therapist, and see who to "
                    "contact right now."
                )
            ]
        return {
            "resourceType": "OperationOutcome",
            "id": CRISIS_ID,
            "issue": [
                {"severity": "information", "code": "informational", "diagnostics": str(text)}
                for text in [
                    _("You don't have to face this alone"),
                    _("Some of your answers tell us you may be going through a very hard time."),
                    *lines,
                    _("Your therapist has been told."),
                ]
            ],
        }


def with_crisis(resource: Resource, outcome: Resource) -> Resource:
    """The QuestionnaireResponse carrying the crisis help: a contained OperationOutcome,
    referred to by the crisis-resources extension."""
    return resource | {
        "contained": [outcome],
        "extension": [
            *resource.get("extension", []),
            {"url": CRISIS_EXTENSION, "valueReference": {"reference": f"#{CRISIS_ID}"}},
        ],
    }
