"""The JSON API (/api/v1/): each operation by each role, through tokens as an integration would.

Alice treats Dana and Eve, Sam supervises Dana's episode, Charlie treats nobody here, Ada
is the practice admin, Dana a client. A risk answer of Dana's raised one alert.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.api.helpers import token_for
from tests.conftest import Cast, signed_in
from tests.records.helpers import respond

BASE = "/api/v1"
RISK_ANSWERS = [0, 0, 0, 0, 0, 0, 0, 0, 1]
READ = "user/*.rs"
WRITE = "user/*.crus"


def get(path: str, token: str | None, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(f"{BASE}{path}", params, headers=headers)


def post(path: str, token: str | None, data: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().post(
        f"{BASE}{path}", json.dumps(data or {}), content_type="application/json", headers=headers
    )


def answer(response: Any, status: int) -> Any:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    if status >= 400:
        assert isinstance(data["detail"], (str, list)), data
    return data


@pytest.fixture
def alert(cast: Cast) -> Any:
    return respond(cast, cast.dana_episode, "phq-9", RISK_ANSWERS).alerts.get()


def _staff(cast: Cast) -> dict[str, Any]:
    return {"therapist": cast.alice, "other_therapist": cast.charlie, "supervisor": cast.sam}


def _api_reads(cast: Cast) -> list[tuple[int, int | None]]:
    from alliance.audit.models import Action, AuditEvent

    return list(
        AuditEvent.objects.filter(action=Action.API_READ)
        .order_by("pk")
        .values_list("actor_id", "client_id")
    )


# --- the document ---


def test_the_openapi_document_is_31_public_and_names_each_scope(cast: Cast) -> None:
    doc = answer(Client().get(f"{BASE}/openapi.json"), 200)
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        f"{BASE}/caseload",
        f"{BASE}/alerts",
        f"{BASE}/alerts/{{alert_id}}",
        f"{BASE}/alerts/{{alert_id}}/acknowledge",
        f"{BASE}/alerts/{{alert_id}}/resolve",
        f"{BASE}/clients/{{client_id}}/questionnaire-requests",
    }
    for methods in doc["paths"].values():
        for operation in methods.values():
            assert "Scope: " in operation["description"]
            assert operation["security"]
            assert {"401", "403", "404", "422", "429"} <= set(operation["responses"])
    assert doc["components"]["securitySchemes"]["CallerBearer"]["scheme"] == "bearer"


def test_there_is_no_docs_page_that_would_load_assets_from_elsewhere(cast: Cast) -> None:
    assert Client().get(f"{BASE}/docs").status_code == 404
    assert b"cdn" not in Client().get(f"{BASE}/openapi.json").content.lower()


# --- who may call ---


def test_no_token_or_a_bad_one_is_401_with_www_authenticate(cast: Cast) -> None:
    for token in (None, "alliance_not-a-token"):
        refused = get("/caseload", token)
        answer(refused, 401)
        assert refused["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_session_does_not_authenticate_the_api(cast: Cast) -> None:
    answer(signed_in(cast.alice).get(f"{BASE}/caseload"), 401)


@pytest.mark.parametrize(
    ("who", "scope"), [("dana", "patient/*.rs"), ("ada", READ), ("ada", WRITE)]
)
def test_a_clients_and_the_admins_tokens_reach_no_route(
    cast: Cast, alert: Any, who: str, scope: str
) -> None:
    from alliance.alerts.models import AlertStatus
    from alliance.measures.models import Administration

    token = token_for(getattr(cast, who), scope)
    before = Administration.objects.count()
    answer(get("/caseload", token), 403)
    answer(get("/alerts", token), 403)
    answer(get(f"/alerts/{alert.pk}", token), 403)
    answer(post(f"/alerts/{alert.pk}/acknowledge", token, {"note": "Called her."}), 403)
    answer(post(f"/alerts/{alert.pk}/resolve", token, {}), 403)
    answer(
        post(f"/clients/{cast.dana.pk}/questionnaire-requests", token, {"instrument": "phq-9"}),
        403,
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert Administration.objects.count() == before
    assert _api_reads(cast) == []


def test_each_route_needs_its_scope(cast: Cast, alert: Any) -> None:
    only_observations = token_for(cast.alice, "user/Observation.rs")
    answer(get("/caseload", only_observations), 403)
    answer(get("/alerts", only_observations), 403)
    reader = token_for(cast.alice, READ)
    answer(post(f"/alerts/{alert.pk}/acknowledge", reader, {"note": "Called her."}), 403)
    answer(
        post(f"/clients/{cast.dana.pk}/questionnaire-requests", reader, {"instrument": "phq-9"}),
        403,
    )
    read_only_alerts = token_for(cast.alice, "user/DetectedIssue.r")
    answer(get(f"/alerts/{alert.pk}", read_only_alerts), 200)
    answer(get("/alerts", read_only_alerts), 403)


def test_a_token_is_rate_limited_with_retry_after(cast: Cast, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir_api": "2/m/key"}
    token = token_for(cast.alice, READ)
    other = token_for(cast.alice, READ)
    for _ in range(2):
        answer(get("/alerts", token), 200)
    limited = get("/alerts", token)
    answer(limited, 429)
    assert int(limited["Retry-After"]) > 0
    answer(get("/alerts", other), 200)


def test_a_method_a_route_does_not_take_is_a_json_405(cast: Cast) -> None:
    refused = Client().delete(f"{BASE}/caseload")
    answer(refused, 405)
    assert refused["Allow"] == "GET"


# --- the caseload ---


def test_the_caseload_is_the_pages_rows_by_role(cast: Cast, alert: Any) -> None:
    from alliance.alerts.selectors import caseload_page

    seen = {
        role: answer(get("/caseload", token_for(user, READ)), 200)
        for role, user in _staff(cast).items()
    }
    treating = seen["therapist"]["treating"]["items"]
    assert [row["client_id"] for row in treating] == [
        e.client_id for e in caseload_page(cast.alice).treating.episodes
    ]
    assert treating[0]["client_id"] == cast.dana.pk
    assert (treating[0]["need"], treating[0]["urgent"]) == ("urgent", True)
    assert treating[0]["risk_since"] is not None
    assert seen["therapist"]["needs"]["urgent"] == 1
    assert seen["therapist"]["treating"]["count"] == 2
    assert seen["other_therapist"]["treating"]["items"] == []
    assert seen["other_therapist"]["supervising"]["items"] == []
    supervised = seen["supervisor"]["supervising"]["items"]
    assert [row["client_id"] for row in supervised] == [cast.dana.pk]


def test_reading_the_caseload_is_an_api_read_of_each_client_returned(cast: Cast) -> None:
    answer(get("/caseload", token_for(cast.alice, READ)), 200)
    assert sorted(_api_reads(cast)) == sorted(
        [(cast.alice.pk, cast.dana.pk), (cast.alice.pk, cast.eve.pk)]
    )
    answer(get("/caseload", token_for(cast.charlie, READ)), 200)
    assert len(_api_reads(cast)) == 2


def test_the_caseload_is_paged_and_bad_pages_are_422(cast: Cast) -> None:
    token = token_for(cast.alice, READ)
    far = answer(get("/caseload", token, page=99), 200)
    assert far["treating"]["page"] == 1  # the nearest page, as on the web
    answer(get("/caseload", token, page=0), 422)
    answer(get("/caseload", token, page="x"), 422)


# --- alerts ---


def test_alerts_by_role(cast: Cast, alert: Any) -> None:
    for role, user in _staff(cast).items():
        token = token_for(user, READ)
        listed = answer(get("/alerts", token), 200)
        if role == "other_therapist":
            assert listed["items"] == []
            answer(get(f"/alerts/{alert.pk}", token), 404)
            answer(get("/alerts", token, client_id=cast.dana.pk), 404)
        else:
            assert [a["id"] for a in listed["items"]] == [alert.pk]
            one = answer(get(f"/alerts/{alert.pk}", token), 200)
            assert (one["client_id"], one["kind"], one["status"]) == (
                cast.dana.pk,
                "risk",
                "open",
            )
    answer(get("/alerts/999999", token_for(cast.alice, READ)), 404)


def test_alert_filters(cast: Cast, alert: Any) -> None:
    token = token_for(cast.alice, READ)
    assert answer(get("/alerts", token, status="open", kind="risk"), 200)["count"] == 1
    assert answer(get("/alerts", token, status="resolved"), 200)["count"] == 0
    assert answer(get("/alerts", token, client_id=cast.eve.pk), 200)["count"] == 0
    answer(get("/alerts", token, status="closed"), 422)
    answer(get("/alerts", token, page_size=1000), 422)


def test_reading_alerts_is_audited_and_shown_in_the_clients_access_log(
    cast: Cast, alert: Any
) -> None:
    from alliance.api.models import ApiToken

    token = token_for(cast.alice, READ)
    answer(get(f"/alerts/{alert.pk}", token), 200)
    answer(get("/alerts", token), 200)
    assert _api_reads(cast) == [(cast.alice.pk, cast.dana.pk)] * 2
    text = signed_in(cast.dana).get("/me/record-access/").content.decode()
    assert "through the API" in text
    assert ApiToken.objects.get().prefix in text


@pytest.mark.parametrize("role", ["therapist", "supervisor"])
def test_acknowledge_then_resolve_through_the_web_services(
    cast: Cast, alert: Any, role: str
) -> None:
    from alliance.alerts.models import AlertStatus
    from alliance.audit.models import Action, AuditEvent

    user = _staff(cast)[role]
    token = token_for(user, WRITE)
    answer(post(f"/alerts/{alert.pk}/resolve", token, {}), 400)  # acknowledge first
    done = answer(post(f"/alerts/{alert.pk}/acknowledge", token, {"note": "Called her."}), 200)
    assert (done["status"], done["acknowledgement_note"]) == ("acknowledged", "Called her.")
    answer(post(f"/alerts/{alert.pk}/acknowledge", token, {"note": "Again."}), 400)
    resolved = answer(post(f"/alerts/{alert.pk}/resolve", token, {"note": "Safe."}), 200)
    assert (resolved["status"], resolved["resolution_note"]) == ("resolved", "Safe.")
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by_id, alert.resolved_by_id) == (
        AlertStatus.RESOLVED,
        user.pk,
        user.pk,
    )
    written = AuditEvent.objects.filter(target_type="alert", target_id=alert.pk).exclude(
        action=Action.ALERT_RAISED
    )
    assert set(written.values_list("action", "actor_id")) == {
        (Action.ALERT_ACKNOWLEDGED, user.pk),
        (Action.ALERT_RESOLVED, user.pk),
    }


def test_alert_notes_are_stored_encrypted(cast: Cast, alert: Any) -> None:
    from django.db import connection

    from alliance.alerts.models import Alert

    token = token_for(cast.alice, WRITE)
    answer(post(f"/alerts/{alert.pk}/acknowledge", token, {"note": "Called her mother."}), 200)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT acknowledgement_note FROM {Alert._meta.db_table} WHERE id = %s", [alert.pk]
        )
        (raw,) = cursor.fetchone()
    assert "mother" not in raw


@pytest.mark.parametrize(
    "body",
    [{}, {"note": ""}, {"note": "   "}, {"note": 5}, {"note": "x" * 4001}, "not an object"],
)
def test_a_bad_acknowledgement_changes_nothing(cast: Cast, alert: Any, body: Any) -> None:
    from alliance.alerts.models import AlertStatus
    from alliance.audit.models import AuditEvent

    before = AuditEvent.objects.count()
    refused = post(f"/alerts/{alert.pk}/acknowledge", token_for(cast.alice, WRITE), body)
    assert refused.status_code in (400, 422)
    answer(refused, refused.status_code)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert AuditEvent.objects.count() == before + 1  # the token's creation only


def test_another_therapist_cannot_touch_the_alert(cast: Cast, alert: Any) -> None:
    from alliance.alerts.models import AlertStatus

    token = token_for(cast.charlie, WRITE)
    answer(post(f"/alerts/{alert.pk}/acknowledge", token, {"note": "Mine now."}), 404)
    answer(post(f"/alerts/{alert.pk}/resolve", token, {}), 404)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


# --- asking for a questionnaire ---


def test_the_treating_therapist_asks_for_a_questionnaire(cast: Cast) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.measures.models import Administration

    made = answer(
        post(
            f"/clients/{cast.dana.pk}/questionnaire-requests",
            token_for(cast.alice, WRITE),
            {"instrument": "gad-7", "due_at": "2030-01-02T09:00:00Z"},
        ),
        201,
    )
    administration = Administration.objects.get(pk=made["id"])
    assert (administration.episode_id, administration.instrument_id) == (
        cast.dana_episode.pk,
        "gad-7",
    )
    assert administration.requested_by_id == cast.alice.pk
    assert AuditEvent.objects.filter(
        action=Action.QUESTIONNAIRE_REQUESTED, client_id=cast.dana.pk, actor_id=cast.alice.pk
    ).exists()


@pytest.mark.parametrize(("role", "status"), [("supervisor", 403), ("other_therapist", 404)])
def test_only_the_treating_therapist_asks(cast: Cast, role: str, status: int) -> None:
    from alliance.measures.models import Administration

    token = token_for(_staff(cast)[role], WRITE)
    path = f"/clients/{cast.dana.pk}/questionnaire-requests"
    answer(post(path, token, {"instrument": "phq-9"}), status)
    assert not Administration.objects.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"instrument": "no-such-questionnaire"}, 400),
        ({}, 422),
        ({"instrument": "phq-9", "due_at": "2030-01-02T09:00:00"}, 422),  # no time zone
        ({"instrument": "phq-9", "due_at": "tomorrow"}, 422),
    ],
)
def test_a_bad_questionnaire_request_changes_nothing(cast: Cast, body: Any, status: int) -> None:
    from alliance.measures.models import Administration

    path = f"/clients/{cast.dana.pk}/questionnaire-requests"
    answer(post(path, token_for(cast.alice, WRITE), body), status)
    assert not Administration.objects.exists()


def test_a_client_nobody_reaches_is_404(cast: Cast) -> None:
    answer(
        post(
            "/clients/999999/questionnaire-requests",
            token_for(cast.alice, WRITE),
            {"instrument": "phq-9"},
        ),
        404,
    )
