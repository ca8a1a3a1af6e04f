"""The FHIR R4 answers: read and search dispatched to the served types
(``alliance.api.resources``), ``_include``, searchset Bundles, OperationOutcome and the
CapabilityStatement.

No second mapping: every resource is the record export's or the instruments' own (see
``alliance.api.resources``). Only the references change, from the export's ``urn:uuid:``
to the server's ``Type/id``, and each resource says when it last changed
(``meta.lastUpdated``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import Http404

from alliance.api.callers import ApiCaller
from alliance.api.resources import IDS, KINDS, Page, questionnaire_for, references
from alliance.api.search import DATE_PARAMS, INCLUDES, SEARCH_PARAMS, Search
from alliance.lib.smart_scopes import scopes_allow

Resource = dict[str, Any]
FHIR_VERSION = "4.0.1"


class ScopeDenied(Exception):
    """The token's scopes do not cover this resource type (403)."""


def require_scope(caller: ApiCaller, resource: str, permission: str) -> None:
    if not scopes_allow(caller.scopes, resource, permission):
        raise ScopeDenied(resource)


def read(caller: ApiCaller, resource: str, resource_id: str) -> tuple[Resource, list[int]]:
    """One resource and the clients whose data it is; 404 when the caller does not reach
    it (or the type is not served)."""
    if resource not in KINDS:
        raise Http404
    return KINDS[resource].read(caller, resource_id)


@dataclass(frozen=True)
class Found:
    """A search's answer: the page, what ``_include`` brought, and whose data is in it."""

    page: Page
    included: list[Resource]
    client_ids: list[int]


def search(caller: ApiCaller, query: Search) -> Found:
    page = KINDS[query.resource].search(caller, query)
    included, client_ids = _included(caller, query, page.matches)
    return Found(page=page, included=included, client_ids=page.client_ids + client_ids)


def _included(
    caller: ApiCaller, query: Search, matches: list[Resource]
) -> tuple[list[Resource], list[int]]:
    """What ``_include`` names, each read as the caller would read it (what they do not
    reach, or their scopes do not cover, is left out), once."""
    seen = {(r["resourceType"], r["id"]) for r in matches}
    included: list[Resource] = []
    client_ids: list[int] = []
    for name in query.includes:
        element = INCLUDES[query.resource][name]
        for target in (t for r in matches for t in references(r.get(element))):
            found = _include_one(caller, target, seen)
            if found is not None:
                included.append(found[0])
                client_ids += found[1]
    return included, client_ids


def _include_one(
    caller: ApiCaller, target: str, seen: set[tuple[str, str]]
) -> tuple[Resource, list[int]] | None:
    questionnaire = questionnaire_for(target) if "|" in target or ":" in target else None
    key = ("Questionnaire", questionnaire["id"]) if questionnaire else tuple(target.split("/", 1))
    if len(key) != 2 or key in seen or key[0] not in IDS:
        return None
    seen.add((key[0], key[1]))
    if not scopes_allow(caller.scopes, key[0], "r"):
        return None
    if questionnaire is not None:
        return questionnaire, []
    try:
        return read(caller, key[0], key[1])
    except Http404:
        return None


def searchset(
    *,
    base: str,
    query: Search,
    params: list[tuple[str, str]],
    resources: list[Resource],
    total: int,
    included: list[Resource] | None = None,
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
                "search": {"mode": mode},
            }
            for mode, found in (("match", resources), ("include", included or []))
            for r in found
        ],
    }


