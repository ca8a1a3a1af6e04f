"""The resource types the FHIR API serves: for each, how to read one, how to search, and
which mapping makes it (always the record export's or the instruments' own: no second
mapping). ``alliance.api.fhir`` dispatches through ``KINDS``; adding a type is adding a
row here and its search parameters in ``alliance.api.search``.

Ids are the record export's (``episode-3``, ``plan-3``, ``goal-5``, ``alert-2``,
``response-7``, ``response-7-obs-1``); a Patient's is the client's id and a
Questionnaire's ``<instrument>-<version>``. References to what the server does not serve
(Practitioner, CareTeam, a goal's rating…) keep only their display and an identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils import timezone

from alliance.accounts.models import User
from alliance.alerts.models import Alert
from alliance.api.callers import ApiCaller
from alliance.api.search import DateBound, Search
from alliance.api.selectors import (
    caller_alerts,
    caller_checkins,
    caller_episode_resources,
    caller_goals,
    caller_one,
    caller_patient,
    caller_patients,
    caller_plan,
    caller_plans,
    caller_response,
    caller_responses,
    task_status,
)
from alliance.care.models import Episode
from alliance.instruments import Instrument, get_instrument, list_instruments
from alliance.instruments.errors import UnknownInstrument
from alliance.instruments.fhir import questionnaire_id, to_questionnaire
from alliance.lib.fhir_bundle import restful_references, served_references
from alliance.measures.models import Administration, Response
from alliance.measures.services import response_fhir_entries
from alliance.plans.models import Goal
from alliance.records.export import (
    People,
    care_plan_resource,
    detected_issue_resource,
    episode_of_care_resource,
    goal_resource,
    patient_resource,
)

Resource = dict[str, Any]
M = TypeVar("M", bound=Model)

# The ids each type serves (a reference to anything else is not followed).
IDS = {
    "Patient": re.compile(r"^(?P<pk>\d+)$"),
    "EpisodeOfCare": re.compile(r"^episode-(?P<pk>\d+)$"),
    "CarePlan": re.compile(r"^plan-(?P<pk>\d+)$"),
    "Goal": re.compile(r"^goal-(?P<pk>\d+)$"),
    "DetectedIssue": re.compile(r"^alert-(?P<pk>\d+)$"),
    "QuestionnaireResponse": re.compile(r"^response-(?P<pk>\d+)$"),
    "Observation": re.compile(r"^response-(?P<pk>\d+)-obs-\d+$"),
    "Questionnaire": re.compile(r"^(?P<pk>[a-z0-9-]+-\d+(\.\d+)*)$"),
    "Task": re.compile(r"^checkin-(?P<pk>\d+)$"),
}


@dataclass(frozen=True)
class Page:
    """A page of matches, how many match in all, and the clients whose data is on it."""

    matches: list[Resource]
    total: int
    client_ids: list[int]


@dataclass(frozen=True)
class Kind:
    read: Callable[[ApiCaller, str], tuple[Resource, list[int]]]
    search: Callable[[ApiCaller, Search], Page]


def _pk(resource: str, resource_id: str) -> int:
    match = IDS[resource].match(resource_id)
    if match is None:
        raise Http404
    return int(match["pk"])


def served(reference: str) -> bool:
    kind, _slash, resource_id = reference.partition("/")
    return kind in IDS and IDS[kind].match(resource_id) is not None


def _stamped(resource: Resource, when: datetime | None) -> Resource:
    if when is not None:
        resource["meta"] = {"lastUpdated": when.isoformat()}
    return served_references(resource, served)


class _Names:
    """People's names for references, each looked up once per call."""

    def __init__(self) -> None:
        self.known: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in self.known:
            person = User.objects.filter(pk=user_id).first()
            self.known[user_id] = person.display_name if person is not None else ""
        return self.known[user_id]


def _window(queryset: QuerySet[M], query: Search) -> list[M]:
    return list(queryset[query.offset : query.offset + query.count])


# Patient ------------------------------------------------------------------------------


def _read_patient(caller: ApiCaller, resource_id: str) -> tuple[Resource, list[int]]:
    patient = caller_patient(caller, _pk("Patient", resource_id))
    return patient_resource(patient), [patient.pk]


