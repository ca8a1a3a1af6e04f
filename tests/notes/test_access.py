"""The policy for the notes after a session (alliance.care.access, "notes")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from alliance.care import access
from alliance.care.services import episode_close, session_schedule
from alliance.notes.services import note_sign, summary_save_draft, summary_sign
from tests.conftest import Cast


@pytest.fixture
def session(cast: Cast) -> Any:
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=1)
    )


def test_the_private_note_is_read_by_its_author_and_the_supervisor_only(
    cast: Cast, session: Any
) -> None:
    episode = session.episode
    assert access.may_read_private_note(cast.alice, episode, None)
    assert access.may_read_private_note(cast.sam, episode, None)
    note = note_sign(actor=cast.alice, session=session, text="mine")
    readers = {
        person.preferred_name
        for person in (cast.alice, cast.sam, cast.charlie, cast.dana, cast.eve, cast.ada)
        if access.may_read_private_note(person, episode, note)
    }
    assert readers == {"Alice", "Sam"}


def test_a_note_by_someone_else_is_not_the_treating_therapists(cast: Cast, session: Any) -> None:
    note = note_sign(actor=cast.alice, session=session, text="mine")
    note.author_id = cast.charlie.pk  # as if an earlier therapist had written it
    assert not access.may_read_private_note(cast.alice, session.episode, note)
    assert access.may_read_private_note(cast.sam, session.episode, note)


def test_only_the_treating_therapist_of_an_open_episode_writes(cast: Cast, session: Any) -> None:
    episode = session.episode
    writers = {
        person.preferred_name
        for person in (cast.alice, cast.sam, cast.charlie, cast.dana, cast.ada)
        if access.may_write_session_notes(person, episode)
    }
    assert writers == {"Alice"}
    episode_close(actor=cast.alice, episode=episode)
    episode.refresh_from_db()
    assert not access.may_write_session_notes(cast.alice, episode)


def test_the_client_reads_a_summary_once_signed(cast: Cast, session: Any) -> None:
    draft = summary_save_draft(actor=cast.alice, session=session, parts={"decided": "x"})
    episode = session.episode
    assert not access.may_read_session_summary(cast.dana, episode, draft)
    assert access.may_read_session_summary(cast.sam, episode, draft)
    with pytest.raises(Http404):
        access.access_own_summary(cast.dana, draft.pk)
    signed = summary_sign(actor=cast.alice, session=session, parts={"decided": "x"})
    assert access.access_own_summary(cast.dana, signed.pk) == signed
    for someone in (cast.eve, cast.alice, cast.ada, cast.charlie):
        with pytest.raises(Http404):
            access.access_own_summary(someone, signed.pk)
    assert not access.may_read_session_summary(cast.charlie, episode, signed)
    assert not access.may_read_session_summary(cast.ada, episode, signed)


NOTES_PROMISE = (
    "A therapist's private note about a session is read only by its author and the "
    "episode's supervisor; it is never in the client's record copy, the FHIR API or the "
    "practice report, and only the practice's backup and erasure handle it. A session "
    "summary reaches the client only once the therapist signs it; after that, changes are "
    "dated addenda and every one is kept."
)


def test_readme_security_and_the_policy_make_the_same_promise_about_notes() -> None:
    """Word for word in the three places (the tests beside this one and
    tests/notes/test_private_note_sentinel.py hold each clause)."""
    from tests.records.test_promise import DOCUMENTS, plain

    for name, path in DOCUMENTS.items():
        assert NOTES_PROMISE in plain(path.read_text(encoding="utf-8")), name
