"""Everything a person writes in an exercise is encrypted at rest and reads back intact."""

from __future__ import annotations

from typing import Any

from tests.sentinel import run_on_database_file

LOCAL_SETTINGS = ("ALLIANCE_", "DJANGO_", "DATABASE_URL")

# A sentinel in every free-text field of the exercises models (the assignment's note, and
# each text item of each exercise), written through the services.
SCRIPT = """
from alliance.care.services import episode_open
from alliance.exercises.catalogue import ExerciseType, exercise_instrument
from alliance.exercises.models import Assignment, Entry
from alliance.exercises.services import assignment_create, entry_submit
from tests.conftest import make_user
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
for exercise_type in ExerciseType.values:
    assignment = assignment_create(
        actor=therapist, episode=episode, exercise_type=exercise_type,
        note="SENTINEL-note-" + "51c7",
    )
    answers = {}
    for item in exercise_instrument(exercise_type).items:
        if item.kind == "text":
            answers[item.link_id] = "SENTINEL-text-" + "51c7 " + item.link_id
        elif item.kind == "choice":
            answers[item.link_id] = item.options[0].code
        else:
            answers[item.link_id] = int(item.min_value or 0) + 1
    entry_submit(actor=client, assignment=assignment, answers=answers, shared=False)
for assignment in Assignment.objects.all():
    assert assignment.note == "SENTINEL-note-51c7", assignment.note
for entry in Entry.objects.all():
    texts = [v for v in entry.answers.values() if isinstance(v, str) and "SENTINEL" in v]
    assert texts and all(v.startswith("SENTINEL-text-51c7 ") for v in texts), entry.answers
print("stored", Entry.objects.count())
"""


def test_sqlite_file_holds_no_plaintext_of_exercise_text(tmp_path: Any) -> None:
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored 5" in stdout  # read back decrypted, inside the script
    assert raw  # the database file is there
    assert b"SENTINEL-" not in raw
