"""The load test's Monday morning, small and short: ``benchmarks/load/run.py`` builds a
scale practice of a dozen clients, starts two production app servers and a worker, runs the
locust scenario for a few seconds (every PHQ-9 with a risk answer, so that each run checks
the alerts), and checks the database: 0 failed requests, every acknowledged check-in
stored once, every risk answer with its urgent alert.

The check itself must be able to fail: fed a check-in the server never acknowledged (an
administration that does not exist), it reports it lost; told that a stored check-in without
a risk answer had one, it reports the alert missing.

On SQLite (a file in the test's directory) or, when the suite runs against PostgreSQL, a
database of its own there (``tests/own_database.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.own_database import with_own_database

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "load" / "run.py"


@pytest.fixture
def env() -> Iterator[dict[str, str]]:
    outside = {k: v for k, v in os.environ.items() if not k.startswith(("ALLIANCE_", "DJANGO_"))}
    yield from with_own_database(outside, "alliance_load")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUN), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_monday_morning_loses_no_check_in_and_misses_no_alert(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = run(
        env,
        "--var-dir",
        str(tmp_path),
        "--clients",
        "12",
        "--users",
        "5",
        "--spawn-rate",
        "5",
        "--run-time",
        "30s",
        "--app-processes",
        "2",
        "--risk",
        "1",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "lost: 0", output
    assert "missing alerts: 0" in lines
    assert "acknowledged twice: 0" in lines
    assert any(line.startswith("errors: 0 of ") for line in lines), output

    (record,) = tmp_path.glob("run-*/acknowledged.jsonl")
    entries = [json.loads(line) for line in record.read_text().splitlines()]
    phq9 = [e for e in entries if e["phq9"]]
    others = [e for e in entries if not e["phq9"]]
    assert phq9, f"no PHQ-9 check-in acknowledged in the run:\n{output}"
    assert all(e["risk"] for e in phq9)
    assert others, f"no other check-in (GAD-7) acknowledged in the run:\n{output}"
    routes = {line.split()[0] for line in lines if line.startswith("/")}
    assert {"/me/", "/me/check-ins/[id]/", "/me/check-ins/[id]/done/", "/clinic/"} <= routes

    # The same record, checked again: still nothing lost.
    again = run(env, "--var-dir", str(tmp_path), "--check", str(record))
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.strip().splitlines()[-1] == "lost: 0"

    # A check-in the server never stored is lost.
    lost = tmp_path / "lost.jsonl"
    fake = {"client": entries[0]["client"], "administration": 987654321, "phq9": False}
    lost.write_text(record.read_text() + json.dumps({**fake, "risk": False}) + "\n")
    found = run(env, "--var-dir", str(tmp_path), "--check", str(lost))
    assert found.returncode == 1, found.stdout + found.stderr
    assert found.stdout.strip().splitlines()[-1].startswith("lost: 1 ")

    # Claimed as somebody else's, a stored check-in is lost too.
    other_client = tmp_path / "other-client.jsonl"
    swapped = {**entries[0], "client": "nobody@scale.test"}
    other_client.write_text(json.dumps(swapped) + "\n")
    found = run(env, "--var-dir", str(tmp_path), "--check", str(other_client))
    assert found.returncode == 1
    assert found.stdout.strip().splitlines()[-1].startswith("lost: 1 ")

    # A stored check-in without a risk answer, said to have had one: its alert is missing.
    missing = tmp_path / "missing.jsonl"
    missing.write_text(json.dumps({**others[0], "risk": True}) + "\n")
    found = run(env, "--var-dir", str(tmp_path), "--check", str(missing))
    assert found.returncode == 1, found.stdout + found.stderr
    assert "missing alerts: 1 " in found.stdout
    assert found.stdout.strip().splitlines()[-1] == "lost: 0"
