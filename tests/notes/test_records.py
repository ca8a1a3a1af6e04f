"""The private note stays out of every copy of the client's record; erasure removes the
notes and the summaries of the client's sessions."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from alliance.notes.models import PrivateNote, PrivateNoteAddendum, SessionSummary, SummaryAddendum
from alliance.notes.services import summary_add_addendum
from alliance.records.erasure import client_erase
from alliance.records.export import record_archive
from tests.records.helpers import PRIVATE_ADDENDUM, PRIVATE_NOTE, rich_record


def _archive_texts(archive: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {name: opened.read(name).decode() for name in opened.namelist()}


def test_the_private_note_is_in_no_copy_of_the_record(cast: Any) -> None:
    rich_record(cast)
    assert PrivateNote.objects.get().text == PRIVATE_NOTE
    for everything in (True, False):
        files = _archive_texts(record_archive(cast.dana, everything=everything))
        assert {"record.fhir.json", "record.html"} <= files.keys()
        for name, text in files.items():
            assert PRIVATE_NOTE not in text, name
            assert PRIVATE_ADDENDUM not in text, name


def test_erasure_removes_notes_summaries_and_their_addenda(cast: Any) -> None:
    rich = rich_record(cast)
    summary_add_addendum(actor=cast.alice, session=rich.session, text="One more thing")
    result = client_erase(actor=cast.ada, client=cast.dana)
    for model in (PrivateNote, PrivateNoteAddendum, SessionSummary, SummaryAddendum):
        assert not model.objects.exists(), model
    assert result.removed["private notes"] == 1
    assert result.removed["session summary addenda"] == 1
    assert not any("relationship" in kind for kind in result.removed)
