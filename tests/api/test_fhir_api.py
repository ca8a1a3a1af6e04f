"""The FHIR R4 API: what each role's token reaches, the errors, paging and filters."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import PHQ9_TOTAL_LOINC, answered, body, call, outcome, token_for, valid
from tests.conftest import Cast, signed_in

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"


def test_metadata_needs_no_token_and_says_what_is_supported() -> None:
    response = call(f"{BASE}/metadata")
    assert response.status_code == 200
    statement = valid(body(response))
    rest = statement["rest"][0]
    served = {r["type"]: r for r in rest["resource"]}
    assert set(served) == {
        "Patient",
        "QuestionnaireResponse",
        "Observation",
        "EpisodeOfCare",
        "CarePlan",
        "Goal",
        "DetectedIssue",
        "Questionnaire",
        "Task",
    }
    assert served["Goal"]["searchInclude"] == ["Goal:subject"]
    assert "searchInclude" not in served["Patient"]
    assert {i["code"] for i in served["Observation"]["interaction"]} == {"read", "search-type"}
    assert {p["name"] for p in served["Observation"]["searchParam"]} == {
        "patient",
        "subject",
        "code",
        "date",
        "_lastUpdated",
        "_count",
        "_offset",
    }
    assert statement["format"] == ["application/fhir+json"]


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer alliance_nothing", "Basic abc", "Token alliance_x"],
)
def test_no_or_unknown_token_is_401(cast: Cast, header: str | None) -> None:
    from django.test import Client

    headers = {"Authorization": header} if header else {}
    response = Client().get(f"{BASE}/Patient", headers=headers)
    outcome(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_session_alone_is_401(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    browser = signed_in(cast.dana)
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", client=browser), 401)
    outcome(call(f"{BASE}/Observation", client=browser), 401)


def test_expired_and_revoked_tokens_are_401(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alliance.api.models import ApiToken
    from alliance.api.services import api_token_revoke

    expired = token_for(cast.alice, "user/*.rs")
    revoked = token_for(cast.alice, "user/*.rs")
    tokens = list(ApiToken.objects.order_by("pk"))
    ApiToken.objects.filter(pk=tokens[0].pk).update(expires_at=timezone.now() - timedelta(1))
    api_token_revoke(actor=cast.alice, token=tokens[1])
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", expired), 401)
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", revoked), 401)


def test_a_deactivated_owners_token_is_401(cast: Cast) -> None:
    token = token_for(cast.alice, "user/*.rs")
    type(cast.alice).objects.filter(pk=cast.alice.pk).update(is_active=False)
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", token), 401)


def test_the_therapist_reads_her_clients_and_nobody_else(cast: Cast) -> None:
    token = token_for(cast.alice, "user/*.rs")
    response = call(f"{BASE}/Patient/{cast.dana.pk}", token)
    assert response.status_code == 200
    patient = valid(body(response))
    assert patient["name"][0]["text"] == "Dana"
    for other in (cast.alice, cast.sam, cast.ada, 99999):
        pk = getattr(other, "pk", other)
        outcome(call(f"{BASE}/Patient/{pk}", token), 404)
    bundle = valid(body(call(f"{BASE}/Patient", token)))
    assert {e["resource"]["id"] for e in bundle["entry"]} == {str(cast.dana.pk), str(cast.eve.pk)}


def test_another_therapists_token_gets_404_for_alices_client(cast: Cast) -> None:
    response_ = answered(cast, cast.dana_episode)
    token = token_for(cast.charlie, "user/*.rs")
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", token), 404)
    outcome(call(f"{BASE}/QuestionnaireResponse/response-{response_.pk}", token), 404)
    outcome(call(f"{BASE}/Observation/response-{response_.pk}-obs-1", token), 404)
    # A search by a patient one does not reach is a 404 too, as the read would be.
    outcome(call(f"{BASE}/Observation", token, patient=f"Patient/{cast.dana.pk}"), 404)
    outcome(call(f"{BASE}/Observation", token, patient="99999"), 404)
    assert valid(body(call(f"{BASE}/Observation", token)))["total"] == 0


def test_the_supervisor_reads_only_the_episodes_they_supervise(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    answered(cast, cast.eve_episode)
    token = token_for(cast.sam, "user/*.rs")
    outcome(call(f"{BASE}/Patient/{cast.eve.pk}", token), 404)
    bundle = valid(body(call(f"{BASE}/QuestionnaireResponse", token)))
    assert {e["resource"]["subject"]["reference"] for e in bundle["entry"]} == {
        f"Patient/{cast.dana.pk}"
    }


def test_a_clients_token_reaches_only_their_own_record(cast: Cast) -> None:
    mine = answered(cast, cast.dana_episode)
    theirs = answered(cast, cast.eve_episode)
    token = token_for(cast.dana, "patient/*.rs")
    valid(body(call(f"{BASE}/Patient/{cast.dana.pk}", token)))
    outcome(call(f"{BASE}/Patient/{cast.eve.pk}", token), 404)
    outcome(call(f"{BASE}/QuestionnaireResponse/response-{theirs.pk}", token), 404)
    qr = valid(body(call(f"{BASE}/QuestionnaireResponse/response-{mine.pk}", token)))
    assert qr["subject"]["reference"] == f"Patient/{cast.dana.pk}"
    bundle = valid(body(call(f"{BASE}/Observation", token)))
    assert bundle["total"] >= 1
    assert {e["resource"]["subject"]["reference"] for e in bundle["entry"]} == {
        f"Patient/{cast.dana.pk}"
    }


def test_the_admins_token_reaches_no_record(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    token = token_for(cast.ada, "user/*.rs")
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", token), 404)
    for kind in ("Patient", "QuestionnaireResponse", "Observation"):
        assert valid(body(call(f"{BASE}/{kind}", token)))["total"] == 0


def test_scopes_limit_resource_types_and_search(cast: Cast) -> None:
    response_ = answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/Observation.r")
    outcome(call(f"{BASE}/Patient/{cast.dana.pk}", token), 403)
    outcome(call(f"{BASE}/QuestionnaireResponse/response-{response_.pk}", token), 403)
    outcome(call(f"{BASE}/Observation", token), 403)
    assert call(f"{BASE}/Observation/response-{response_.pk}-obs-1", token).status_code == 200


def test_observations_are_the_exports_loinc_coded_totals(cast: Cast) -> None:
    from alliance.measures.services import response_fhir_entries

    response_ = answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    bundle = valid(
        body(call(f"{BASE}/Observation", token, code=f"http://loinc.org|{PHQ9_TOTAL_LOINC}"))
    )
    assert bundle["total"] == 1
    obs = bundle["entry"][0]["resource"]
    exported = [e["resource"] for e in response_fhir_entries(response_)]
    same = next(r for r in exported if r.get("id") == obs["id"])
    assert obs["code"] == same["code"]
    assert obs["valueQuantity"] == same["valueQuantity"]
    assert obs["derivedFrom"] == [{"reference": f"QuestionnaireResponse/response-{response_.pk}"}]
    read = valid(body(call(f"{BASE}/Observation/{obs['id']}", token)))
    assert read == obs
    assert valid(body(call(f"{BASE}/Observation", token, code="no-such-code")))["total"] == 0


def test_paging_links_walk_every_match_once(cast: Cast) -> None:
    for day in range(1, 6):
        answered(cast, cast.dana_episode, when=f"2026-03-0{day}T10:00:00+00:00")
    token = token_for(cast.alice, "user/*.rs")
    seen: list[str] = []
    page: dict[str, Any] = valid(
        body(call(f"{BASE}/QuestionnaireResponse", token, patient=cast.dana.pk, _count=2))
    )
    assert page["total"] == 5
    while True:
        seen += [e["resource"]["id"] for e in page["entry"]]
        links = {link["relation"]: link["url"] for link in page["link"]}
        if "next" not in links:
            break
        assert links["next"].startswith("http://testserver/fhir/R4/QuestionnaireResponse?")
        page = valid(body(call(links["next"].removeprefix("http://testserver"), token)))
    assert len(seen) == len(set(seen)) == 5


def test_date_filters_with_ge_and_le(cast: Cast) -> None:
    for day in ("2026-03-01", "2026-03-05", "2026-03-09"):
        answered(cast, cast.dana_episode, when=f"{day}T10:00:00+00:00")
    token = token_for(cast.alice, "user/*.rs")

    def authored(**params: Any) -> list[str]:
        bundle = valid(body(call(f"{BASE}/QuestionnaireResponse", token, **params)))
        return [e["resource"]["authored"][:10] for e in bundle["entry"]]

    assert authored(authored="ge2026-03-05") == ["2026-03-05", "2026-03-09"]
    assert authored(authored="le2026-03-05") == ["2026-03-01", "2026-03-05"]
    assert authored(authored=["ge2026-03-02", "le2026-03-08"]) == ["2026-03-05"]
    assert authored(_lastUpdated="gt2026-03-05") == ["2026-03-09"]
    obs = valid(body(call(f"{BASE}/Observation", token, date="2026-03-01")))
    assert {e["resource"]["effectiveDateTime"][:10] for e in obs["entry"]} == {"2026-03-01"}


@pytest.mark.parametrize(
    "params",
    [
        {"unknown": "1"},
        {"date": "yesterday"},
        {"_count": "many"},
        {"patient": "Group/1"},
        {"patient": "1", "subject": "1"},
    ],
)
def test_bad_search_parameters_are_400(cast: Cast, params: dict[str, str]) -> None:
    token = token_for(cast.alice, "user/*.rs")
    outcome(call(f"{BASE}/Observation", token, **params), 400)


def test_unknown_types_and_writes_are_refused(cast: Cast) -> None:
    from django.test import Client

    token = token_for(cast.alice, "user/*.rs")
    outcome(call(f"{BASE}/Encounter", token), 404)
    outcome(call(f"{BASE}/Encounter/session-1", token), 404)
    response = Client().post(f"{BASE}/Patient", {}, headers={"Authorization": f"Bearer {token}"})
    outcome(response, 405)


def test_every_read_is_audited_and_shown_to_the_client(cast: Cast) -> None:
    from alliance.api.models import ApiToken
    from alliance.audit.models import Action, AuditEvent

    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    prefix = ApiToken.objects.get().prefix
    call(f"{BASE}/Observation", token, patient=cast.dana.pk)
    event = AuditEvent.objects.filter(action=Action.API_READ).get()
    assert (event.actor_id, event.client_id) == (cast.alice.pk, cast.dana.pk)
    assert event.target_type == f"api_token:{prefix}"
    page = signed_in(cast.dana).get("/me/record-access/")
    text = page.content.decode()
    assert "through the API" in text
    assert prefix in text


def test_a_token_is_rate_limited_with_retry_after(cast: Cast, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir_api": "2/m/key"}
    token = token_for(cast.alice, "user/*.rs")
    other = token_for(cast.alice, "user/*.rs")
    for _ in range(2):
        assert call(f"{BASE}/Patient", token).status_code == 200
    limited = call(f"{BASE}/Patient", token)
    outcome(limited, 429)
    assert int(limited["Retry-After"]) > 0
    assert call(f"{BASE}/Patient", other).status_code == 200


def test_the_api_ignores_cookies_even_a_staff_session_without_two_factor(cast: Cast) -> None:
    from alliance.accounts.services import user_create

    newcomer = user_create(
        actor=None,
        email="new.therapist@example.test",
        password="correct horse battery staple",
        preferred_name="Nell",
        role="therapist",
    )
    browser = signed_in(newcomer)
    # The session would send her to set up an authenticator app; the API never reads it.
    response = call(f"{BASE}/Patient", client=browser)
    outcome(response, 401)
    assert not response.cookies
    token = token_for(cast.alice, "user/*.rs")
    response = call(f"{BASE}/Patient", token, client=signed_in(cast.charlie))
    assert response.status_code == 200
    assert {e["resource"]["id"] for e in body(response)["entry"]} == {
        str(cast.dana.pk),
        str(cast.eve.pk),
    }
    assert not response.cookies


def test_observation_pages_hold_every_score_once(cast: Cast) -> None:
    for day in range(1, 4):
        answered(cast, cast.dana_episode, when=f"2026-04-0{day}T09:00:00+00:00")
    answered(cast, cast.eve_episode, when="2026-04-02T09:00:00+00:00", instrument="gad-7")
    token = token_for(cast.alice, "user/*.rs")
    everything = valid(body(call(f"{BASE}/Observation", token, _count=100)))
    seen: list[str] = []
    url: str | None = f"{BASE}/Observation?_count=2"
    while url is not None:
        page = valid(body(call(url, token)))
        assert page["total"] == everything["total"]
        seen += [e["resource"]["id"] for e in page["entry"]]
        url = next(
            (
                link["url"].removeprefix("http://testserver")
                for link in page["link"]
                if link["relation"] == "next"
            ),
            None,
        )
    assert seen == [e["resource"]["id"] for e in everything["entry"]]
    assert len(set(seen)) == everything["total"] >= 4


def test_a_patient_search_by_id_beyond_reach_matches_nothing_as_a_missing_one(cast: Cast) -> None:
    token = token_for(cast.charlie, "user/*.rs")
    for pk in (cast.dana.pk, 99999):
        bundle = valid(body(call(f"{BASE}/Patient", token, _id=str(pk))))
        assert (bundle["total"], bundle.get("entry", [])) == (0, [])
    mine = token_for(cast.alice, "user/*.rs")
    bundle = valid(body(call(f"{BASE}/Patient", mine, _id=f"{cast.dana.pk},99999")))
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(cast.dana.pk)]
