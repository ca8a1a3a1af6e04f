"""Upgrades keep data: a database the last release wrote, migrated to this code, reads the same.

tests/fixtures/upgrade/ holds a practice as the released code stored it and each client's
record export as it read then (its README says how and when it was made). The test makes
a SQLite file from it, runs `alliance migrate` on that file in a subprocess, as an upgrade
does, and reads every client's export again. A migration that drops or mangles data, or a
change to how a field is stored that old rows do not survive, fails here first.

The subprocess has a SQLite database of its own (DATABASE_URL), so the test runs the same
when the suite runs against PostgreSQL.
"""

from __future__ import annotations

import copy
import difflib
import io
import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db.migrations.loader import MigrationLoader

from tests.fixtures.make_upgrade_fixture import (
    DUMP,
    EXPORTS,
    META,
    alliance,
    applied_migrations,
    environment,
    latest_migrations,
    load_dump,
    normalised,
    read_practice,
)

FIXTURE = json.loads(META.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture migrated to this code, and what it reads as (``read_practice``)."""
    work = tmp_path_factory.mktemp("upgrade")
    database = work / "practice.sqlite3"
    load_dump(DUMP, database)
    env = environment(database, work / "var")
    alliance(env, "migrate", "--no-input", "-v", "0")
    practice = read_practice(env, FIXTURE["exported_at"], work / "read.json")
    return {"env": env, "work": work, **practice}


def expected_exports() -> dict[str, dict[str, Any]]:
    exports = {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXPORTS.glob("*.json"))
    }
    for export in exports.values():
        language = patient_language(export["record.fhir.json"])
        export["record.html"] = [reworded(line, language) for line in export["record.html"]]
    return exports


def patient_language(bundle: dict[str, Any]) -> str:
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    return str(patient["communication"][0]["language"]["coding"][0]["code"])


def reworded(line: str, language: str) -> str:
    """The fixture's record.html as this version words it, where the wording changed on
    purpose since the fixture was made (data never): each questionnaire's heading now
    gives the name the client knows it by before its published title."""
    from alliance.instruments.names import client_name, formal_name
    from alliance.instruments.registry import list_instruments

    for instrument in list_instruments():
        plain = client_name(instrument, language)
        # The title of the version answered: in the reader's language, or the published one.
        for formal in (formal_name(instrument, language), instrument.title):
            if line.startswith(f"{formal} — ") and not formal.startswith(plain):
                return f"{plain}: {line}"
    return line


def by_url(bundle: dict[str, Any]) -> dict[str, Any]:
    return {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}


def differences(name: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """What reads differently in one client's export, resource by resource, line by line."""
    found = []
    was, now = by_url(expected["record.fhir.json"]), by_url(actual["record.fhir.json"])
    for url in sorted(was.keys() | now.keys()):
        before, after = was.get(url), now.get(url)
        if before == after:
            continue
        resource = before if before is not None else after
        assert resource is not None
        what = f"{resource['resourceType']}/{resource['id']}"
        if after is None:
            found.append(f"{name}: {what} is missing")
        elif before is None:
            found.append(f"{name}: {what} is new")
        else:
            diff = difflib.unified_diff(
                json.dumps(before, indent=1, ensure_ascii=False).splitlines(),
                json.dumps(after, indent=1, ensure_ascii=False).splitlines(),
                lineterm="",
                n=1,
            )
            found.append(f"{name}: {what} differs:\n" + "\n".join(list(diff)[2:]))
    if [entry["fullUrl"] for entry in expected["record.fhir.json"]["entry"]] != [
        entry["fullUrl"] for entry in actual["record.fhir.json"]["entry"]
    ] and not found:
        found.append(f"{name}: the Bundle's entries are in another order")
    for file in ("record.html", "README.txt"):
        if expected[file] != actual[file]:
            diff = difflib.unified_diff(expected[file], actual[file], lineterm="", n=1)
            found.append(f"{name}: {file} reads differently:\n" + "\n".join(list(diff)[2:]))
    return found


def test_the_fixture_was_made_at_migrations_this_code_has(tmp_path: Path) -> None:
    database = tmp_path / "practice.sqlite3"
    load_dump(DUMP, database)
    in_fixture = applied_migrations(database)
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    # A squashed migration stands for those it replaces, once their files are gone.
    in_code = set(on_disk) | {old for migration in on_disk.values() for old in migration.replaces}
    assert in_fixture, "the fixture records no migrations"
    # A fixture newer than the code cannot test an upgrade to it (and means a migration
    # was removed or renamed after it was released).
    assert sorted(in_fixture - in_code) == []
    # The README and fixture.json name the migrations the dump really holds.
    assert latest_migrations(database) == FIXTURE["migrations"]
    readme = (META.parent / "README.md").read_text(encoding="utf-8")
    for app, name in FIXTURE["migrations"].items():
        assert f"- {app}: `{name}`" in readme


def test_every_client_record_reads_the_same_after_the_upgrade(upgraded: dict[str, Any]) -> None:
    expected = expected_exports()
    assert len(expected) >= 5
    assert sorted(upgraded["records"]) == sorted(expected)
    found = []
    for name, export in expected.items():
        found += differences(name, export, upgraded["records"][name])
    assert not found, "\n\n".join(found)


AUDIT_CONTENT = (
    "seq, occurred_at, actor_id, actor_role, action, client_id, target_type, target_id, ip_address"
)


def query(database: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        found = connection.execute(sql).fetchall()
    connection.close()
    return found


def test_the_audit_chain_and_every_encrypted_value_survive_the_upgrade(
    upgraded: dict[str, Any], tmp_path: Path
) -> None:
    # The upgrade signs the released chain again under the audit key (audit 0003; here
    # the development key, as the test runs with debug on) and records that in one event
    # of its own, which names the last row it signed.
    released = FIXTURE["audit"]["rows"]
    before = upgraded["chain_before"]
    assert (before["ok"], before["rows"], before["problem"]) == (True, released + 1, "")
    assert before["head_hash"] != FIXTURE["audit"]["head_hash"]  # now a keyed hash
    database = upgraded["work"] / "practice.sqlite3"
    marker = "SELECT action, target_type, target_id FROM audit_auditevent WHERE seq = "
    assert query(database, f"{marker}{released + 1}") == [
        ("chain_rekeyed", "audit_event", released)
    ]
    # Every released event is still there, unchanged but for its hash.
    fixture = tmp_path / "released.sqlite3"
    load_dump(DUMP, fixture)
    events = f"SELECT {AUDIT_CONTENT} FROM audit_auditevent WHERE seq <= {released} ORDER BY seq"
    assert query(database, events) == query(fixture, events)
    # The upgraded chain takes new events: one per export just made.
    after = upgraded["chain_after"]
    assert after["ok"], after["problem"]
    assert after["rows"] == released + 1 + len(upgraded["records"])
    # Every encrypted value was opened (one that does not open stops read_practice), and
    # none is gone; a later change may encrypt more.
    assert upgraded["encrypted_values"] >= FIXTURE["encrypted_values"] > 0


def without_encounter_status(export: dict[str, Any]) -> dict[str, Any]:
    """The FHIR Bundle, but for whether each session is still planned: that depends on when
    the export is made, and `alliance export-record` makes it now."""
    bundle = copy.deepcopy(export["record.fhir.json"])
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Encounter":
            entry["resource"].pop("status")
    return dict(bundle)


def test_alliance_export_record_reads_the_upgraded_database(upgraded: dict[str, Any]) -> None:
    target = upgraded["work"] / "record.zip"
    alliance(
        upgraded["env"],
        "export-record",
        "client39@demo.test",
        "-o",
        str(target),
        "--force",
        "--without-request",
        "--everything",
    )
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    files = {name: archive.read(name).decode() for name in archive.namelist()}
    export = normalised(files)
    expected = expected_exports()["client39"]
    assert without_encounter_status(export) == without_encounter_status(expected)
    assert "Robin Ashby" in export["record.html"]


def test_the_upgrade_fills_the_checkin_tallies_from_the_administrations(
    upgraded: dict[str, Any],
) -> None:
    # measures 0005: each episode's completed check-ins, counted from the released rows;
    # none counted as passed unanswered yet (the report reads those from the rows).
    database = upgraded["work"] / "practice.sqlite3"
    completed = query(
        database,
        "SELECT episode_id, COUNT(*), 0 FROM measures_administration "
        "WHERE completed_at IS NOT NULL AND cancelled_at IS NULL "
        "GROUP BY episode_id ORDER BY episode_id",
    )
    tallies = query(
        database,
        "SELECT episode_id, completed, expired FROM measures_checkintally ORDER BY episode_id",
    )
    assert tallies == completed
    assert completed  # the fixture has answered check-ins to count
