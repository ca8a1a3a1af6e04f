"""The private note stays out of every copy of the client's record; erasure removes the
notes and the summaries of the client's sessions."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

from alliance.care.services import session_schedule
from alliance.notes.models import (
    PrivateNote,
    PrivateNoteAddendum,
    SessionSummary,
    SummaryAddendum,
    SummaryReply,
)
from alliance.notes.services import summary_add_addendum
from alliance.records.erasure import client_erase
from alliance.records.export import record_archive
from tests.records.helpers import (
    PRIVATE_ADDENDUM,
    PRIVATE_NOTE,
    REPLY_ANSWER,
    SUMMARY_REPLY,
    rich_record,
)


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
    for model in (PrivateNote, PrivateNoteAddendum, SessionSummary, SummaryAddendum, SummaryReply):
        assert not model.objects.exists(), model
    assert result.removed["private notes"] == 1
    assert result.removed["session summary addenda"] == 1
    assert not any("relationship" in kind for kind in result.removed)


def _bundle(client: Any) -> dict[str, Any]:
    from alliance.records.export import record_bundle
    from alliance.records.selectors import client_record

    return record_bundle(client_record(client))


def test_a_signed_summary_is_a_composition_with_its_addenda(cast: Any) -> None:
    from tests.fhir_checks import unresolved_references
    from tests.records.helpers import SESSION_SUMMARY

    rich = rich_record(cast)
    summary_add_addendum(actor=cast.alice, session=rich.session, text="Bring the diary")
    bundle = _bundle(cast.dana)
    assert unresolved_references(bundle) == []
    compositions = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Composition"
    ]
    assert len(compositions) == 1
    composition = compositions[0]
    assert composition["status"] == "amended"
    titles = [section["title"] for section in composition["section"]]
    assert titles[0] == "What we decided together"
    assert "Goals this session worked on" in titles
    assert titles[-3].startswith("Addendum 1, ")
    # The client's reply and the therapist's answer close it, the reply by the Patient.
    assert titles[-2].startswith("The client's reply, ")
    assert titles[-1].startswith("The therapist's answer, ")
    assert composition["section"][-2]["author"] == [composition["subject"]]
    text = str(composition)
    assert SESSION_SUMMARY in text
    assert "Bring the diary" in text


def test_a_draft_summary_is_not_in_the_record(cast: Any) -> None:
    from alliance.notes.services import summary_save_draft

    session = rich_record(cast).session
    later = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=session.starts_at + timedelta(days=1)
    )
    summary_save_draft(actor=cast.alice, session=later, parts={"decided": "Not yet shared"})
    assert "Not yet shared" not in str(_bundle(cast.dana))
    files = _archive_texts(record_archive(cast.dana, everything=True))
    assert "Not yet shared" not in files["record.html"]


def test_the_readable_copy_shows_signed_summaries_in_the_clients_words(cast: Any) -> None:
    from tests.records.helpers import SESSION_SUMMARY

    rich_record(cast)
    html = _archive_texts(record_archive(cast.dana, everything=True))["record.html"]
    assert "Your session summaries" in html
    assert SESSION_SUMMARY in html
    assert "What your therapist will do before next time" in html


def test_both_copies_hold_the_reply_and_the_answer_with_the_summary(cast: Any) -> None:
    rich_record(cast)
    files = _archive_texts(record_archive(cast.dana, everything=True))
    for name in ("record.fhir.json", "record.html"):
        text = files[name].replace("&#x27;", "'")
        assert SUMMARY_REPLY in text, name
        assert REPLY_ANSWER in text, name
    assert "Is this how you remember it? Partly." in files["record.fhir.json"]
