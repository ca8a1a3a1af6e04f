"""Erasure at a client's request: complete, audited, one transaction, nobody else touched."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import override_settings

from tests.records.helpers import rich_record, rows_about


def everything_about(client: Any) -> dict[str, int]:
    from alliance.care.models import Episode

    episodes = set(Episode.objects.filter(client=client).values_list("pk", flat=True))
    return rows_about(client.pk, episodes)


def erase(cast: Any, client: Any) -> Any:
    from alliance.records.erasure import client_erase

    return client_erase(actor=cast.ada, client=client)


def test_erasure_removes_every_row_about_the_client(cast: Any) -> None:
    from allauth.account.models import EmailAddress

    from alliance.accounts.mfa import totp_activate
    from alliance.accounts.models import User
    from alliance.messaging.models import Message
    from tests.conftest import TOTP_SECRET, signed_in

    rich_record(cast)
    EmailAddress.objects.create(user=cast.dana, email="dana@example.test", primary=True)
    totp_activate(user=cast.dana, secret=TOTP_SECRET)
    assert signed_in(cast.dana).get("/me/").status_code == 200
    dana_id, dana_episodes = cast.dana.pk, {cast.dana_episode.pk}
    before = rows_about(dana_id, dana_episodes)
    messages = Message.objects.filter(episode_id__in=dana_episodes).count()
    assert messages >= 2
    # The walk finds the record in every app that holds a part of it.
    for model in (
        "care.Episode.client",
        "care.Session.episode",
        "measures.Response.client",
        "alerts.Alert.client",
        "plans.Goal.episode",
        "preferences.CulturalProfile.episode",
        "exercises.Entry.episode",
        "messaging.Message.episode",
        "safety.SafetyPlan.client",
        "account.EmailAddress.user",
        "mfa.Authenticator.user",
        "usersessions.UserSession.user",
    ):
        assert before.get(model), model
    result = erase(cast, cast.dana)
    assert rows_about(dana_id, dana_episodes) == {}
    assert not User.objects.filter(pk=dana_id).exists()
    assert not Message.objects.filter(episode_id__in=dana_episodes).exists()
    assert result.erasure.client_id == dana_id
    assert result.removed["messages"] == messages
    assert result.removed["users"] == 1


def test_other_clients_and_the_staff_are_untouched(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.records.export import record_bundle_json
    from alliance.records.selectors import client_record

    rich_record(cast)
    rich_record(cast, cast.eve_episode)
    eve_before = everything_about(cast.eve)
    eve_export = record_bundle_json(client_record(cast.eve), now=cast.eve.date_joined)
    erase(cast, cast.dana)
    eve = User.objects.get(pk=cast.eve.pk)
    assert everything_about(eve) == eve_before
    assert record_bundle_json(client_record(eve), now=cast.eve.date_joined) == eve_export
    for person in (cast.alice, cast.sam, cast.charlie, cast.ada):
        assert User.objects.filter(pk=person.pk, is_active=True).exists()


def test_the_erasure_is_audited_and_the_chain_still_holds(cast: Any) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.audit.services import verify_chain

    rich_record(cast)
    about_dana = AuditEvent.objects.filter(client_id=cast.dana.pk).count()
    assert about_dana > 10
    result = erase(cast, cast.dana)
    # Every earlier event stays (the chain covers each one), plus the erasure itself.
    assert AuditEvent.objects.filter(client_id=cast.dana.pk).count() == about_dana + 1
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    assert (last.action, last.actor_id, last.actor_role) == (
        Action.CLIENT_ERASED,
        cast.ada.pk,
        "admin",
    )
    assert (last.client_id, last.target_type, last.target_id) == (
        cast.dana.pk,
        "erasure",
        result.erasure.pk,
    )
    report = verify_chain()
    assert report.ok, report.problem


@override_settings(ERASURE_AUDIT_RETENTION_YEARS=10)
def test_the_tombstone_says_until_when_the_audit_facts_are_held(cast: Any) -> None:
    from django.utils import timezone

    from alliance.records.erasure import client_erase
    from alliance.records.models import Erasure, ErasureRequest

    ErasureRequest.objects.create(client=cast.dana)
    result = client_erase(actor=cast.ada, client=cast.dana)
    erasure = Erasure.objects.get()
    assert erasure == result.erasure
    today = timezone.localdate()
    assert erasure.audit_kept_until == today.replace(year=today.year + 10)
    assert erasure.erased_by_id == cast.ada.pk
    assert erasure.requested_at is not None
    assert not ErasureRequest.objects.exists()


def test_a_year_after_the_29th_of_february() -> None:
    from alliance.records.erasure import years_after

    assert years_after(date(2028, 2, 29), 6) == date(2034, 2, 28)
    assert years_after(date(2026, 11, 26), 6) == date(2032, 11, 26)


def test_a_failure_midway_changes_nothing(cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from alliance.audit.models import AuditChainHead, AuditEvent
    from alliance.records import erasure
    from alliance.records.models import Erasure

    rich_record(cast)
    before = everything_about(cast.dana)
    head = AuditChainHead.objects.get().seq

    def broken(scope: Any) -> None:
        raise RuntimeError("the disk is full")

    # A step late in the erasure: messages, plans and episodes are already gone by then.
    monkeypatch.setattr(erasure, "_erase_safety_plan", broken)
    with pytest.raises(RuntimeError):
        erasure.client_erase(actor=cast.ada, client=cast.dana)
    assert everything_about(cast.dana) == before
    assert not Erasure.objects.exists()
    assert AuditChainHead.objects.get().seq == head
    assert not AuditEvent.objects.filter(action="client_erased").exists()


def test_staff_accounts_are_refused_and_nothing_changes(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.records.erasure import ErasureRefused, client_erase

    for person in (cast.alice, cast.sam, cast.ada):
        with pytest.raises(ErasureRefused, match="Only a client's record"):
            client_erase(actor=cast.ada, client=person)
        assert User.objects.filter(pk=person.pk).exists()


def test_only_the_practice_admin_erases(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.records.erasure import ErasureRefused, client_erase

    for actor in (cast.alice, cast.sam, cast.eve, cast.dana):
        with pytest.raises(ErasureRefused):
            client_erase(actor=actor, client=cast.dana)
    assert User.objects.filter(pk=cast.dana.pk).exists()


def test_an_open_episode_ends_with_the_erasure(cast: Any) -> None:
    from alliance.care.models import Episode

    assert cast.dana_episode.is_open
    erase(cast, cast.dana)
    assert not Episode.objects.filter(pk=cast.dana_episode.pk).exists()
    assert Episode.objects.filter(pk=cast.eve_episode.pk, status="open").exists()


def test_the_clients_sessions_and_sign_in_details_go(cast: Any) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.sessions.models import Session

    from tests.conftest import signed_in

    dana = signed_in(cast.dana)
    eve = signed_in(cast.eve)
    assert dana.get("/me/").status_code == 200
    assert eve.get("/me/").status_code == 200
    EmailAddress.objects.create(user=cast.dana, email="dana@example.test", primary=True)
    sessions = Session.objects.count()
    erase(cast, cast.dana)
    assert Session.objects.count() == sessions - 1
    assert dana.get("/me/").status_code == 302  # signed out
    assert eve.get("/me/").status_code == 200
    assert not EmailAddress.objects.filter(email__iexact="dana@example.test").exists()


def test_invitations_to_the_clients_address_go(cast: Any) -> None:
    from alliance.accounts.models import Invitation
    from alliance.accounts.services import invitation_create
    from alliance.care.services import invitation_accept

    issued = invitation_create(actor=cast.alice, email="fay@example.test", role="client")
    fay = invitation_accept(
        token=issued.token,
        password="a long enough password",
        preferred_name="Fay",
        pronouns="",
        language="en",
    )
    other = invitation_create(actor=cast.alice, email="gus@example.test", role="client")
    erase(cast, fay)
    assert list(Invitation.objects.all()) == [other.invitation]


def test_queued_emails_about_the_record_go(cast: Any) -> None:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from alliance.notifications.tasks import send_alert_notification

    rich = rich_record(cast)
    eve = rich_record(cast, cast.eve_episode)

    def queued(alert_id: int) -> Any:
        return DBTaskResult.objects.create(
            args_kwargs={"args": [alert_id], "kwargs": {}},
            task_path=send_alert_notification.module_path,
            backend_name="default",
            queue_name="default",
            run_after=timezone.now(),
        )

    danas, eves = queued(rich.alert.pk), queued(eve.alert.pk)
    erase(cast, cast.dana)
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [eves.pk]
    assert danas.pk != eves.pk


def test_ids_are_not_given_again(cast: Any) -> None:
    from tests.conftest import make_user

    erased = cast.eve.pk  # the newest client: the one a reused id would be
    erase(cast, cast.eve)
    newcomer = make_user("hal@example.test", "Hal", "client")
    assert newcomer.pk > erased


def test_messages_stay_undeletable_outside_the_erasure(cast: Any) -> None:
    from alliance.messaging.models import Message
    from alliance.messaging.services import message_send

    message = message_send(actor=cast.dana, episode=cast.dana_episode, body="hello", notify=False)
    with pytest.raises(PermissionError):
        Message.objects.filter(pk=message.pk).delete()
    with pytest.raises(PermissionError):
        message.delete()
    assert Message.objects.filter(pk=message.pk).exists()


def test_the_practice_reports_forget_the_figures_that_counted_the_client(cast: Any) -> None:
    """The reports' kept figures count the client's scores among everyone's: they go with
    the erasure, and the next visit works them out from what is left."""
    from alliance.alerts.models import ReportSnapshot, ReportSnapshotRow
    from alliance.alerts.snapshots import PRACTICE_ALL, report_snapshot, snapshots_refresh_due
    from tests.alerts.test_reports import history

    history(cast.dana_episode, cast.dana, cast.alice, "phq-9", [20, 8])
    snapshots_refresh_due()
    assert report_snapshot(PRACTICE_ALL).data["totals"]["phq-9"]["recovered"] == 1
    erase(cast, cast.dana)
    assert not ReportSnapshot.objects.exists() and not ReportSnapshotRow.objects.exists()
    assert report_snapshot(PRACTICE_ALL).data["totals"] == {}
