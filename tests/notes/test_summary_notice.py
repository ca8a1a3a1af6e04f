"""When a summary is signed, the client is told by e-mail (after the commit): fixed
words in their language, a link to sign in, nothing of the summary, and only if they
want reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core import mail
from django.utils import timezone

from alliance.accounts.models import User
from alliance.care.services import session_schedule
from alliance.notes.services import summary_save_draft, summary_sign
from tests.conftest import Cast

SECRET = "Sentinel-ZQ7 panic attacks at the supermarket"


def _sign(cast: Cast, episode: Any, capture: Any, **kwargs: Any) -> Any:
    session = session_schedule(
        actor=cast.alice, episode=episode, starts_at=timezone.now() - timedelta(hours=1)
    )
    with capture(execute=True):
        return summary_sign(
            actor=cast.alice,
            session=session,
            parts={"discussed": SECRET, "decided": SECRET},
            **kwargs,
        )


def test_the_client_is_told_with_no_health_information(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    _sign(cast, cast.dana_episode, django_capture_on_commit_callbacks, base_url="https://a.test")
    (email,) = mail.outbox
    assert email.to == [cast.dana.email]
    assert email.subject == "Your therapist has written a summary of your session"
    assert "https://a.test/" in email.body
    whole = email.subject + email.body
    for word in ("Sentinel", "panic", "supermarket", "session 1", cast.alice.display_name):
        assert word not in whole


def test_in_the_clients_language(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    _sign(cast, cast.eve_episode, django_capture_on_commit_callbacks, base_url="https://a.test")
    (email,) = mail.outbox
    assert email.subject == "Su terapeuta ha escrito un resumen de su sesión"


def test_not_when_reminders_are_off(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    User.objects.filter(pk=cast.dana.pk).update(reminders_enabled=False)
    _sign(cast, cast.dana_episode, django_capture_on_commit_callbacks, base_url="https://a.test")
    assert mail.outbox == []


def test_a_draft_tells_nobody(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    session = session_schedule(
        actor=cast.alice, episode=cast.dana_episode, starts_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        summary_save_draft(actor=cast.alice, session=session, parts={"decided": SECRET})
    assert mail.outbox == []
