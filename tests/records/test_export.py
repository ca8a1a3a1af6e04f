"""The whole record as a FHIR R4B Bundle, a readable HTML copy and the ZIP that carries both."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.fhir_checks import unresolved_references
from tests.records.helpers import (
    ACK_NOTE,
    AGENDA,
    ALICE_SAYS,
    BACKGROUND,
    DANA_SAYS,
    ENTRY_PRIVATE,
    ENTRY_SHARED,
    FEEDBACK,
    GOAL_FIRST,
    GOAL_NOW,
    HOPES,
    SAFETY_FIRST,
    SAFETY_NOW,
    SUMMARY,
    TEXTS,
    rich_record,
)

ISSUE_TYPES = {
    "Patient",
    "QuestionnaireResponse",
    "Observation",
    "CarePlan",
    "Goal",
    "Communication",
}


def bundle_of(client: Any, now: datetime | None = None) -> dict[str, Any]:
    from alliance.records.export import record_bundle
    from alliance.records.selectors import client_record

    return record_bundle(client_record(client), now=now)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def target(bundle: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    """The resource a reference points at: the entry whose fullUrl it is."""
    (found,) = [e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"]]
    return found


def key(resource: dict[str, Any]) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def html_of(client: Any) -> str:
    from django.utils import timezone

    from alliance.records.readable import readable_record
    from alliance.records.selectors import client_record

    return readable_record(client_record(client), now=timezone.now())


def test_a_rich_record_is_a_valid_bundle_with_every_kind_of_resource(cast: Any) -> None:
    rich_record(cast)
    bundle = bundle_of(cast.dana)
    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= ISSUE_TYPES
    more = {"Practitioner", "EpisodeOfCare", "CareTeam", "Encounter", "DetectedIssue", "Task"}
    assert kinds >= more
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    ids = [(e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]]
    assert len(ids) == len(set(ids))
    assert unresolved_references(bundle) == []


def test_the_bundle_holds_the_clients_words_and_nothing_of_anyone_else(cast: Any) -> None:
    rich_record(cast)
    rich_record(cast, cast.eve_episode)
    text = json.dumps(bundle_of(cast.dana), ensure_ascii=False)
    for words in TEXTS:
        assert words in text, words
    assert ACK_NOTE in text
    assert "eve@example.test" not in text
    assert f"Patient/{cast.eve.pk}" not in text
    assert f"episode-{cast.eve_episode.pk}" not in text


def test_the_patient_is_as_the_client_gave_it(cast: Any) -> None:
    (patient,) = resources(bundle_of(cast.dana), "Patient")
    assert patient["id"] == str(cast.dana.pk)
    assert patient["name"][0]["text"] == "Dana"
    assert patient["telecom"] == [{"system": "email", "value": "dana@example.test"}]
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "en"
    (pronouns,) = patient["extension"]
    assert pronouns["url"].endswith("individual-pronouns")
    assert pronouns["extension"][0]["valueCodeableConcept"]["text"] == "they/them"
    (eve,) = resources(bundle_of(cast.eve), "Patient")
    assert "extension" not in eve  # Eve gave no pronouns
    assert eve["communication"][0]["language"]["coding"][0]["code"] == "es"


def test_goals_plans_messages_and_exercises_map_to_their_resources(cast: Any) -> None:
    rich = rich_record(cast)
    bundle = bundle_of(cast.dana)
    (goal,) = resources(bundle, "Goal")
    assert goal["description"]["text"] == GOAL_NOW
    assert [note["text"] for note in goal["note"]] == [GOAL_FIRST, GOAL_NOW]
    assert goal["lifecycleStatus"] == "active"
    (rating_ref,) = goal["outcomeReference"]
    rating = target(bundle, rating_ref)
    assert rating["resourceType"] == "Observation"
    assert rating["valueInteger"] == 4
    (derived_from,) = rating["derivedFrom"]
    assert key(target(bundle, derived_from)) == (
        f"QuestionnaireResponse/response-{rich.risk_response.pk}"
    )
    (plan,) = resources(bundle, "CarePlan")
    assert plan["description"] == SUMMARY
    assert [key(target(bundle, ref)) for ref in plan["goal"]] == [f"Goal/goal-{rich.goal.pk}"]
    assert plan["extension"][0]["url"] == "urn:alliance:extension:plan-review-on"
    assert len(plan["activity"]) == 2
    messages = resources(bundle, "Communication")
    bodies = [m["payload"][0]["contentString"] for m in messages]
    assert DANA_SAYS in bodies and ALICE_SAYS in bodies
    dana_said = messages[bodies.index(DANA_SAYS)]
    assert key(target(bundle, dana_said["sender"])) == f"Patient/{cast.dana.pk}"
    assert key(target(bundle, dana_said["recipient"][0])) == f"Practitioner/{cast.alice.pk}"
    entries = {
        r["id"]: r
        for r in resources(bundle, "QuestionnaireResponse")
        if r["id"].startswith("exercise-entry-")
    }
    private = entries[f"exercise-entry-{rich.private_entry.pk}"]
    assert private["extension"] == [
        {"url": "urn:alliance:extension:shared-with-therapist", "valueBoolean": False}
    ]
    assert ENTRY_PRIVATE in json.dumps(private, ensure_ascii=False)
    (issue,) = [
        i for i in resources(bundle, "DetectedIssue") if i["id"] == f"alert-{rich.alert.pk}"
    ]
    assert issue["code"]["coding"][0]["code"] == "risk"
    assert issue["severity"] == "high"
    assert issue["mitigation"][0]["action"]["text"] == ACK_NOTE


def test_the_same_data_exports_the_same_bytes(cast: Any) -> None:
    from alliance.records.export import record_bundle_json
    from alliance.records.selectors import client_record

    rich_record(cast)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    first = record_bundle_json(client_record(cast.dana), now=now)
    second = record_bundle_json(client_record(cast.dana), now=now)
    assert first == second
    assert '"timestamp"' not in first


def test_a_session_is_planned_until_its_time_then_finished(cast: Any) -> None:
    rich = rich_record(cast)
    before = resources(
        bundle_of(cast.dana, now=rich.session.starts_at.replace(year=2000)), "Encounter"
    )
    after = resources(
        bundle_of(cast.dana, now=rich.session.starts_at.replace(year=2100)), "Encounter"
    )
    assert [e["status"] for e in before] == ["planned"]
    assert [e["status"] for e in after] == ["finished"]


def test_the_readable_copy_holds_the_record_and_fetches_nothing(cast: Any) -> None:
    rich_record(cast)
    html = html_of(cast.dana)
    for words in (GOAL_NOW, DANA_SAYS, ALICE_SAYS, SUMMARY, ENTRY_SHARED, ENTRY_PRIVATE, HOPES):
        assert words in html, words
    for words in (AGENDA, BACKGROUND, SAFETY_FIRST, SAFETY_NOW, FEEDBACK, ACK_NOTE, GOAL_FIRST):
        assert words in html, words
    assert '<html lang="en">' in html
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_the_readable_copy_is_in_the_clients_language(cast: Any) -> None:
    from tests.records.helpers import PHQ9_WITH_RISK, respond

    respond(cast, cast.eve_episode, "phq-9", PHQ9_WITH_RISK)
    html = html_of(cast.eve)
    assert '<html lang="es">' in html
    # The questionnaire's own Spanish wording and answers, not the English.
    assert "Poco interés o placer en hacer cosas" in html
    assert "Varios días" in html
    assert "Little interest or pleasure" not in html


def test_the_download_is_a_zip_of_the_bundle_the_copy_and_a_readme(cast: Any) -> None:
    from alliance.records.export import archive_name, record_archive

    rich_record(cast)
    archive = zipfile.ZipFile(io.BytesIO(record_archive(cast.dana, everything=True)))
    assert sorted(archive.namelist()) == ["README.txt", "record.fhir.json", "record.html"]
    Bundle.model_validate(json.loads(archive.read("record.fhir.json")))
    assert GOAL_NOW in archive.read("record.html").decode()
    readme = archive.read("README.txt").decode()
    assert "record.fhir.json" in readme and "leaves out" not in readme
    name = archive_name(datetime(2026, 11, 26).date())
    assert name == "alliance-record-2026-11-26.zip"


PRIVATE_HOPES = "Hopes I keep to myself for now"


def test_without_everything_the_copy_leaves_out_what_the_client_kept_private(cast: Any) -> None:
    from alliance.care.access import Sharing
    from alliance.preferences.services import preferences_save
    from alliance.records.export import record_archive

    rich_record(cast)  # the languages part of the profile and one journal entry are private
    preferences_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        answers={"lead": "left"},
        hopes=PRIVATE_HOPES,
        sharing=Sharing.PRIVATE,
    )
    whole = zipfile.ZipFile(io.BytesIO(record_archive(cast.dana, everything=True)))
    kept = zipfile.ZipFile(io.BytesIO(record_archive(cast.dana, everything=False)))
    for name in ("record.fhir.json", "record.html"):
        everything, without = whole.read(name).decode(), kept.read(name).decode()
        for private in (ENTRY_PRIVATE, "English and Welsh", PRIVATE_HOPES):
            assert private in everything
            assert private not in without, (name, private)
        for shared in (ENTRY_SHARED, BACKGROUND, HOPES, GOAL_NOW, DANA_SAYS, SAFETY_NOW):
            assert shared in without, (name, shared)
    Bundle.model_validate(json.loads(kept.read("record.fhir.json")))
    assert "This copy leaves out what you kept private" in kept.read("README.txt").decode()
    # Nothing was changed in the database to leave them out.
    from alliance.preferences.models import CulturalProfile

    assert CulturalProfile.objects.get().languages == "English and Welsh"


def test_sharing_with_the_supervisor_is_in_the_export(cast: Any) -> None:
    from alliance.care.access import Sharing
    from alliance.exercises.services import entry_set_shared
    from alliance.preferences.services import cultural_profile_save, preferences_save

    rich = rich_record(cast)
    entry_set_shared(
        actor=cast.dana, entry=rich.shared_entry, shared=True, shared_with_supervisor=True
    )
    cultural_profile_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        parts={"background": BACKGROUND},
        shared={"background"},
        shared_with_supervisor={"background"},
    )
    preferences_save(
        actor=cast.dana,
        episode=cast.dana_episode,
        answers={"lead": "left"},
        sharing=Sharing.SUPERVISOR,
    )
    bundle = bundle_of(cast.dana)
    Bundle.model_validate(bundle)
    text = json.dumps(bundle)
    assert text.count("urn:alliance:extension:shared-with-supervisor") == 2
    assert '"linkId": "background-shared-supervisor"' in text
    html = html_of(cast.dana)
    assert html.count("shared with your therapist and their supervisor") == 3


@pytest.mark.parametrize("email", ["client1@demo.test", "client2@demo.test"])
def test_demo_clients_export_valid_bundles(demo_practice: Any, email: str) -> None:
    from alliance.accounts.models import User

    client = User.objects.get(email=email)
    bundle = bundle_of(client)
    Bundle.model_validate(bundle)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= ISSUE_TYPES, ISSUE_TYPES - kinds


def test_every_demo_client_exports_a_valid_bundle(demo_practice: Any) -> None:
    from alliance.accounts.models import User

    clients = list(User.objects.filter(role="client", email__endswith="@demo.test"))
    assert len(clients) >= 30
    for client in clients:
        Bundle.model_validate(bundle_of(client))
