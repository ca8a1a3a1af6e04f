"""What a therapist writes in a private note reaches nobody but its author and the
episode's supervisor: no page the client, another client, another therapist or the
practice admin can open (every URL of the access matrix, as each of them), no copy of
the record, no FHIR API response (to anyone's token, the author's too: the API never
serves notes), no log line, and no plain byte in the database file. A draft summary is
the same for the client until it is signed."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliance.care.services import session_schedule
from alliance.records.export import record_archive
from tests.api.helpers import call, token_for
from tests.conftest import Cast
from tests.sentinel import run_on_database_file
from tests.web.test_access_matrix import MATRIX, make_records, user_for

NOTE = "NOTESENTINEL-7d41"
DRAFT = "DRAFTSENTINEL-2c9e"
OUTSIDERS = ("client", "other_client", "other_therapist", "admin")


def _write_through_the_pages(cast: Cast) -> Any:
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=1)
    )
    alice = Client()
    alice.force_login(cast.alice)
    note = reverse("session_note", kwargs={"session_id": session.pk})
    summary = reverse("session_summary", kwargs={"session_id": session.pk})
    assert alice.post(note, {"text": f"draft {NOTE}", "intent": "draft"}).status_code == 302
    assert alice.post(note, {"text": f"signed {NOTE}", "intent": "sign"}).status_code == 302
    added = alice.post(note, {"addendum": f"later {NOTE}", "intent": "addendum"})
    assert added.status_code == 302
    refused = alice.post(note, {"text": f"again {NOTE}", "intent": "draft"})
    assert refused.status_code == 400
    drafted = alice.post(summary, {"decided": f"draft {DRAFT}", "intent": "draft"})
    assert drafted.status_code == 302
    return session


def test_the_note_reaches_no_page_of_anyone_else_no_copy_and_no_log(
    cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = _write_through_the_pages(cast)
    records = make_records(cast)
    # The author and the supervisor do read it: the sentinel is a fair test.
    for reader in (cast.alice, cast.sam):
        client = Client()
        client.force_login(reader)
        page = client.get(reverse("session_note", kwargs={"session_id": session.pk}))
        assert NOTE in page.content.decode()
    opened = 0
    for name, (make_kwargs, methods) in MATRIX.items():
        if "GET" not in methods:
            continue
        url = reverse(name, kwargs=make_kwargs(cast, records) if make_kwargs else None)
        for role in OUTSIDERS:
            client = Client()
            client.force_login(user_for(cast, role))
            content = client.get(url).content.decode(errors="replace")
            opened += 1
            assert NOTE not in content, f"{role} sees the private note on {name}"
            if role in ("client", "other_client"):
                assert DRAFT not in content, f"{role} sees a draft summary on {name}"
    assert opened > 4 * 100
    for everything in (True, False):
        with zipfile.ZipFile(io.BytesIO(record_archive(cast.dana, everything=everything))) as z:
            for member in z.namelist():
                assert NOTE not in z.read(member).decode(), member
    opened += _api_reaches_no_note(cast)
    for record in caplog.records:
        assert NOTE not in record.getMessage()
        assert NOTE not in repr(record.args)


def _api_reaches_no_note(cast: Cast) -> int:
    """Every FHIR read and search a token can make about Dana, with each person's token."""
    dana = cast.dana.pk
    paths = [
        ("/fhir/R4/metadata", {}),
        ("/fhir/R4/Patient", {}),
        (f"/fhir/R4/Patient/{dana}", {}),
        ("/fhir/R4/Observation", {"patient": dana}),
        ("/fhir/R4/QuestionnaireResponse", {"patient": dana}),
        ("/fhir/R4/Observation", {}),
        ("/fhir/R4/QuestionnaireResponse", {}),
    ]
    tokens = [
        token_for(cast.dana, "patient/*.rs"),
        token_for(cast.alice, "user/*.rs"),
        token_for(cast.sam, "user/*.rs"),
        token_for(user_for(cast, "other_therapist"), "user/*.rs"),
    ]
    answered = 0
    for token in tokens:
        for path, params in paths:
            response = call(path, token, **params)
            assert response.status_code in (200, 404), (path, response.status_code)
            assert NOTE not in response.content.decode(), path
            assert DRAFT not in response.content.decode(), path
            answered += response.status_code == 200
    assert answered >= 15  # the reads reached Dana's data, not only refusals
    return answered


SCRIPT = """
from datetime import timedelta
from django.utils import timezone
from alliance.care.services import episode_open, session_schedule
from alliance.notes.services import note_add_addendum, note_sign, summary_add_addendum, summary_sign
from tests.conftest import make_user
therapist = make_user("t@example.test", "T", "therapist")
client = make_user("c@example.test", "C", "client")
episode = episode_open(actor=therapist, client=client, therapist=therapist)
session = session_schedule(actor=therapist, episode=episode, starts_at=timezone.now())
marker = "SENTINEL-notes-" + "4b2a-"
note_sign(actor=therapist, session=session, text=marker + "note")
note_add_addendum(actor=therapist, session=session, text=marker + "note-addendum")
parts = {name: marker + name for name in ("discussed", "decided", "client_will", "therapist_will")}
summary_sign(actor=therapist, session=session, parts=parts)
summary_add_addendum(actor=therapist, session=session, text=marker + "summary-addendum")
print("stored")
"""


def test_sqlite_file_holds_no_plaintext_of_notes_or_summaries(tmp_path: Any) -> None:
    stdout, raw = run_on_database_file(tmp_path, SCRIPT)
    assert "stored" in stdout
    assert b"SENTINEL-notes-" not in raw
