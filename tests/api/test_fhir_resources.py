"""The FHIR API's EpisodeOfCare, CarePlan, Goal, DetectedIssue and Questionnaire: each role's
reach, the record export's mapping, _lastUpdated, _include, and code search in the database."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import PHQ9_TOTAL_LOINC, answered, body, call, outcome, token_for, valid
from tests.conftest import Cast
from tests.records.helpers import rich_record

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
CLIENT_TYPES = ("EpisodeOfCare", "CarePlan", "Goal", "DetectedIssue")


def ids(bundle: dict[str, Any], mode: str = "match") -> set[str]:
    return {
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == mode
    }


def danas(cast: Cast) -> dict[str, str]:
    """Dana's resource of each type, as Type/id."""
    rich = rich_record(cast)
    return {
        "EpisodeOfCare": f"EpisodeOfCare/episode-{rich.episode.pk}",
        "CarePlan": f"CarePlan/plan-{rich.episode.pk}",
        "Goal": f"Goal/goal-{rich.goal.pk}",
        "DetectedIssue": f"DetectedIssue/alert-{rich.alert.pk}",
    }


@pytest.mark.parametrize("kind", CLIENT_TYPES)
def test_the_therapist_reads_and_searches_her_clients(cast: Cast, kind: str) -> None:
    mine = danas(cast)[kind]
    token = token_for(cast.alice, "user/*.rs")
    found = valid(body(call(f"{BASE}/{mine}", token)))
    assert f"{found['resourceType']}/{found['id']}" == mine
    assert found["meta"]["lastUpdated"]
    bundle = valid(body(call(f"{BASE}/{kind}", token, patient=f"Patient/{cast.dana.pk}")))
    assert mine in ids(bundle)
    assert ids(valid(body(call(f"{BASE}/{kind}", token, subject=str(cast.dana.pk))))) == ids(bundle)


@pytest.mark.parametrize("kind", CLIENT_TYPES)
def test_another_therapist_gets_404_and_nothing(cast: Cast, kind: str) -> None:
    mine = danas(cast)[kind]
    token = token_for(cast.charlie, "user/*.rs")
    outcome(call(f"{BASE}/{mine}", token), 404)
    outcome(call(f"{BASE}/{kind}", token, patient=cast.dana.pk), 404)
    assert valid(body(call(f"{BASE}/{kind}", token)))["total"] == 0


@pytest.mark.parametrize("kind", CLIENT_TYPES)
def test_the_supervisor_reaches_the_supervised_episode_only(cast: Cast, kind: str) -> None:
    mine = danas(cast)[kind]
    token = token_for(cast.sam, "user/*.rs")
    valid(body(call(f"{BASE}/{mine}", token)))
    outcome(call(f"{BASE}/{kind}", token, patient=cast.eve.pk), 404)


@pytest.mark.parametrize("kind", CLIENT_TYPES)
def test_a_client_reaches_their_own_only_and_the_admin_nothing(cast: Cast, kind: str) -> None:
    mine = danas(cast)[kind]
    own = token_for(cast.dana, "patient/*.rs")
    valid(body(call(f"{BASE}/{mine}", own)))
    other = token_for(cast.eve, "patient/*.rs")
    outcome(call(f"{BASE}/{mine}", other), 404)
    assert valid(body(call(f"{BASE}/{kind}", other)))["total"] == (
        1 if kind in ("EpisodeOfCare", "CarePlan") else 0
    )
    admin = token_for(cast.ada, "user/*.rs")
    outcome(call(f"{BASE}/{mine}", admin), 404)
    assert valid(body(call(f"{BASE}/{kind}", admin)))["total"] == 0


def test_the_resources_are_the_record_exports(cast: Cast) -> None:
    from alliance.records.export import record_bundle
    from alliance.records.selectors import client_record

    mine = danas(cast)
    exported = {
        f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"]
        for e in record_bundle(client_record(cast.dana, everything=False))["entry"]
    }
    token = token_for(cast.alice, "user/*.rs")
    for key in mine.values():
        served = valid(body(call(f"{BASE}/{key}", token)))
        assert served.get("status") == exported[key].get("status")
        assert served.get("description") == exported[key].get("description")
    goal = valid(body(call(f"{BASE}/{mine['Goal']}", token)))
    assert goal["subject"]["reference"] == f"Patient/{cast.dana.pk}"
    # A practitioner is not served: the reference keeps who it was, not a dangling link.
    assert "reference" not in goal["expressedBy"] or goal["expressedBy"]["reference"].startswith(
        "Patient/"
    )


def test_status_searches(cast: Cast) -> None:
    mine = danas(cast)
    token = token_for(cast.alice, "user/*.rs")

    def found(kind: str, **params: Any) -> set[str]:
        return ids(valid(body(call(f"{BASE}/{kind}", token, **params))))

    assert mine["EpisodeOfCare"] in found("EpisodeOfCare", status="active")
    assert mine["EpisodeOfCare"] not in found("EpisodeOfCare", status="finished")
    assert mine["Goal"] in found("Goal", **{"lifecycle-status": "active"})
    assert found("Goal", **{"lifecycle-status": "completed"}) == set()
    assert mine["DetectedIssue"] in found("DetectedIssue", status="acknowledged")
    assert mine["DetectedIssue"] not in found("DetectedIssue", status="open")


