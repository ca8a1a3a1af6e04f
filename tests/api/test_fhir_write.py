"""The FHIR API's writes and check-ins: Task (a client's check-ins, read and searched as
everything else) and a client's answers sent as a QuestionnaireResponse (POST), scored,
stored and alerted as the web form does."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import body, call, outcome, token_for, valid
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4"
WRITE = "patient/*.rs patient/QuestionnaireResponse.c"
# PHQ-9's answers, by weight (LOINC answer codes).
CODES = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


def ask(cast: Cast, instrument: str = "phq-9", episode: Any = None, **extra: Any) -> Any:
    from alliance.measures.services import administration_request

    episode = episode or cast.dana_episode
    return administration_request(
        actor=episode.therapist, episode=episode, instrument_id=instrument, **extra
    )


def task_ref(administration: Any) -> str:
    return f"Task/checkin-{administration.pk}"


def phq9(administration: Any, weights: list[int], difficulty: str | None = None) -> dict:
    items: list[dict[str, Any]] = [
        {"linkId": f"phq9-{n}", "answer": [{"valueCoding": {"code": CODES[w]}}]}
        for n, w in enumerate(weights, start=1)
    ]
    if difficulty is not None:
        items.append(
            {"linkId": "phq9-difficulty", "answer": [{"valueCoding": {"code": difficulty}}]}
        )
    return {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "basedOn": [{"reference": task_ref(administration)}],
        "item": items,
    }


def post(token: str | None, data: Any, **headers: str) -> Any:
    raw = data if isinstance(data, str | bytes) else json.dumps(data)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Client().post(
        f"{BASE}/QuestionnaireResponse",
        raw,
        content_type="application/fhir+json",
        headers=headers,
    )


def stored(administration: Any) -> int:
    from alliance.measures.models import Response

    return Response.objects.filter(administration_id=administration.pk).count()


def alerts(cast: Cast) -> list[str]:
    from alliance.alerts.models import Alert

    return list(Alert.objects.filter(client=cast.dana).values_list("kind", flat=True))


# Task ------------------------------------------------------------------------------------


def test_a_clients_waiting_checkins_are_tasks_for_them(cast: Cast) -> None:
    from django.utils import timezone

    waiting = ask(cast, due_at=timezone.now() + timedelta(days=2))
    token = token_for(cast.dana, "patient/*.rs")
    task = valid(body(call(f"{BASE}/Task/checkin-{waiting.pk}", token)))
    assert task["status"] == "ready"
    assert task["intent"] == "order"
    assert task["for"] == {"reference": f"Patient/{cast.dana.pk}"}
    assert task["focus"]["reference"] == f"Questionnaire/phq-9-{waiting.instrument_version}"
    assert task["executionPeriod"]["end"] == waiting.due_at.isoformat()
    # The Questionnaire it names is served.
    questionnaire = call(f"{BASE}/{task['focus']['reference']}", token)
    assert questionnaire.status_code == 200


def test_task_status_follows_the_checkin(cast: Cast) -> None:
    from django.utils import timezone

    from alliance.care.services import episode_close
    from alliance.measures.models import Administration
    from tests.records.helpers import respond

    later = ask(cast)
    Administration.objects.filter(pk=later.pk).update(
        available_from=timezone.now() + timedelta(days=1)
    )
    withdrawn = ask(cast, instrument="gad-7")
    Administration.objects.filter(pk=withdrawn.pk).update(cancelled_at=timezone.now())
    answered = respond(cast, cast.dana_episode, "phq-9", [0] * 9).administration
    ready = ask(cast, instrument="phq-2")
    token = token_for(cast.dana, "patient/*.rs")

    def status(administration: Any) -> tuple[str, Any]:
        task = valid(body(call(f"{BASE}/Task/checkin-{administration.pk}", token)))
        return task["status"], task.get("statusReason", {}).get("text")

    assert status(later) == ("requested", None)
    assert status(withdrawn) == ("cancelled", "withdrawn by the therapist")
    assert status(ready) == ("ready", None)
    done = valid(body(call(f"{BASE}/Task/checkin-{answered.pk}", token)))
    assert done["status"] == "completed"
    assert done["output"][0]["valueReference"]["reference"].startswith("QuestionnaireResponse/")
    bundle = body(call(f"{BASE}/Task", token, status="ready,requested"))
    assert {e["resource"]["id"] for e in bundle["entry"]} == {
        f"checkin-{later.pk}",
        f"checkin-{ready.pk}",
    }
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    assert status(ready) == ("cancelled", "the episode of care closed before it was answered")
    assert body(call(f"{BASE}/Task", token, status="ready"))["total"] == 0


def test_tasks_are_reached_as_everything_else_and_each_read_is_audited(cast: Cast) -> None:
    from alliance.audit.models import Action, AuditEvent

    danas = ask(cast)
    eves = ask(cast, episode=cast.eve_episode)
    dana = token_for(cast.dana, "patient/*.rs")
    outcome(call(f"{BASE}/Task/checkin-{eves.pk}", dana), 404)
    outcome(call(f"{BASE}/Task", dana, patient=f"Patient/{cast.eve.pk}"), 404)
    outcome(call(f"{BASE}/Task/checkin-999999", dana), 404)
    outcome(call(f"{BASE}/Task/checkin-{'9' * 30}", dana), 404)
    outcome(call(f"{BASE}/Task/{danas.pk}", dana), 404)
    assert [e["resource"]["id"] for e in body(call(f"{BASE}/Task", dana))["entry"]] == [
        f"checkin-{danas.pk}"
    ]
    # The therapist reaches both, the other therapist neither.
    alice = token_for(cast.alice, "user/Task.rs")
    assert body(call(f"{BASE}/Task", alice))["total"] == 2
    charlie = token_for(cast.charlie, "user/*.rs")
    outcome(call(f"{BASE}/Task/checkin-{danas.pk}", charlie), 404)
    assert body(call(f"{BASE}/Task", charlie))["total"] == 0
    # A token without Task in its scopes is 403.
    outcome(call(f"{BASE}/Task", token_for(cast.alice, "user/Patient.rs")), 403)
    before = AuditEvent.objects.filter(action=Action.API_READ, client_id=cast.eve.pk).count()
    call(f"{BASE}/Task/checkin-{eves.pk}", alice)
    after = AuditEvent.objects.filter(action=Action.API_READ, client_id=cast.eve.pk).count()
    assert after == before + 1


def test_tasks_page_and_filter_by_last_updated(cast: Cast) -> None:
    from django.utils import timezone

    from alliance.measures.models import Administration

    first, second, third = ask(cast), ask(cast, "gad-7"), ask(cast, "phq-2")
    Administration.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(days=10)
    )
    token = token_for(cast.dana, "patient/*.rs")
    page = body(call(f"{BASE}/Task", token, _count="2"))
    assert page["total"] == 3 and len(page["entry"]) == 2
    assert any(link["relation"] == "next" for link in page["link"])
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    recent = body(call(f"{BASE}/Task", token, _lastUpdated=f"ge{since}"))
    assert {e["resource"]["id"] for e in recent["entry"]} == {
        f"checkin-{second.pk}",
        f"checkin-{third.pk}",
    }
    outcome(call(f"{BASE}/Task", token, code="x"), 400)


def test_the_capability_statement_says_tasks_are_read_and_answers_created() -> None:
    statement = valid(body(call(f"{BASE}/metadata")))
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {i["code"] for i in served["Task"]["interaction"]} == {"read", "search-type"}
    assert {i["code"] for i in served["QuestionnaireResponse"]["interaction"]} == {
        "read",
        "search-type",
        "create",
    }
    assert {p["name"] for p in served["Task"]["searchParam"]} == {
        "patient",
        "status",
        "_lastUpdated",
        "_count",
        "_offset",
    }


# POST QuestionnaireResponse -------------------------------------------------------------


def test_answers_are_scored_stored_and_answered_201_with_location(cast: Cast) -> None:
    administration = ask(cast)
    token = token_for(cast.dana, WRITE)
    response = post(token, phq9(administration, [1, 2, 1, 1, 0, 1, 0, 0, 0]))
    assert response.status_code == 201, response.content
    created = valid(body(response))
    assert created["resourceType"] == "QuestionnaireResponse"
    assert response["Location"].endswith(f"{BASE}/QuestionnaireResponse/{created['id']}")
    assert "contained" not in created
    administration.refresh_from_db()
    assert administration.completed_at is not None
    assert administration.response.total == 6
    assert administration.response.submitted_by_id == cast.dana.pk
    # What was stored is what a read gives.
    assert body(call(f"{BASE}/QuestionnaireResponse/{created['id']}", token)) == created
    assert alerts(cast) == []


def test_a_risk_answer_raises_the_alert_and_brings_crisis_help(cast: Cast) -> None:
    administration = ask(cast)
    response = post(token_for(cast.dana, WRITE), phq9(administration, [0] * 8 + [1]))
    assert response.status_code == 201, response.content
    created = valid(body(response))
    assert "risk" in alerts(cast)
    (crisis,) = created["contained"]
    assert crisis["resourceType"] == "OperationOutcome"
    assert {
        "url": "urn:alliance:extension:crisis-resources",
        "valueReference": {"reference": "#crisis"},
    } in created["extension"]
    texts = " ".join(issue["diagnostics"] for issue in crisis["issue"])
    assert "emergency number" in texts
    assert "Open my safety plan page: http://testserver/me/safety-plan/" in texts
    assert {issue["severity"] for issue in crisis["issue"]} == {"information"}
    # return=minimal still brings the crisis help.
    again = ask(cast, "phq-9")
    minimal = post(token_for(cast.dana, WRITE), phq9(again, [0] * 8 + [2]), Prefer="return=minimal")
    assert minimal.status_code == 201
    assert "emergency number" in json.dumps(body(minimal))


def test_crisis_help_is_in_the_clients_language(cast: Cast) -> None:
    administration = ask(cast, episode=cast.eve_episode)
    response = post(token_for(cast.eve, WRITE), phq9(administration, [0] * 8 + [3]))
    assert response.status_code == 201
    texts = " ".join(i["diagnostics"] for i in body(response)["contained"][0]["issue"])
    assert "No tiene que afrontar esto en soledad" in texts


@pytest.mark.parametrize("difficulty", [None, "LA6573-5"])
def test_phq9s_optional_difficulty_item_may_be_answered_or_not(
    cast: Cast, difficulty: str | None
) -> None:
    from alliance.instruments import get_instrument

    codes = [o.code for o in get_instrument("phq-9").item("phq9-difficulty").options]
    chosen = codes[1] if difficulty else None
    administration = ask(cast)
    response = post(token_for(cast.dana, WRITE), phq9(administration, [1] * 9, chosen))
    assert response.status_code == 201, response.content
    administration.refresh_from_db()
    assert administration.response.total == 9
    assert ("phq9-difficulty" in administration.response.answers) == bool(chosen)


def test_answers_may_be_nested_in_groups_as_the_apis_own_responses(cast: Cast) -> None:
    from tests.records.helpers import respond

    own = respond(cast, cast.dana_episode, "phq-9", [2] * 9)
    token = token_for(cast.dana, WRITE)
    read = body(call(f"{BASE}/QuestionnaireResponse/response-{own.pk}", token))
    administration = ask(cast)
    sent = {k: v for k, v in read.items() if k not in ("id", "meta", "authored")}
    sent["basedOn"] = [{"reference": task_ref(administration)}]
    response = post(token, sent)
    assert response.status_code == 201, response.content
    administration.refresh_from_db()
    assert administration.response.total == own.total


def test_the_same_checkin_sent_again_is_200_with_the_stored_response(cast: Cast) -> None:
    administration = ask(cast)
    token = token_for(cast.dana, WRITE)
    first = post(token, phq9(administration, [1] * 9))
    second = post(token, phq9(administration, [3] * 9))
    assert (first.status_code, second.status_code) == (201, 200)
    assert body(second)["id"] == body(first)["id"]
    assert second["Location"] == first["Location"]
    assert stored(administration) == 1
    administration.refresh_from_db()
    assert administration.response.total == 9


def test_a_risk_answer_sent_again_is_not_dropped(cast: Cast) -> None:
    """The copy sent again is not stored, but its risk answer brings the crisis help and
    raises the urgent alert, once (as the web form's second tab does)."""
    from alliance.alerts.models import Alert

    administration = ask(cast)
    token = token_for(cast.dana, WRITE)
    first = post(token, phq9(administration, [1] * 8 + [0]))
    assert first.status_code == 201 and "contained" not in body(first)
    for _ in range(2):
        again = post(token, phq9(administration, [0] * 8 + [3]))
        assert again.status_code == 200, again.content
        assert body(again)["id"] == body(first)["id"]
        assert "emergency number" in json.dumps(body(again)["contained"])
    assert stored(administration) == 1
    (alert,) = Alert.objects.filter(client=cast.dana)
    assert alert.kind == "risk" and alert.details["items"][0]["value"] == 3
    # A copy that does not read as answers stores nothing and raises nothing more.
    assert post(token, {**phq9(administration, [0] * 9), "item": "x"}).status_code == 200
    assert Alert.objects.filter(client=cast.dana).count() == 1


def test_a_checkin_not_open_stores_nothing_409(cast: Cast) -> None:
    from django.utils import timezone

    from alliance.care.services import episode_close
    from alliance.measures.models import Administration

    token = token_for(cast.dana, WRITE)
    withdrawn, later, closed = ask(cast), ask(cast, "gad-7"), ask(cast, "phq-2")
    Administration.objects.filter(pk=withdrawn.pk).update(cancelled_at=timezone.now())
    Administration.objects.filter(pk=later.pk).update(
        available_from=timezone.now() + timedelta(days=1)
    )
    assert (
        "withdrawn"
        in outcome(post(token, phq9(withdrawn, [1] * 9)), 409)["issue"][0]["diagnostics"]
    )
    gad7 = {
        "resourceType": "QuestionnaireResponse",
        "basedOn": [{"reference": task_ref(later)}],
        "item": [],
    }
    assert "not open yet" in outcome(post(token, gad7), 409)["issue"][0]["diagnostics"]
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    phq2 = gad7 | {"basedOn": [{"reference": task_ref(closed)}]}
    assert "closed" in outcome(post(token, phq2), 409)["issue"][0]["diagnostics"]
    assert [stored(a) for a in (withdrawn, later, closed)] == [0, 0, 0]


@pytest.mark.parametrize(
    ("change", "status", "said"),
    [
        (lambda b: "{not json", 400, "not JSON"),
        (lambda b: [b], 400, "JSON object"),
        (lambda b: b | {"resourceType": "Observation"}, 400, "QuestionnaireResponse"),
        (lambda b: {k: v for k, v in b.items() if k != "basedOn"}, 422, "basedOn"),
        (lambda b: b | {"basedOn": [{"reference": "CarePlan/plan-1"}]}, 422, "basedOn"),
        (lambda b: b | {"basedOn": [*b["basedOn"], *b["basedOn"]]}, 422, "basedOn"),
        (lambda b: b | {"basedOn": [{"reference": "Task/checkin-" + "9" * 30}]}, 422, "basedOn"),
        (lambda b: b | {"status": "in-progress"}, 422, "completed"),
        (lambda b: b | {"questionnaire": "http://example.org/q|1"}, 422, "questionnaire"),
        (lambda b: b | {"subject": {"reference": "Patient/999999"}}, 422, "subject"),
        (lambda b: b | {"item": b["item"][:8]}, 422, "phq9-9"),
        (lambda b: b | {"item": [*b["item"], {"linkId": "nope", "answer": []}]}, 422, "nope"),
        (lambda b: b | {"item": [*b["item"], b["item"][0]]}, 422, "twice"),
        (
            lambda b: (
                b
                | {"item": [{"linkId": "phq9-1", "answer": [{"valueInteger": 1}]}, *b["item"][1:]]}
            ),
            422,
            "valueCoding",
        ),
        (
            lambda b: (
                b
                | {
                    "item": [
                        {"linkId": "phq9-1", "answer": [{"valueCoding": {"code": "LA0"}}]},
                        *b["item"][1:],
                    ]
                }
            ),
            422,
            "one of",
        ),
        (
            lambda b: (
                b
                | {
                    "item": [
                        {"linkId": "phq9-1", "answer": [{"valueCoding": {"code": CODES[0]}}] * 2},
                        *b["item"][1:],
                    ]
                }
            ),
            422,
            "one answer",
        ),
        (lambda b: b | {"item": "phq9-1"}, 422, "list"),
    ],
)
def test_bad_bodies_are_refused_with_a_diagnostic_and_store_nothing(
    cast: Cast, change: Any, status: int, said: str
) -> None:
    administration = ask(cast)
    response = post(token_for(cast.dana, WRITE), change(phq9(administration, [1] * 9)))
    assert said in outcome(response, status)["issue"][0]["diagnostics"]
    assert stored(administration) == 0
    assert alerts(cast) == []


def test_a_text_answer_is_stored_and_a_number_checked(cast: Cast) -> None:
    administration = ask(cast, "session-feedback")
    from alliance.instruments import get_instrument

    inst = get_instrument("session-feedback")
    items = [
        {"linkId": i.link_id, "answer": [{"valueInteger": int(i.max_value or 0)}]}
        for i in inst.items
        if i.kind == "integer"
    ]
    body_ = {
        "resourceType": "QuestionnaireResponse",
        "basedOn": [{"reference": task_ref(administration)}],
        "item": [*items, {"linkId": "sf-comment", "answer": [{"valueString": "Helpful."}]}],
    }
    token = token_for(cast.dana, WRITE)
    too_big = body_ | {
        "item": [{"linkId": items[0]["linkId"], "answer": [{"valueInteger": 99}]}, *items[1:]]
    }
    assert "maximum" in outcome(post(token, too_big), 422)["issue"][0]["diagnostics"]
    too_long = body_ | {
        "item": [*items, {"linkId": "sf-comment", "answer": [{"valueString": "x" * 4001}]}]
    }
    assert "4000" in outcome(post(token, too_long), 422)["issue"][0]["diagnostics"]
    assert post(token, body_).status_code == 201
    administration.refresh_from_db()
    assert administration.response.text_answers == {"sf-comment": "Helpful."}


def test_another_clients_checkin_is_404_and_staff_cannot_answer_403(cast: Cast) -> None:
    eves = ask(cast, episode=cast.eve_episode)
    danas = ask(cast)
    outcome(post(token_for(cast.dana, WRITE), phq9(eves, [1] * 9)), 404)
    staff = token_for(cast.alice, "user/*.crus")
    assert "client" in outcome(post(staff, phq9(danas, [1] * 9)), 403)["issue"][0]["diagnostics"]
    assert [stored(eves), stored(danas)] == [0, 0]


def test_the_token_needs_the_create_scope(cast: Cast) -> None:
    administration = ask(cast)
    outcome(post(token_for(cast.dana, "patient/*.rs"), phq9(administration, [1] * 9)), 403)
    outcome(post(None, phq9(administration, [1] * 9)), 401)
    wide = token_for(cast.dana, "patient/*.crs")
    assert post(wide, phq9(administration, [1] * 9)).status_code == 201


def test_only_questionnaire_responses_are_created_and_nothing_else_is_written(cast: Cast) -> None:
    token = token_for(cast.dana, "patient/*.crs")
    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    outcome(
        client.post(f"{BASE}/Observation", "{}", content_type="application/json", headers=headers),
        405,
    )
    outcome(client.put(f"{BASE}/QuestionnaireResponse", "{}", headers=headers), 405)
    outcome(client.delete(f"{BASE}/Task/checkin-1", headers=headers), 405)
    outcome(client.post(f"{BASE}/metadata", "{}", content_type="application/json"), 405)


def test_prefer_return_operation_outcome_and_minimal(cast: Cast) -> None:
    token = token_for(cast.dana, WRITE)
    first, second = ask(cast), ask(cast, "phq-9")
    minimal = post(token, phq9(first, [1] * 8 + [0]), Prefer="return=minimal")
    assert minimal.status_code == 201 and minimal.content == b""
    assert minimal["Location"].endswith(f"/QuestionnaireResponse/response-{first.response.pk}")
    told = post(token, phq9(second, [1] * 8 + [0]), Prefer="return=OperationOutcome")
    assert outcome(told, 201)["issue"][0]["severity"] == "information"


def test_a_write_is_rate_limited_as_reads(cast: Cast, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir_api": "2/m/key"}
    administration = ask(cast)
    token = token_for(cast.dana, WRITE)
    post(token, phq9(administration, [1] * 9))
    post(token, phq9(administration, [1] * 9))
    limited = post(token, phq9(administration, [1] * 9))
    outcome(limited, 429)
    assert limited["Retry-After"]


# Generated bodies -------------------------------------------------------------------------

LINK_IDS = [f"phq9-{n}" for n in range(1, 10)]
answer_value = st.one_of(
    st.builds(lambda c: {"valueCoding": {"code": c}}, st.sampled_from([*CODES, "LA6572-7", "x"])),
    st.builds(lambda i: {"valueInteger": i}, st.integers(-3, 5)),
    st.builds(lambda s: {"valueString": s}, st.text(max_size=5)),
    st.just({}),
    st.just("a"),
)
item = st.fixed_dictionaries(
    {"linkId": st.sampled_from([*LINK_IDS, "phq9-difficulty", "phq9-total", "zzz"])},
    optional={"answer": st.lists(answer_value, max_size=2)},
)
bodies = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["QuestionnaireResponse", "QuestionnaireResponse", "Task"])},
    optional={
        "status": st.sampled_from(["completed", "in-progress", 3]),
        "item": st.one_of(
            st.lists(item, max_size=12),
            # every required item with a valid option, the optional one answered or not
            st.builds(
                lambda ws, d: (
                    [
                        {"linkId": link, "answer": [{"valueCoding": {"code": CODES[w]}}]}
                        for link, w in zip(LINK_IDS, ws, strict=True)
                    ]
                    + (
                        [{"linkId": "phq9-difficulty", "answer": [{"valueCoding": {"code": d}}]}]
                        if d
                        else []
                    )
                ),
                st.lists(st.integers(0, 3), min_size=9, max_size=9),
                st.sampled_from([None, "LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3"]),
            ),
            st.just("nope"),
        ),
        "subject": st.sampled_from([None, {"reference": "Patient/0"}, "x"]),
    },
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=bodies, named=st.sampled_from(["own", "none", "another client's", "junk"]))
def test_generated_bodies_never_fail_the_server_and_store_only_when_201(
    cast: Cast, sent: dict[str, Any], named: str
) -> None:
    from alliance.measures.models import Response

    administration = ask(cast)
    token = token_for(cast.dana, WRITE)
    based_on = {
        "own": [{"reference": task_ref(administration)}],
        "another client's": [{"reference": task_ref(ask(cast, episode=cast.eve_episode))}],
        "junk": [{"reference": 7}, "Task/checkin-1"],
    }.get(named)
    if based_on is not None:
        sent = sent | {"basedOn": based_on}
    before = Response.objects.count()
    response = post(token, {k: v for k, v in sent.items() if v is not None})
    assert response.status_code < 500, response.content
    assert response.status_code in (201, 400, 404, 422)
    assert Response.objects.count() == before + (response.status_code == 201)
    if response.status_code == 201:
        assert stored(administration) == 1
    else:
        valid(body(response))
