"""The FHIR R4 resources and Bundles the API answers with.

No second mapping: a Patient is the record export's (``records.export.patient_resource``),
a QuestionnaireResponse and its Observations are the ones every export makes
(``measures.services.response_fhir_entries``). Only the references change, from the
export's ``urn:uuid:`` to the server's ``Type/id``, and each resource says when it last
changed (``meta.lastUpdated``: a response, once answered, never changes).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.http import Http404

from alliance.accounts.models import User
from alliance.api.callers import ApiCaller
from alliance.api.search import DATE_PARAMS, SEARCH_PARAMS, Search
from alliance.api.selectors import (
    caller_patient,
    caller_patients,
    caller_response,
    caller_responses,
)
from alliance.lib.fhir_bundle import restful_references
from alliance.lib.smart_scopes import scopes_allow
from alliance.measures.models import Response
from alliance.measures.services import response_fhir_entries
from alliance.records.export import patient_resource

Resource = dict[str, Any]
FHIR_VERSION = "4.0.1"
RESPONSE_ID = re.compile(r"^response-(?P<pk>\d+)$")
OBSERVATION_ID = re.compile(r"^response-(?P<pk>\d+)-obs-\d+$")


class ScopeDenied(Exception):
    """The token's scopes do not cover this resource type (403)."""


def require_scope(caller: ApiCaller, resource: str, permission: str) -> None:
    if not scopes_allow(caller.scopes, resource, permission):
        raise ScopeDenied(resource)


def response_resources(response: Response) -> list[Resource]:
    """The QuestionnaireResponse and its Observations, as the server serves them."""
    resources = restful_references(response_fhir_entries(response))
    for resource in resources:
        resource["meta"] = {"lastUpdated": response.submitted_at.isoformat()}
    return resources


def _observations(response: Response, search: Search | None = None) -> list[Resource]:
    found = [r for r in response_resources(response) if r["resourceType"] == "Observation"]
    if search is None or search.code is None:
        return found
    system, code = search.code
    return [
        obs
        for obs in found
        if any(
            c.get("code") == code and (system is None or c.get("system") == system)
            for c in obs["code"].get("coding", [])
        )
    ]


def read(caller: ApiCaller, resource: str, resource_id: str) -> tuple[Resource, int]:
    """One resource and the client it is about; 404 when the caller does not reach it."""
    if resource == "Patient" and resource_id.isdigit():
        patient = caller_patient(caller, int(resource_id))
        return patient_resource(patient), patient.pk
    pattern = RESPONSE_ID if resource == "QuestionnaireResponse" else OBSERVATION_ID
    match = pattern.match(resource_id) if resource != "Patient" else None
    if match is None:
        raise Http404
    response = caller_response(caller, int(match["pk"]))
    for found in response_resources(response):
        if found["resourceType"] == resource and found["id"] == resource_id:
            return found, response.client_id
    raise Http404


def search(caller: ApiCaller, query: Search) -> tuple[list[Resource], int, list[int]]:
    """A page of matches, how many match in all, and the clients on the page."""
    if query.resource == "Patient":
        patients = caller_patients(caller)
        if query.ids:
            ids = [int(i) for i in query.ids if i.isdigit()]
            patients = patients.filter(pk__in=ids)
        page: list[User] = list(patients[query.offset : query.offset + query.count])
        return [patient_resource(p) for p in page], patients.count(), [p.pk for p in page]
    responses = caller_responses(caller, query)
    if query.resource == "QuestionnaireResponse":
        page_responses = list(responses[query.offset : query.offset + query.count])
        resources = [response_resources(r)[0] for r in page_responses]
        return resources, responses.count(), [r.client_id for r in page_responses]
    matches = [(obs, r.client_id) for r in responses for obs in _observations(r, query)]
    window = matches[query.offset : query.offset + query.count]
    return [obs for obs, _ in window], len(matches), [client for _, client in window]


def searchset(
    *,
    base: str,
    query: Search,
    params: list[tuple[str, str]],
    resources: list[Resource],
    total: int,
) -> Resource:
    """A searchset Bundle with ``self`` and, while more remain, ``next`` (and ``previous``)."""

    def link(relation: str, offset: int) -> dict[str, str]:
        kept = [(k, v) for k, v in params if k not in ("_count", "_offset")]
        kept += [("_count", str(query.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{base}/{query.resource}?{urlencode(kept)}"}

    links = [link("self", query.offset)]
    if query.offset + query.count < total:
        links.append(link("next", query.offset + query.count))
    if query.offset > 0:
        links.append(link("previous", max(0, query.offset - query.count)))
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{base}/{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def operation_outcome(code: str, diagnostics: str) -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


SEARCH_DOCS = {
    "_id": ("token", "clients' ids, comma-separated; one the token does not reach matches nothing"),
    "patient": ("reference", "the client (Patient/<id>); a client the token does not reach is 404"),
    "subject": ("reference", "the same as patient"),
    "code": ("token", "the score's code, <system>|<code> or <code> (LOINC for totals)"),
    "_count": ("number", f"how many a page holds (at most {100})"),
    "_offset": ("number", "how many matches to skip (the next link sets it)"),
}


def capability_statement(*, base: str, software: str, date: str) -> Resource:
    """What the server does, exactly: read and search of three types, JSON only."""
    resources = []
    for resource, params in SEARCH_PARAMS.items():
        docs = {name: ("date", text) for name, text in DATE_PARAMS.items()} | SEARCH_DOCS
        resources.append(
            {
                "type": resource,
                "interaction": [{"code": "read"}, {"code": "search-type"}],
                "searchParam": [
                    {"name": name, "type": docs[name][0], "documentation": docs[name][1]}
                    for name in params
                ],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": software},
        "implementation": {"description": "Alliance FHIR API (read only)", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read only. Authorization: Bearer <personal API token> (alliance "
                    "api-token create), with SMART scopes patient/… (a client: their own "
                    "record) or user/… (a clinician: the clients of episodes they treat or "
                    "supervise); .r reads, .s searches. A resource the token does not "
                    "reach is 404, also when searched by patient. No cookies."
                ),
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "Personal bearer tokens with SMART App Launch 2 scopes.",
                },
                "resource": resources,
            }
        ],
    }
