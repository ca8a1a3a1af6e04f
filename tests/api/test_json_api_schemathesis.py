"""The JSON API driven by schemathesis from its own OpenAPI document, as no one tuned it.

In process, against Django's WSGI application: for every operation and every role's
token, schemathesis makes requests from the schema (valid ones, then invalid ones) and
checks each answer: never a server error, and every status, content type, header and body
as the document says. The budget is fixed and the examples derandomized, so a run is the
same every time and takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from schemathesis.generation import GenerationMode

from tests.api.helpers import token_for
from tests.conftest import Cast
from tests.records.helpers import respond

EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}
RISK_ANSWERS = [0, 0, 0, 0, 0, 0, 0, 0, 1]
ROLES = {
    "therapist": ("alice", "user/*.crus"),
    "other_therapist": ("charlie", "user/*.crus"),
    "supervisor": ("sam", "user/*.crus"),
    "admin": ("ada", "user/*.rs"),
    "client": ("dana", "patient/*.rs"),
}


@pytest.fixture
def wsgi_app(settings: Any) -> Iterator[WSGIHandler]:
    """Django's WSGI application inside the test's transaction: as Django's test client
    does, a request's end must not close the connection the test's data lives on."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir_api": "10000/m/key"}
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", list(ROLES))
def test_no_server_error_and_every_answer_matches_the_document(
    cast: Cast, wsgi_app: WSGIHandler, role: str
) -> None:
    respond(cast, cast.dana_episode, "phq-9", RISK_ANSWERS)  # an alert to find
    who, scope = ROLES[role]
    headers = {"Authorization": f"Bearer {token_for(getattr(cast, who), scope)}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    seen: list[int] = []
    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @hypothesis.settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case: Any) -> None:
                seen.append(case.call_and_validate(headers=headers).status_code)

            check()
    # The run reached the operations themselves, not only the doors: a clinician's token
    # gets answers, a client's or the admin's never does.
    succeeded = any(200 <= status < 300 for status in seen)
    assert succeeded == (role not in ("admin", "client")), sorted(set(seen))
