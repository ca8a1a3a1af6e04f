"""FHIR Bulk Data ``Patient/$export``: kick-off, the worker's run, status, files, removal.

The kick-off's task is queued when its transaction commits, which a test's transaction
never does: each test runs the worker's step itself (``bulk_export_run``), as
``alliance worker`` would."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from tests.api.helpers import answered, call, outcome, token_for
from tests.concurrency import at_once
from tests.conftest import Cast, make_cast

pytestmark = pytest.mark.django_db

KICKOFF = "/fhir/R4/Patient/$export"
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(autouse=True)
def _export_dir(settings: Any, tmp_path: Path) -> Path:
    settings.BULK_EXPORT_DIR = tmp_path / "bulk"
    return Path(settings.BULK_EXPORT_DIR)


def kickoff(token: str | None, prefer: bool = True, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return Client().get(KICKOFF, params, headers=headers | (ASYNC if prefer else {}))


def status_path(response: Any) -> str:
    assert response.status_code == 202, response.content
    location = str(response["Content-Location"])
    assert location.startswith("http://testserver/fhir/R4/$export-status/")
    return location.removeprefix("http://testserver")


def export_id(path: str) -> str:
    return path.rsplit("/", 1)[1]


def run(path: str) -> bool:
    from alliance.api.bulk import bulk_export_run

    return bulk_export_run(export_id(path))


def delete(path: str, token: str) -> Any:
    return Client().delete(path, headers={"Authorization": f"Bearer {token}"})


def fetch(url: str, token: str | None) -> list[dict[str, Any]]:
    response = call(url.removeprefix("http://testserver"), token)
    assert response.status_code == 200, response
    assert response["Content-Type"] == "application/fhir+ndjson"
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def done_export(token: str, **params: str) -> tuple[str, dict[str, Any]]:
    path = status_path(kickoff(token, **params))
    assert run(path)
    response = call(path, token)
    assert response.status_code == 200, response.content
    return path, json.loads(response.content)


def everything(manifest: dict[str, Any], token: str) -> dict[str, list[dict[str, Any]]]:
    return {item["type"]: fetch(item["url"], token) for item in manifest["output"]}


def test_kickoff_status_manifest_and_files(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    answered(cast, cast.eve_episode)
    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token, _outputFormat="application/fhir+ndjson"))
    waiting = call(path, token)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == "0 of 8 resource types written"
    assert waiting["Retry-After"] == "5"
    assert run(path)
    assert not run(path), "a finished export is not run twice"
    done = call(path, token)
    assert done.status_code == 200
    manifest = json.loads(done.content)
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["request"] == (
        "http://testserver/fhir/R4/Patient/$export?_outputFormat=application%2Ffhir%2Bndjson"
    )
    assert manifest["transactionTime"]
    assert [o["type"] for o in manifest["output"]] == [
        "Patient",
        "EpisodeOfCare",
        "CarePlan",
        "Goal",
        "QuestionnaireResponse",
        "Observation",
        "DetectedIssue",
        "Questionnaire",
    ]
    files = everything(manifest, token)
    for item in manifest["output"]:
        assert item["count"] == len(files[item["type"]])
    assert {p["id"] for p in files["Patient"]} == {str(cast.dana.pk), str(cast.eve.pk)}
    assert len(files["QuestionnaireResponse"]) == 2
    for lines in files.values():
        for resource in lines:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_prefer_respond_async_is_required(cast: Cast) -> None:
    token = token_for(cast.alice, "user/*.rs")
    outcome(kickoff(token, prefer=False), 400)


@pytest.mark.parametrize(
    "params",
    [
        {"_type": "Observation,Bogus"},
        {"_type": "Practitioner"},
        {"_since": "2026-01-01"},
        {"_since": "yesterday"},
        {"_since": "2026-01-01T10:00:00"},
        {"_outputFormat": "application/json"},
        {"_typeFilter": "Observation?code=1"},
        {"patient": "Patient/1"},
    ],
)
def test_bad_kickoff_parameters_are_400_and_start_nothing(
    cast: Cast, params: dict[str, str]
) -> None:
    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    outcome(kickoff(token, **params), 400)
    assert not BulkExport.objects.exists()


def test_type_limits_the_files(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    _path, manifest = done_export(token, _type="Observation,Patient", _outputFormat="ndjson")
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Observation"]


def test_scopes_limit_the_types(cast: Cast) -> None:
    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/Patient.rs user/Observation.rs")
    _path, manifest = done_export(token)
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Observation"]
    outcome(kickoff(token, _type="Goal"), 403)


def test_since_leaves_out_what_changed_before(cast: Cast) -> None:
    old = answered(cast, cast.dana_episode, when="2026-01-10T09:00:00+00:00")
    new = answered(cast, cast.dana_episode, when="2026-03-10T09:00:00+00:00")
    token = token_for(cast.alice, "user/*.rs")
    _path, manifest = done_export(
        token, _type="QuestionnaireResponse,Observation", _since="2026-02-01T00:00:00Z"
    )
    files = everything(manifest, token)
    assert [r["id"] for r in files["QuestionnaireResponse"]] == [f"response-{new.pk}"]
    assert all(o["id"].startswith(f"response-{new.pk}-") for o in files["Observation"])
    assert not any(o["id"].startswith(f"response-{old.pk}-") for o in files["Observation"])


def test_since_keeps_every_patient(cast: Cast) -> None:
    answered(cast, cast.dana_episode, when="2026-01-10T09:00:00+00:00")
    token = token_for(cast.alice, "user/*.rs")
    _path, manifest = done_export(
        token, _type="Patient,QuestionnaireResponse", _since="2099-01-01T00:00:00+00:00"
    )
    files = everything(manifest, token)
    assert {p["id"] for p in files["Patient"]} == {str(cast.dana.pk), str(cast.eve.pk)}
    assert files["QuestionnaireResponse"] == []


def test_a_therapists_export_never_holds_another_therapists_client(cast: Cast) -> None:
    from alliance.care.services import episode_open
    from tests.conftest import make_user

    answered(cast, cast.dana_episode)
    frank = make_user("frank@example.test", "Frank", "client")
    frank_episode = episode_open(actor=cast.charlie, client=frank, therapist=cast.charlie)
    answered(cast, frank_episode)
    token = token_for(cast.charlie, "user/*.rs")
    _path, manifest = done_export(token)
    files = everything(manifest, token)
    subjects = {
        json.dumps(r.get("subject") or r.get("patient") or {"reference": f"Patient/{r['id']}"})
        for kind, lines in files.items()
        if kind != "Questionnaire"
        for r in lines
    }
    assert all(f"Patient/{frank.pk}" in s for s in subjects), subjects
    assert [p["id"] for p in files["Patient"]] == [str(frank.pk)]


def test_the_supervisor_exports_only_what_they_supervise(cast: Cast) -> None:
    token = token_for(cast.sam, "user/*.rs")
    _path, manifest = done_export(token, _type="Patient")
    assert [p["id"] for p in everything(manifest, token)["Patient"]] == [str(cast.dana.pk)]


def test_client_and_admin_tokens_are_refused(cast: Cast) -> None:
    from alliance.api.models import BulkExport

    outcome(kickoff(token_for(cast.dana, "patient/*.rs")), 403)
    outcome(kickoff(token_for(cast.ada, "user/*.rs")), 403)
    outcome(kickoff(None), 401)
    assert not BulkExport.objects.exists()


def test_only_the_tokens_person_polls_fetches_or_deletes(cast: Cast) -> None:
    token = token_for(cast.alice, "user/*.rs")
    path, manifest = done_export(token, _type="Patient")
    other = token_for(cast.charlie, "user/*.rs")
    outcome(call(path, other), 404)
    outcome(delete(path, other), 404)
    outcome(call(manifest["output"][0]["url"].removeprefix("http://testserver"), other), 404)
    outcome(call(manifest["output"][0]["url"].removeprefix("http://testserver"), None), 401)
    outcome(call("/fhir/R4/$export-status/not-a-uuid", token), 404)
    outcome(call("/fhir/R4/$export-status/00000000-0000-0000-0000-000000000000", token), 404)
    # Another token of the same person may (the export is the person's).
    assert call(path, token_for(cast.alice, "user/*.rs")).status_code == 200


def test_the_export_is_one_audit_event_per_client_naming_the_token(cast: Cast) -> None:
    from alliance.api.models import ApiToken
    from alliance.audit.models import Action, AuditEvent
    from alliance.audit.services import verify_chain
    from alliance.records.access_log import access_visits

    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    prefix = ApiToken.objects.get().prefix
    before = AuditEvent.objects.count()
    done_export(token)
    events = list(AuditEvent.objects.filter(seq__gt=before, action=Action.API_READ))
    assert sorted(e.client_id for e in events) == sorted([cast.dana.pk, cast.eve.pk])
    assert {e.target_type for e in events} == {f"api_token:{prefix}"}
    assert {e.actor_id for e in events} == {cast.alice.pk}
    assert verify_chain().ok
    dana_events = list(AuditEvent.objects.filter(client_id=cast.dana.pk).order_by("-seq"))
    visits = access_visits(cast.dana, dana_events)
    assert any(prefix in v.what and v.who == cast.alice.display_name for v in visits), visits


def test_files_are_sealed_at_rest(cast: Cast, _export_dir: Path) -> None:
    from alliance.lib.sealed import MAGIC

    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    path, _manifest = done_export(token)
    files = list((_export_dir / export_id(path)).iterdir())
    assert len(files) == 8
    for file in files:
        data = file.read_bytes()
        assert data.startswith(MAGIC)
        for marker in (b"dana@example.test", b"Dana", b"Patient/", b"resourceType"):
            assert marker not in data, (file.name, marker)


def test_files_are_removed_once_every_file_was_fetched(cast: Cast, _export_dir: Path) -> None:
    from alliance.api.bulk import export_file_lines
    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    path, manifest = done_export(token, _type="Patient,EpisodeOfCare")
    folder = _export_dir / export_id(path)
    first, second = (o["url"].removeprefix("http://testserver") for o in manifest["output"])
    # A fetch cut short (the connection dropped: the stream is closed) does not count.
    export = BulkExport.objects.get(pk=export_id(path))
    cut = export_file_lines(export, "Patient")
    next(cut)
    cut.close()
    fetch(first, token)
    fetch(first, token)  # again: still there while the other file is not fetched
    assert folder.is_dir() and BulkExport.objects.exists()
    fetch(second, token)
    assert not folder.exists()
    assert not BulkExport.objects.exists()
    outcome(call(path, token), 404)
    outcome(call(first, token), 404)


def test_expired_exports_are_removed_by_the_worker_round(cast: Cast, _export_dir: Path) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alliance.api.bulk import bulk_exports_due
    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    kept, _m = done_export(token, _type="Patient")
    gone, _m = done_export(token, _type="Patient")
    export = BulkExport.objects.get(pk=export_id(gone))
    assert export.expires_at > timezone.now() + timedelta(hours=23)
    BulkExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(1))
    assert bulk_exports_due() == {"removed": 1, "ran": 0}
    assert not (_export_dir / export_id(gone)).exists()
    assert (_export_dir / export_id(kept)).is_dir()
    outcome(call(gone, token), 404)
    assert call(kept, token).status_code == 200


def test_the_round_runs_an_export_whose_task_was_lost(cast: Cast) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from alliance.api.bulk import bulk_exports_due
    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token, _type="Patient"))
    assert bulk_exports_due() == {"removed": 0, "ran": 0}, "a new export waits for its task"
    BulkExport.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert bulk_exports_due() == {"removed": 0, "ran": 1}
    assert call(path, token).status_code == 200


def test_delete_cancels_a_queued_export(cast: Cast, _export_dir: Path) -> None:
    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token))
    assert delete(path, token).status_code == 202
    assert not run(path)
    outcome(call(path, token), 404)
    assert not (_export_dir / export_id(path)).exists()


def test_delete_removes_a_finished_exports_files(cast: Cast, _export_dir: Path) -> None:
    token = token_for(cast.alice, "user/*.rs")
    path, manifest = done_export(token)
    assert (_export_dir / export_id(path)).is_dir()
    assert delete(path, token).status_code == 202
    assert not (_export_dir / export_id(path)).exists()
    outcome(call(manifest["output"][0]["url"].removeprefix("http://testserver"), token), 404)


def test_delete_stops_a_running_export(
    cast: Cast, _export_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.api import bulk, resources
    from alliance.api.models import BulkExport

    for _ in range(3):
        answered(cast, cast.dana_episode)
    monkeypatch.setattr(bulk, "CHUNK_SIZE", 1)
    original = resources.EXPORTS["QuestionnaireResponse"]

    def cancelled_midway(caller: Any, since: Any) -> Any:
        for number, row in enumerate(original(caller, since)):
            if number == 1:
                BulkExport.objects.all().delete()  # the DELETE, from another request
            yield row

    monkeypatch.setitem(resources.EXPORTS, "QuestionnaireResponse", cancelled_midway)
    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token))
    assert not run(path)
    assert not (_export_dir / export_id(path)).exists()


def test_a_failed_export_answers_a_manifest_of_errors_not_a_500(
    cast: Cast, _export_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.api import resources

    def broken(caller: Any, since: Any) -> Any:
        raise RuntimeError("Dana's secret")
        yield

    monkeypatch.setitem(resources.EXPORTS, "Goal", broken)
    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token))
    assert not run(path)
    response = call(path, token)
    assert response.status_code == 200
    manifest = json.loads(response.content)
    assert manifest["output"] == []
    assert [e["type"] for e in manifest["error"]] == ["OperationOutcome"]
    [issue] = fetch(manifest["error"][0]["url"], token)
    get_fhir_model_class("OperationOutcome").model_validate(issue)
    assert "secret" not in json.dumps(issue)
    assert not (_export_dir / export_id(path)).exists()


def test_the_export_is_streamed_in_chunks_not_built_in_memory(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in chunks of rows, and sealed as it is made: the first part of the file is
    encrypted (and written) before most responses are even mapped. Built whole in memory
    first, every response would be mapped before the first encryption."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.db.models import QuerySet

    from alliance.api import resources
    from alliance.lib import sealed

    for _ in range(12):
        answered(cast, cast.dana_episode)
    mapped: list[int] = []
    original_mapping = resources.response_resources

    def counting(response: Any) -> Any:
        mapped.append(response.pk)
        return original_mapping(response)

    monkeypatch.setattr(resources, "response_resources", counting)
    chunk_sizes: list[int | None] = []
    original_iterator = QuerySet.iterator

    def recording(self: Any, chunk_size: int | None = None) -> Any:
        chunk_sizes.append(chunk_size)
        return original_iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", recording)
    monkeypatch.setattr(sealed, "CHUNK", 512)
    mapped_at_encryption: list[int] = []

    class Watched:
        def __init__(self, key: bytes) -> None:
            self.aead = AESGCM(key)

        def encrypt(self, nonce: bytes, data: bytes, aad: bytes | None) -> bytes:
            mapped_at_encryption.append(len(mapped))
            return self.aead.encrypt(nonce, data, aad)

    monkeypatch.setattr(sealed, "AESGCM", Watched)
    token = token_for(cast.alice, "user/*.rs")
    done_export(token, _type="QuestionnaireResponse")
    assert len(mapped) == 12
    assert mapped_at_encryption[0] < 6, mapped_at_encryption
    assert len(mapped_at_encryption) > 5
    assert chunk_sizes and set(chunk_sizes) == {resources.CHUNK_SIZE}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time")
def test_two_workers_claim_an_export_once(
    _export_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.api import bulk
    from alliance.api.bulk import bulk_export_run
    from alliance.api.models import BulkExport, BulkExportFile
    from alliance.audit.models import Action, AuditEvent

    # The kick-off commits here, and tests run tasks at once: keep it queued for the race.
    monkeypatch.setattr(bulk, "run_bulk_export", SimpleNamespace(enqueue=lambda *args: None))
    cast = make_cast()
    answered(cast, cast.dana_episode)
    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token))
    won = at_once(*[lambda: bulk_export_run(export_id(path))] * 4)
    assert sorted(won) == [False, False, False, True]
    assert BulkExport.objects.get().status == "done"
    assert BulkExportFile.objects.count() == 8
    assert AuditEvent.objects.filter(action=Action.API_READ).count() == 2


def test_the_capability_statement_names_the_export_operation() -> None:
    statement = json.loads(call("/fhir/R4/metadata").content)
    get_fhir_model_class("CapabilityStatement").model_validate(statement)
    served = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert [o["name"] for o in served["Patient"]["operation"]] == ["export"]
    assert served["Patient"]["operation"][0]["definition"] == (
        "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"
    )
    assert not any("operation" in r for kind, r in served.items() if kind != "Patient")


def test_the_worker_round_removes_expired_exports(cast: Cast, _export_dir: Path) -> None:
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    path, _manifest = done_export(token, _type="Patient")
    BulkExport.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("worker", "--once", stdout=out, stderr=StringIO())
    assert "bulk_exports_due: 1 FHIR exports past their time removed" in out.getvalue()
    assert not (_export_dir / export_id(path)).exists()


def test_a_file_changed_on_disk_is_not_served(cast: Cast, _export_dir: Path) -> None:
    token = token_for(cast.alice, "user/*.rs")
    path, manifest = done_export(token, _type="Patient")
    file = _export_dir / export_id(path) / "Patient.ndjson.sealed"
    file.write_bytes(b"not sealed at all")
    outcome(call(manifest["output"][0]["url"].removeprefix("http://testserver"), token), 404)


def test_an_export_whose_person_may_no_longer_export_is_not_written(
    cast: Cast, _export_dir: Path
) -> None:
    from alliance.api.models import BulkExport

    token = token_for(cast.alice, "user/*.rs")
    path = status_path(kickoff(token))
    type(cast.alice).objects.filter(pk=cast.alice.pk).update(is_active=False)
    assert not run(path)
    export = BulkExport.objects.get(pk=export_id(path))
    assert (export.status, export.error) == ("failed", "refused")
    assert not (_export_dir / export_id(path)).exists()
