"""Fuzz the SMART EHR launch's edges: whatever an EHR or a browser puts in the launch and
callback URLs, and whatever a token endpoint answers, Alliance refuses in words (a page,
or SmartError), never fails (500) and never calls out for an EHR that is not registered."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.lib import smart_client
from alliance.lib.smart_client import SmartError
from tests.conftest import Cast

# A view case is a request with its page (about 0.3 s here); a parser case is microseconds.
VIEW_CASES = 60
CASES = 150
PARAM = st.text(max_size=80) | st.sampled_from(["", "http://127.0.0.1:1/fhir", "https://x/"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)


@pytest.fixture
def browser(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.alice)
    return client


@settings(
    max_examples=VIEW_CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(iss=PARAM, launch=PARAM)
def test_launch_refuses_in_words(browser: Client, iss: str, launch: str) -> None:
    response = browser.get(
        reverse("smart_launch"),
        {"iss": iss.replace("\x00", ""), "launch": launch.replace("\x00", "")},
    )
    assert response.status_code == 400


@settings(
    max_examples=VIEW_CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(code=PARAM, state=PARAM, error=PARAM)
def test_callback_refuses_in_words(browser: Client, code: str, state: str, error: str) -> None:
    query = {"code": code, "state": state, "error": error}
    response = browser.get(
        reverse("smart_callback"), {k: v.replace("\x00", "") for k, v in query.items()}
    )
    assert response.status_code == 400


@settings(max_examples=CASES * 3, deadline=None)
@given(
    answer=st.dictionaries(
        st.sampled_from(["fhirUser", "id_token", "aud", "iss", "patient"]),
        JSON | st.text(alphabet="abcXYZ012-_.=", max_size=60),
    )
)
def test_a_token_answer_is_read_or_refused(answer: dict[str, Any]) -> None:
    try:
        fhir_user = smart_client._fhir_user(answer, client_id="app", iss="https://ehr/fhir")
    except SmartError as refused:
        assert refused.reason == "token"
    else:
        assert isinstance(fhir_user, str) and fhir_user


@settings(max_examples=CASES, deadline=None)
@given(patient=st.dictionaries(st.sampled_from(["identifier", "id"]), JSON))
def test_patient_keys_take_any_patient(patient: dict[str, Any]) -> None:
    assert "p1" in smart_client.patient_keys("p1", patient)
