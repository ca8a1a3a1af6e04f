"""Tokens and FHIR calls for the API tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from tests.records.helpers import respond

PHQ9 = [1, 2, 1, 1, 0, 1, 0, 0, 0]
GAD7 = [1, 1, 1, 1, 0, 0, 0]
PHQ9_TOTAL_LOINC = "44261-6"


def token_for(user: Any, scope: str, days: int = 30) -> str:
    from alliance.api.services import api_token_create

    _token, raw = api_token_create(actor=user, owner=user, scope=scope, days=days)
    return raw


def call(path: str, token: str | None = None, client: Client | None = None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (client or Client()).get(path, params, headers=headers)


def body(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/fhir+json"
    data: dict[str, Any] = json.loads(response.content)
    return data


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, checked against FHIR R4B (fhir.resources)."""
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return resource


def outcome(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    data = valid(body(response))
    assert data["resourceType"] == "OperationOutcome"
    return data


def answered(cast: Any, episode: Any, when: str | None = None, instrument: str = "phq-9") -> Any:
    """A response in ``episode``, answered at ``when`` (ISO, UTC) if given."""
    from datetime import datetime

    from alliance.measures.models import Response

    response = respond(cast, episode, instrument, PHQ9 if instrument == "phq-9" else GAD7)
    if when is not None:
        moment = datetime.fromisoformat(when)
        Response.objects.filter(pk=response.pk).update(submitted_at=moment)
        response.refresh_from_db()
    return response