def _search_patients(caller: ApiCaller, query: Search) -> Page:
    patients = caller_patients(caller)
    if query.ids:
        patients = patients.filter(pk__in=[int(i) for i in query.ids if i.isdigit()])
    page = _window(patients, query)
    return Page([patient_resource(p) for p in page], patients.count(), [p.pk for p in page])


# QuestionnaireResponse and Observation (a response's scores) ----------------------------


def response_resources(response: Response) -> list[Resource]:
    """The QuestionnaireResponse and its Observations, as the server serves them."""
    resources = restful_references(response_fhir_entries(response))
    for resource in resources:
        _stamped(resource, response.submitted_at)
    return resources


def _read_response_part(
    caller: ApiCaller, kind: str, resource_id: str
) -> tuple[Resource, list[int]]:
    response = caller_response(caller, _pk(kind, resource_id))
    for found in response_resources(response):
        if found["resourceType"] == kind and found["id"] == resource_id:
            return found, [response.client_id]
    raise Http404


def _search_qrs(caller: ApiCaller, query: Search) -> Page:
    responses = caller_responses(caller, query)
    page = _window(responses, query)
    resources = [response_resources(r)[0] for r in page]
    return Page(resources, responses.count(), [r.client_id for r in page])


def _coded(observation: Resource, code: tuple[str | None, str]) -> bool:
    system, value = code
    return any(
        c.get("code") == value and (system is None or c.get("system") == system)
        for c in observation["code"].get("coding", [])
    )


def _search_observations(caller: ApiCaller, query: Search) -> Page:
    responses = caller_responses(caller, query)
    if query.code is not None:
        # The database picks the responses whose scores carry the code: one each.
        page = _window(responses, query)
        found = [
            (obs, r.client_id)
            for r in page
            for obs in response_resources(r)[1:]
            if _coded(obs, query.code)
        ]
        return Page([o for o, _ in found], responses.count(), [c for _, c in found])
    matches = [(obs, r.client_id) for r in responses for obs in response_resources(r)[1:]]
    window = matches[query.offset : query.offset + query.count]
    return Page([obs for obs, _ in window], len(matches), [client for _, client in window])


# EpisodeOfCare, CarePlan, Goal, DetectedIssue ---------------------------------------------


def _episode(episode: Episode) -> Resource:
    resource = episode_of_care_resource(episode, People(episode.client_id, _Names()))
    return _stamped(resource, getattr(episode, "last_updated", None))


def _plan(caller: ApiCaller, episode: Episode) -> Resource:
    people = People(episode.client_id, _Names())
    resource = care_plan_resource(caller_plan(caller, episode), people)
    return _stamped(resource, getattr(episode, "last_updated", None))


def _goal(goal: Goal) -> Resource:
    resource = goal_resource(goal, People(goal.episode.client_id, _Names()))
    return _stamped(resource, getattr(goal, "last_updated", None))


def _alert(alert: Alert) -> Resource:
    resource = detected_issue_resource(alert, People(alert.client_id, _Names()))
    return _stamped(resource, getattr(alert, "last_updated", None))


def _kind(
    name: str,
    reach: Callable[[ApiCaller, Search | None], QuerySet[Any]],
    mapping: Callable[[ApiCaller, Any], Resource],
    client_of: Callable[[Any], int],
) -> Kind:
    """A type stored one row a resource, reached through ``reach`` (the selectors)."""

    def read(caller: ApiCaller, resource_id: str) -> tuple[Resource, list[int]]:
        found = caller_one(reach(caller, None), _pk(name, resource_id))
        return mapping(caller, found), [client_of(found)]

    def search(caller: ApiCaller, query: Search) -> Page:
        rows = reach(caller, query)
        page = _window(rows, query)
        resources = [mapping(caller, row) for row in page]
        return Page(resources, rows.count(), [client_of(row) for row in page])

    return Kind(read=read, search=search)


# Task (a check-in asked of a client: waiting, answered or withdrawn) ----------------------

WITHDRAWN = "withdrawn by the therapist"
CARE_ENDED = "the episode of care closed before it was answered"


def task_id(administration: Administration) -> str:
    return f"checkin-{administration.pk}"


def _focus(administration: Administration) -> Resource:
    """The Questionnaire asked, with its title: a reference to it when the server serves
    it (the shipped instruments), else the title alone."""
    try:
        inst = get_instrument(administration.instrument_id, administration.instrument_version)
    except UnknownInstrument:
        return {"display": administration.instrument_id}
    if inst.source != "builtin":
        return {"display": inst.title}
    return {"reference": f"Questionnaire/{questionnaire_id(inst)}", "display": inst.title}


