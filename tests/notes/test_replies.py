"""The client's reply to a signed summary ("Is this how you remember it?") and the
therapist's answer: one reply per summary, changeable until answered; answered once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alliance.audit.models import Action, AuditEvent
from alliance.care.services import episode_close, session_schedule
from alliance.notes.models import SummaryReply
from alliance.notes.services import (
    summary_reply,
    summary_reply_answer,
    summary_save_draft,
    summary_sign,
)
from tests.conftest import Cast


@pytest.fixture
def session(cast: Cast) -> Any:
    return session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now() - timedelta(hours=1)
    )


@pytest.fixture
def signed(cast: Cast, session: Any) -> Any:
    return summary_sign(actor=cast.alice, session=session, parts={"decided": "Walk each day"})


def test_the_client_replies_and_may_change_it_until_answered(cast: Cast, signed: Any) -> None:
    summary_reply(actor=cast.dana, summary=signed, recognised="yes")
    reply = summary_reply(
        actor=cast.dana, summary=signed, recognised="partly", text="  We also spoke of sleep "
    )
    assert SummaryReply.objects.count() == 1
    reply.refresh_from_db()
    assert (reply.recognised, reply.text) == ("partly", "We also spoke of sleep")
    assert AuditEvent.objects.filter(action=Action.SUMMARY_REPLIED).count() == 2

    summary_reply_answer(actor=cast.alice, summary=signed, text="Thank you, noted.")
    with pytest.raises(ValidationError, match="can no longer change"):
        summary_reply(actor=cast.dana, summary=signed, recognised="yes")
    reply.refresh_from_db()
    assert reply.recognised == "partly"
    assert reply.answer == "Thank you, noted."
    assert AuditEvent.objects.filter(action=Action.SUMMARY_REPLY_ANSWERED).count() == 1


def test_an_answer_is_given_once_and_only_to_a_reply(cast: Cast, signed: Any) -> None:
    with pytest.raises(ValidationError, match="not replied"):
        summary_reply_answer(actor=cast.alice, summary=signed, text="Hello")
    summary_reply(actor=cast.dana, summary=signed, recognised="no")
    summary_reply_answer(actor=cast.alice, summary=signed, text="First")
    with pytest.raises(ValidationError, match="already been answered"):
        summary_reply_answer(actor=cast.alice, summary=signed, text="Second")
    assert SummaryReply.objects.get().answer == "First"


def test_only_a_signed_summary_gets_a_reply(cast: Cast, session: Any) -> None:
    draft = summary_save_draft(actor=cast.alice, session=session, parts={"decided": "x"})
    with pytest.raises(PermissionDenied):
        summary_reply(actor=cast.dana, summary=draft, recognised="yes")
    assert not SummaryReply.objects.exists()


@pytest.mark.parametrize("who", ["alice", "sam", "charlie", "eve", "ada"])
def test_only_the_client_replies(cast: Cast, signed: Any, who: str) -> None:
    with pytest.raises(PermissionDenied):
        summary_reply(actor=getattr(cast, who), summary=signed, recognised="yes")
    assert not SummaryReply.objects.exists()


@pytest.mark.parametrize("who", ["dana", "sam", "charlie", "eve", "ada"])
def test_only_the_treating_therapist_answers(cast: Cast, signed: Any, who: str) -> None:
    summary_reply(actor=cast.dana, summary=signed, recognised="no")
    with pytest.raises(PermissionDenied):
        summary_reply_answer(actor=getattr(cast, who), summary=signed, text="Hello")
    assert SummaryReply.objects.get().answer == ""


def test_no_reply_once_the_episode_is_closed(cast: Cast, signed: Any) -> None:
    episode_close(actor=cast.alice, episode=cast.dana_episode)
    with pytest.raises(PermissionDenied):
        summary_reply(actor=cast.dana, summary=signed, recognised="yes")


def test_a_reply_is_yes_partly_or_no(cast: Cast, signed: Any) -> None:
    with pytest.raises(ValidationError, match="yes, partly or no"):
        summary_reply(actor=cast.dana, summary=signed, recognised="maybe")
    with pytest.raises(ValidationError, match="characters"):
        summary_reply(actor=cast.dana, summary=signed, recognised="no", text="x" * 2001)
