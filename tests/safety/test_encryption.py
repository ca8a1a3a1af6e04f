"""What people write in their safety plan is encrypted at rest."""

from __future__ import annotations

from typing import Any

from django.db import connection

from alliance.safety.models import SafetyPlanVersion
from alliance.safety.services import safety_plan_save
from alliance.safety.steps import STEP_KEYS
from tests.conftest import Cast
from tests.sentinel import run_on_database_file

SCRIPT = """
from alliance.care.services import episode_open
from alliance.safety.services import safety_plan_save
from alliance.safety.steps import STEP_KEYS
from tests.conftest import make_user
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode_open(actor=therapist, client=client, therapist=therapist)
steps = {key: ["SENTINEL-plan-" + "5f1c-" + key] for key in STEP_KEYS}
safety_plan_save(actor=client, client=client, steps=steps, based_on=0)
print("stored")
"""


def test_every_step_reads_back_decrypted_and_is_not_plain_in_the_column(cast: Cast) -> None:
    steps = {key: [f"SENTINEL-plan-{key}"] for key in STEP_KEYS}
    version = safety_plan_save(actor=cast.dana, client=cast.dana, steps=steps, based_on=0)
    assert SafetyPlanVersion.objects.get(pk=version.pk).steps == steps
    with connection.cursor() as cursor:
        cursor.execute("SELECT steps FROM safety_safetyplanversion")
        (raw,) = cursor.fetchone()
    assert "SENTINEL" not in raw


def test_sqlite_file_holds_no_plaintext_of_the_plan(tmp_path: Any) -> None:
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert b"SENTINEL-plan-" not in raw
    assert b"5f1c-" not in raw