def task_resource(administration: Administration, now: datetime) -> Resource:
    """A check-in as a FHIR Task: the client (``for``) is asked to answer the
    Questionnaire (``focus``) within ``executionPeriod``; once answered, ``output`` names
    the QuestionnaireResponse."""
    status = task_status(administration, now)
    start = administration.available_from or administration.created_at
    period: Resource = {"start": start.isoformat()}
    if administration.due_at is not None:
        period["end"] = administration.due_at.isoformat()
    last_updated = getattr(administration, "last_updated", None) or administration.created_at
    task: Resource = {
        "resourceType": "Task",
        "id": task_id(administration),
        "status": status,
        "intent": "order",
        "description": "Check-in: answer the questionnaire",
        "focus": _focus(administration),
        "for": {"reference": f"Patient/{administration.episode.client_id}"},
        "executionPeriod": period,
        "authoredOn": administration.created_at.isoformat(),
        "lastModified": last_updated.isoformat(),
    }
    if status == "cancelled":
        withdrawn = administration.cancelled_at is not None
        task["statusReason"] = {"text": WITHDRAWN if withdrawn else CARE_ENDED}
    response = getattr(administration, "response", None) if status == "completed" else None
    if response is not None:
        task["output"] = [
            {
                "type": {"text": "QuestionnaireResponse"},
                "valueReference": {"reference": f"QuestionnaireResponse/response-{response.pk}"},
            }
        ]
    return _stamped(task, last_updated)


def _read_task(caller: ApiCaller, resource_id: str) -> tuple[Resource, list[int]]:
    now = timezone.now()
    found = caller_one(caller_checkins(caller, now=now), _pk("Task", resource_id))
    return task_resource(found, now), [found.episode.client_id]


def _search_tasks(caller: ApiCaller, query: Search) -> Page:
    now = timezone.now()
    rows = caller_checkins(caller, query, now=now)
    page = _window(rows, query)
    resources = [task_resource(row, now) for row in page]
    return Page(resources, rows.count(), [row.episode.client_id for row in page])


# Questionnaire (the shipped instruments: no client's data) --------------------------------


def _shipped() -> list[Instrument]:
    return [inst for inst in list_instruments() if inst.source == "builtin"]


def _questionnaire(inst: Instrument) -> Resource:
    resource = to_questionnaire(inst)
    day = resource.get("date")
    when = datetime.fromisoformat(day).replace(tzinfo=UTC) if isinstance(day, str) else None
    return _stamped(resource, when)


def questionnaire_for(canonical: str) -> Resource | None:
    """The shipped Questionnaire a QuestionnaireResponse names (``url|version``)."""
    url, _bar, version = canonical.partition("|")
    for inst in _shipped():
        if inst.url == url and (not version or inst.version == version):
            return _questionnaire(inst)
    return None


def _within(bound: DateBound, moment: str | None) -> bool:
    if moment is None:
        return False
    when = datetime.fromisoformat(moment)
    return {
        "ge": when >= bound.start,
        "gt": when >= bound.end,
        "le": when < bound.end,
        "lt": when < bound.start,
    }.get(bound.prefix, bound.start <= when < bound.end)


def _read_questionnaire(_caller: ApiCaller, resource_id: str) -> tuple[Resource, list[int]]:
    for inst in _shipped():
        if questionnaire_id(inst) == resource_id:
            return _questionnaire(inst), []
    raise Http404


def _matches_questionnaire(resource: Resource, query: Search) -> bool:
    url, _bar, version = (query.url or "").partition("|")
    if query.url and (resource.get("url") != url or version not in ("", resource["version"])):
        return False
    if query.name and not str(resource.get("name", "")).lower().startswith(query.name.lower()):
        return False
    return all(_within(b, resource.get("meta", {}).get("lastUpdated")) for b in query.dates)


def _search_questionnaires(_caller: ApiCaller, query: Search) -> Page:
    found = [q for q in map(_questionnaire, _shipped()) if _matches_questionnaire(q, query)]
    return Page(found[query.offset : query.offset + query.count], len(found), [])