def test_last_updated_is_searchable_on_every_new_type(cast: Cast) -> None:
    mine = danas(cast)
    token = token_for(cast.alice, "user/*.rs")
    for kind, key in mine.items():
        stamp = valid(body(call(f"{BASE}/{key}", token)))["meta"]["lastUpdated"]
        assert key in ids(valid(body(call(f"{BASE}/{kind}", token, _lastUpdated=f"ge{stamp}"))))
        later = valid(body(call(f"{BASE}/{kind}", token, _lastUpdated=f"gt{stamp}")))
        assert key not in ids(later), kind


def test_paging_goals(cast: Cast) -> None:
    from alliance.plans.services import goal_propose

    for n in range(5):
        goal_propose(actor=cast.dana, episode=cast.dana_episode, text=f"Goal {n}")
    token = token_for(cast.alice, "user/*.rs")
    first = valid(body(call(f"{BASE}/Goal", token, _count=2)))
    assert first["total"] == 5
    nxt = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = valid(body(call(nxt.removeprefix("http://testserver"), token)))
    assert ids(first).isdisjoint(ids(second))


def test_include_brings_the_patient_and_the_questionnaire_audited(cast: Cast) -> None:
    from alliance.audit.models import Action, AuditEvent

    mine = danas(cast)
    token = token_for(cast.alice, "user/*.rs")
    bundle = valid(
        body(
            call(
                f"{BASE}/Goal",
                token,
                patient=cast.dana.pk,
                _include="Goal:subject",
            )
        )
    )
    assert mine["Goal"] in ids(bundle)
    assert ids(bundle, "include") == {f"Patient/{cast.dana.pk}"}
    response_ = answered(cast, cast.eve_episode)
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    bundle = valid(
        body(
            call(
                f"{BASE}/QuestionnaireResponse",
                token,
                patient=cast.eve.pk,
                _include=["QuestionnaireResponse:subject", "QuestionnaireResponse:questionnaire"],
            )
        )
    )
    included = ids(bundle, "include")
    assert f"Patient/{cast.eve.pk}" in included
    assert any(i.startswith("Questionnaire/phq-9-") for i in included)
    audited = AuditEvent.objects.filter(action=Action.API_READ, pk__gt=before)
    assert set(audited.values_list("client_id", flat=True)) == {cast.eve.pk}
    obs = valid(
        body(
            call(
                f"{BASE}/Observation",
                token,
                patient=cast.eve.pk,
                _include="Observation:derived-from",
            )
        )
    )
    assert ids(obs, "include") == {f"QuestionnaireResponse/response-{response_.pk}"}
    outcome(call(f"{BASE}/Goal", token, _include="Goal:nothing"), 400)


def test_include_leaves_out_what_the_scopes_do_not_cover(cast: Cast) -> None:
    danas(cast)
    token = token_for(cast.alice, "user/Goal.rs")
    bundle = valid(body(call(f"{BASE}/Goal", token, _include="Goal:subject")))
    assert ids(bundle, "include") == set()


def test_questionnaires_are_the_shipped_instruments_for_any_token(cast: Cast) -> None:
    from alliance.audit.models import Action, AuditEvent

    for user, scope in ((cast.ada, "user/*.rs"), (cast.dana, "patient/*.rs")):
        token = token_for(user, scope)
        bundle = valid(body(call(f"{BASE}/Questionnaire", token, _count=100)))
        assert "Questionnaire/phq-9-1.0.0" in ids(bundle)
        phq9 = valid(body(call(f"{BASE}/Questionnaire/phq-9-1.0.0", token)))
        assert phq9["url"] == "urn:alliance:questionnaire:phq-9"
        by_url = valid(body(call(f"{BASE}/Questionnaire", token, url=phq9["url"])))
        assert ids(by_url) == {"Questionnaire/phq-9-1.0.0"}
        by_name = valid(body(call(f"{BASE}/Questionnaire", token, name="gad")))
        assert {i.split("/")[1].rsplit("-", 1)[0] for i in ids(by_name)} == {"gad-2", "gad-7"}
        outcome(call(f"{BASE}/Questionnaire/nothing-1.0", token), 404)
    assert not AuditEvent.objects.filter(action=Action.API_READ).exists()
    outcome(call(f"{BASE}/Questionnaire"), 401)
    outcome(call(f"{BASE}/Questionnaire", token_for(cast.alice, "user/Goal.rs")), 403)


def test_code_search_filters_in_the_database(cast: Cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = token_for(cast.alice, "user/*.rs")
    code = f"http://loinc.org|{PHQ9_TOTAL_LOINC}"

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            bundle = valid(body(call(f"{BASE}/Observation", token, code=code, _count=3)))
        return len(captured.captured_queries), bundle["total"]

    for _ in range(5):
        answered(cast, cast.dana_episode)
    answered(cast, cast.dana_episode, instrument="gad-7")
    queries()  # once, so that what is looked up once per process is
    few, total = queries()
    assert total == 5
    for _ in range(45):
        answered(cast, cast.dana_episode)
    many, total = queries()
    assert total == 50
    assert many == few