def operation_outcome(code: str, diagnostics: str) -> Resource:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def stored_outcome() -> Resource:
    """What ``Prefer: return=OperationOutcome`` answers when no crisis help is due."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "information", "code": "informational", "diagnostics": "Answers stored."}
        ],
    }


SEARCH_DOCS = {
    "_id": ("token", "clients' ids, comma-separated; one the token does not reach matches nothing"),
    "patient": ("reference", "the client (Patient/<id>); a client the token does not reach is 404"),
    "subject": ("reference", "the same as patient"),
    "code": ("token", "the score's code, <system>|<code> or <code> (LOINC for totals)"),
    "url": ("uri", "the Questionnaire's canonical url, optionally |<version>"),
    "name": ("string", "the Questionnaire's computer name (starts with, any case)"),
    "lifecycle-status": ("token", "proposed, active, completed or cancelled"),
    "_count": ("number", f"how many a page holds (at most {100})"),
    "_offset": ("number", "how many matches to skip (the next link sets it)"),
}


STATUS_DOCS = {
    "EpisodeOfCare": {"status": ("token", "active (open) or finished (closed), comma-separated")},
    "DetectedIssue": {
        "status": (
            "token",
            "the alert's own status (extension urn:alliance:extension:alert-status): open, "
            "acknowledged or resolved, comma-separated; final (every alert's FHIR status) "
            "matches all",
        )
    },
    "Task": {
        "status": (
            "token",
            "ready (the client may answer it now), requested (its window is not open yet), "
            "completed or cancelled (withdrawn, or the episode closed), comma-separated",
        )
    },
}


# What a caller may create: a client's answers to one of their check-ins.
CREATED = ("QuestionnaireResponse",)
CREATE_DOCS = (
    "A client's answers to one of their check-ins (a client's token with "
    "patient/QuestionnaireResponse.c): basedOn names the Task (Task/checkin-<id>), each item "
    "its linkId and one answer (valueCoding, valueInteger, valueDecimal or valueString). "
    "Scored, stored and alerted as the web form does: 201 with the stored response and its "
    "Location, 200 with it when the check-in was answered before (nothing stored again). "
    "When a risk item was answered, the crisis help comes with it: a contained "
    "OperationOutcome named by the extension urn:alliance:extension:crisis-resources. "
    "Prefer: return=minimal or return=OperationOutcome are honoured (the crisis help is "
    "always sent)."
)

# FHIR Bulk Data Access 2.0's Patient-level export (alliance.api.bulk): staff tokens only.
EXPORT_OPERATION = {
    "name": "export",
    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
    "documentation": (
        "Bulk Data Access 2.0, Patient level, for a clinician's user/ token (therapist or "
        "supervisor): every resource the token reads, as NDJSON files. Prefer: "
        "respond-async; _type, _since, _outputFormat (application/fhir+ndjson). Files are "
        "removed once each has been fetched, or when the export expires."
    ),
}


def _oauth_security(oauth: dict[str, str] | None) -> Resource:
    """SMART's oauth-uris extension (authorize, token, revoke) and what apps are given."""
    if not oauth:
        return {}
    return {
        "extension": [
            {
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [{"url": name, "valueUri": uri} for name, uri in oauth.items()],
            }
        ],
        "description": (
            "Personal bearer tokens, or an app's OAuth 2.0 access token (SMART App Launch 2: "
            "authorization code with PKCE S256, access tokens for 15 minutes, refresh tokens "
            "only with offline_access; /.well-known/smart-configuration), with SMART scopes."
        ),
    }


def capability_statement(
    *, base: str, software: str, date: str, oauth: dict[str, str] | None = None
) -> Resource:
    """What the server does, exactly: read and search of the types served, JSON only."""
    resources = []
    for resource, params in SEARCH_PARAMS.items():
        docs = {name: ("date", text) for name, text in DATE_PARAMS.items()} | SEARCH_DOCS
        docs |= STATUS_DOCS.get(resource, {})
        served: Resource = {
            "type": resource,
            "interaction": [
                {"code": "read"},
                {"code": "search-type"},
                *(
                    [{"code": "create", "documentation": CREATE_DOCS}]
                    if resource in CREATED
                    else []
                ),
            ],
            "searchParam": [
                {"name": name, "type": docs[name][0], "documentation": docs[name][1]}
                for name in params
                if name != "_include"
            ],
        }
        if resource in INCLUDES:
            served["searchInclude"] = list(INCLUDES[resource])
        if resource == "Patient":
            served["operation"] = [EXPORT_OPERATION]
        resources.append(served)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "kind": "instance",
        "software": {"name": software},
        "implementation": {
            "description": "Alliance FHIR API (reads; a client's answers are created)",
            "url": base,
        },
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Reads, and a client's answers to their check-ins (create "
                    "QuestionnaireResponse). Authorization: Bearer <personal API token> "
                    "(alliance api-token create) or an app's OAuth access token, with SMART "
                    "scopes patient/… (a client: their own record) or user/… (a clinician: "
                    "the clients of episodes they treat or supervise); .r reads, .s "
                    "searches, patient/QuestionnaireResponse.c sends answers. A resource the "
                    "token does not reach is 404, also when searched by patient. No cookies."
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
                }
                | _oauth_security(oauth),
                "resource": resources,
            }
        ],
    }