KINDS: dict[str, Kind] = {
    "Patient": Kind(read=_read_patient, search=_search_patients),
    "QuestionnaireResponse": Kind(
        read=lambda caller, pk: _read_response_part(caller, "QuestionnaireResponse", pk),
        search=_search_qrs,
    ),
    "Observation": Kind(
        read=lambda caller, pk: _read_response_part(caller, "Observation", pk),
        search=_search_observations,
    ),
    "EpisodeOfCare": _kind(
        "EpisodeOfCare",
        caller_episode_resources,
        lambda _caller, episode: _episode(episode),
        lambda episode: episode.client_id,
    ),
    "CarePlan": _kind("CarePlan", caller_plans, _plan, lambda episode: episode.client_id),
    "Goal": _kind(
        "Goal", caller_goals, lambda _caller, goal: _goal(goal), lambda g: g.episode.client_id
    ),
    "DetectedIssue": _kind(
        "DetectedIssue", caller_alerts, lambda _caller, alert: _alert(alert), lambda a: a.client_id
    ),
    "Questionnaire": Kind(read=_read_questionnaire, search=_search_questionnaires),
    "Task": Kind(read=_read_task, search=_search_tasks),
}


def references(value: Any) -> Iterable[str]:
    """The references (or a canonical) a resource's element holds."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("reference"), str):
            yield item["reference"]
        elif isinstance(item, str):
            yield item


# Bulk export ($export): every resource of a type the caller reaches, streamed ------------

# Rows read from the database at a time: an export never holds more than a chunk of them.
CHUNK_SIZE = 500
Exported = Iterator[tuple[Resource, int | None]]


def _changed_since(resource: str, since: datetime | None) -> Search:
    dates = () if since is None else (DateBound("gt", since, since + timedelta(microseconds=1)),)
    return Search(resource=resource, dates=dates)


def _rows(queryset: QuerySet[M]) -> Iterator[M]:
    return queryset.iterator(chunk_size=CHUNK_SIZE)


def _export_patients(caller: ApiCaller, _since: datetime | None) -> Exported:
    # Every patient the caller reaches, whatever _since says: a Patient keeps no time of
    # its last change, and the spec lets a server send what the other resources refer to.
    for patient in _rows(caller_patients(caller)):
        yield patient_resource(patient), patient.pk


def _export_responses(part: str) -> Callable[[ApiCaller, datetime | None], Exported]:
    def export(caller: ApiCaller, since: datetime | None) -> Exported:
        for response in _rows(caller_responses(caller, _changed_since(part, since))):
            resources = response_resources(response)
            for found in resources[:1] if part == "QuestionnaireResponse" else resources[1:]:
                yield found, response.client_id

    return export


def _export_rows(
    name: str,
    reach: Callable[[ApiCaller, Search | None], QuerySet[Any]],
    mapping: Callable[[ApiCaller, Any], Resource],
    client_of: Callable[[Any], int],
) -> Callable[[ApiCaller, datetime | None], Exported]:
    def export(caller: ApiCaller, since: datetime | None) -> Exported:
        for row in _rows(reach(caller, _changed_since(name, since))):
            yield mapping(caller, row), client_of(row)

    return export


def _export_questionnaires(_caller: ApiCaller, since: datetime | None) -> Exported:
    query = _changed_since("Questionnaire", since)
    for found in map(_questionnaire, _shipped()):
        if _matches_questionnaire(found, query):
            yield found, None


# What ``$export`` writes, type by type, in this order: each resource and whose data it is.
EXPORTS: dict[str, Callable[[ApiCaller, datetime | None], Exported]] = {
    "Patient": _export_patients,
    "EpisodeOfCare": _export_rows(
        "EpisodeOfCare",
        caller_episode_resources,
        lambda _caller, episode: _episode(episode),
        lambda episode: episode.client_id,
    ),
    "CarePlan": _export_rows("CarePlan", caller_plans, _plan, lambda e: e.client_id),
    "Goal": _export_rows(
        "Goal", caller_goals, lambda _caller, goal: _goal(goal), lambda g: g.episode.client_id
    ),
    "QuestionnaireResponse": _export_responses("QuestionnaireResponse"),
    "Observation": _export_responses("Observation"),
    "DetectedIssue": _export_rows(
        "DetectedIssue", caller_alerts, lambda _caller, alert: _alert(alert), lambda a: a.client_id
    ),
    "Questionnaire": _export_questionnaires,
}
