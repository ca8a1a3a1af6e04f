"""The record pages: the client's own (About me → Your record) and the practice admin's."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from tests.conftest import PASSWORD, forget_used_code, signed_in, totp_now
from tests.records.helpers import (
    DANA_SAYS,
    ENTRY_PRIVATE,
    ENTRY_SHARED,
    GOAL_NOW,
    rich_record,
)


def reauthenticated(user: Any) -> Any:
    """Signed in, and the password typed again just now (as the downloads ask)."""
    client = signed_in(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def unzip(response: Any) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_about_me_links_to_the_record_page(cast: Any) -> None:
    page = signed_in(cast.dana).get(reverse("profile"))
    assert reverse("my_record").encode() in page.content
    staff_page = signed_in(cast.alice).get(reverse("profile"))
    assert reverse("my_record").encode() not in staff_page.content


def test_the_client_downloads_their_record_after_typing_the_password_again(cast: Any) -> None:
    from alliance.audit.models import Action, AuditEvent

    rich_record(cast)
    response = reauthenticated(cast.dana).post(reverse("my_record_download"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="alliance-record-\d{4}-\d{2}-\d{2}\.zip"', disposition
    )
    archive = unzip(response)
    bundle = json.loads(archive.read("record.fhir.json"))
    assert bundle["entry"][0]["resource"]["id"] == str(cast.dana.pk)
    html = archive.read("record.html").decode()
    assert GOAL_NOW in html and DANA_SAYS in html
    assert ENTRY_PRIVATE in html  # their own copy holds everything
    # Each questionnaire under the name the client knows, then the published one.
    assert "Mood check-in: Patient Health Questionnaire-9 (PHQ-9)" in html
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id) == (
        Action.RECORD_EXPORTED,
        cast.dana.pk,
        cast.dana.pk,
    )


def test_without_the_password_again_nothing_is_downloaded(cast: Any) -> None:
    from alliance.audit.models import AuditEvent

    response = signed_in(cast.dana).post(reverse("my_record_download"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert not AuditEvent.objects.filter(action="record_exported").exists()


def test_each_client_downloads_only_their_own_record(cast: Any) -> None:
    rich_record(cast)
    response = reauthenticated(cast.eve).post(reverse("my_record_download"))
    text = unzip(response).read("record.fhir.json").decode()
    patient = json.loads(text)["entry"][0]["resource"]
    assert (patient["resourceType"], patient["id"]) == ("Patient", str(cast.eve.pk))
    assert "dana@example.test" not in text
    assert GOAL_NOW not in text


@pytest.mark.parametrize("role", ["alice", "sam", "charlie"])
def test_clinicians_get_no_whole_record(cast: Any, role: str) -> None:
    from alliance.care import access

    clinician = getattr(cast, role)
    assert not access.may_export_own_record(clinician)
    assert not access.may_handle_client_records(clinician)
    client = reauthenticated(clinician)
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    assert client.post(url).status_code == 404
    assert client.post(reverse("my_record_download")).status_code == 404
    assert client.get(reverse("person_record", kwargs={"user_id": cast.dana.pk})).status_code == 404


def with_authenticator(user: Any) -> Any:
    """Signed in, and the code from the authenticator app typed again just now."""
    client = signed_in(user)
    code = totp_now()
    forget_used_code(user, code)
    response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 302, response.content[:500]
    return client


def ask_for_a_copy(client_user: Any, contents: str = "without_private") -> Any:
    dana = signed_in(client_user)
    response = dana.post(reverse("my_record_copy_request"), {"contents": contents})
    assert response.status_code == 302
    return dana


def test_without_a_request_the_admin_gets_no_copy_and_is_told_why(cast: Any) -> None:
    from alliance.audit.models import AuditEvent

    rich_record(cast)
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    page = reverse("person_record", kwargs={"user_id": cast.dana.pk})
    for admin in (signed_in(cast.ada), reauthenticated(cast.ada), with_authenticator(cast.ada)):
        shown = admin.get(page).content.decode()
        assert "has not asked the practice for a copy of their record" in shown
        assert url not in shown  # no download button
        refused = admin.post(url)
        assert refused.status_code == 403
        assert "has not asked the practice for a copy" in refused.content.decode()
        assert "Dana" not in refused.content.decode()
        assert refused["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="record_exported").exists()


def test_a_client_asks_for_a_copy_and_the_admins_are_told_without_a_name(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.records.models import CopyRequest

    with django_capture_on_commit_callbacks(execute=True):
        dana = ask_for_a_copy(cast.dana)
    request = CopyRequest.objects.get()
    assert (request.client, request.everything, request.made_at) == (cast.dana, False, None)
    assert AuditEvent.objects.filter(
        action=Action.COPY_REQUESTED, actor_id=cast.dana.pk, target_id=request.pk
    ).exists()
    (sent,) = mail.outbox
    assert sent.to == ["ada@example.test"]
    assert "copy" in sent.body
    assert "http://testserver" + reverse("practice_records") in sent.body
    assert "Dana" not in sent.subject + sent.body
    assert "dana@example.test" not in sent.subject + sent.body
    page = dana.get(reverse("my_record")).content.decode()
    assert "You asked for everything except what you kept private." in page
    # Asking twice is one request.
    with django_capture_on_commit_callbacks(execute=True):
        dana.post(reverse("my_record_copy_request"), {"contents": "everything"})
    assert CopyRequest.objects.count() == 1 and len(mail.outbox) == 1
    waiting = signed_in(cast.ada).get(reverse("practice_records")).content.decode()
    assert "dana@example.test" in waiting
    assert "everything except what they kept private" in waiting


def test_a_copy_request_needs_a_choice(cast: Any) -> None:
    from alliance.records.models import CopyRequest

    response = signed_in(cast.dana).post(reverse("my_record_copy_request"), {"contents": "all"})
    assert response.status_code == 400
    assert not CopyRequest.objects.exists()


def test_the_password_alone_does_not_let_the_admin_take_a_copy(cast: Any) -> None:
    from alliance.audit.models import AuditEvent

    rich_record(cast)
    ask_for_a_copy(cast.dana)
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    for admin in (signed_in(cast.ada), reauthenticated(cast.ada)):
        response = admin.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("mfa_reauthenticate"))
        assert "next=" in response.url
    assert not AuditEvent.objects.filter(action="record_exported").exists()


def test_the_admin_takes_one_copy_for_the_request_and_the_client_sees_it(cast: Any) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.records.models import CopyRequest

    rich_record(cast)
    ask_for_a_copy(cast.dana)
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    admin = with_authenticator(cast.ada)
    page = admin.get(reverse("person_record", kwargs={"user_id": cast.dana.pk})).content.decode()
    assert "Dana (they/them) asked the practice for a copy of their record" in page
    assert url in page
    response = admin.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    html = unzip(response).read("record.html").decode()
    assert GOAL_NOW in html and ENTRY_SHARED in html
    assert ENTRY_PRIVATE not in html  # the client did not ask for everything
    request = CopyRequest.objects.get()
    assert (request.made_by, request.made_at is not None) == (cast.ada, True)
    event = AuditEvent.objects.get(action=Action.RECORD_EXPORTED)
    assert (event.actor_id, event.client_id, event.target_type, event.target_id) == (
        cast.ada.pk,
        cast.dana.pk,
        "copy_request",
        request.pk,
    )
    # Once: the request is used up.
    assert admin.post(url).status_code == 403
    dana = signed_in(cast.dana)
    log = dana.get(reverse("my_access_log")).content.decode()
    assert "Ada" in log and "downloaded a copy of the whole record" in log
    own = dana.get(reverse("my_record")).content.decode()
    assert "Ada, the practice administrator, downloaded a copy." in own
    assert "It leaves out what you kept private." in own


def test_a_client_who_asked_for_everything_gets_everything(cast: Any) -> None:
    rich_record(cast)
    ask_for_a_copy(cast.dana, "everything")
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    response = with_authenticator(cast.ada).post(url)
    assert ENTRY_PRIVATE in unzip(response).read("record.html").decode()
    own = signed_in(cast.dana).get(reverse("my_record")).content.decode()
    assert "It holds everything, also what you kept private." in own


def test_a_withdrawn_request_lets_nobody_take_a_copy(cast: Any) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.records.models import CopyRequest

    dana = ask_for_a_copy(cast.dana)
    assert dana.post(reverse("my_record_copy_withdraw")).status_code == 302
    assert not CopyRequest.objects.exists()
    assert AuditEvent.objects.filter(action=Action.COPY_REQUEST_WITHDRAWN).count() == 1
    url = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    assert with_authenticator(cast.ada).post(url).status_code == 403
    # Withdrawing again is harmless.
    assert dana.post(reverse("my_record_copy_withdraw")).status_code == 302


def test_the_admin_pages_are_about_clients_only(cast: Any) -> None:
    dana_asks_for_erasure(cast)
    admin = signed_in(cast.ada)
    page = admin.get(reverse("person_record", kwargs={"user_id": cast.dana.pk}))
    assert page.status_code == 200
    assert b"dana@example.test" in page.content
    assert b"still open" in page.content
    for staff in (cast.alice, cast.ada):
        url = reverse("person_record", kwargs={"user_id": staff.pk})
        assert admin.get(url).status_code == 404
    people = admin.get(reverse("practice_people")).content.decode()
    assert reverse("person_record", kwargs={"user_id": cast.dana.pk}) in people
    assert reverse("person_record", kwargs={"user_id": cast.alice.pk}) not in people


def test_a_client_asks_for_erasure_and_the_admins_are_told_without_a_name(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from alliance.audit.models import Action, AuditEvent
    from alliance.records.models import ErasureRequest

    dana = signed_in(cast.dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = dana.post(reverse("my_record_erasure_request"))
    assert response.status_code == 302
    assert ErasureRequest.objects.filter(client=cast.dana).count() == 1
    assert AuditEvent.objects.filter(
        action=Action.ERASURE_REQUESTED, actor_id=cast.dana.pk, client_id=cast.dana.pk
    ).exists()
    (sent,) = mail.outbox
    assert sent.to == ["ada@example.test"]
    assert "Dana" not in sent.subject + sent.body
    assert "dana@example.test" not in sent.subject + sent.body
    assert "http://testserver" + reverse("practice_records") in sent.body
    # Asking twice is one request, one e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        dana.post(reverse("my_record_erasure_request"))
    assert ErasureRequest.objects.count() == 1
    assert len(mail.outbox) == 1
    assert b"You asked on" in dana.get(reverse("my_record")).content
    waiting = signed_in(cast.ada).get(reverse("practice_records"))
    assert b"dana@example.test" in waiting.content


def dana_asks_for_erasure(cast: Any) -> None:
    from alliance.records.services import erasure_request_create

    erasure_request_create(actor=cast.dana)


def test_without_the_clients_request_the_admin_cannot_erase(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.records.models import Erasure

    page = signed_in(cast.ada).get(reverse("person_record", kwargs={"user_id": cast.dana.pk}))
    assert b'id="no-erasure-request"' in page.content
    assert reverse("person_erase", kwargs={"user_id": cast.dana.pk}).encode() not in page.content
    url = reverse("person_erase", kwargs={"user_id": cast.dana.pk})
    response = reauthenticated(cast.ada).post(url, {"email": "dana@example.test"})
    assert response.status_code == 403
    assert b"has not asked the practice to erase" in response.content
    assert User.objects.filter(pk=cast.dana.pk).exists()
    assert not Erasure.objects.exists()
    # Once she asks, the page offers it.
    dana_asks_for_erasure(cast)
    page = signed_in(cast.ada).get(reverse("person_record", kwargs={"user_id": cast.dana.pk}))
    assert b'id="no-erasure-request"' not in page.content
    assert b"asked the practice to erase their record on" in page.content
    assert url.encode() in page.content


def test_a_wrong_confirmation_erases_nothing(cast: Any) -> None:
    from alliance.accounts.models import User

    dana_asks_for_erasure(cast)
    url = reverse("person_erase", kwargs={"user_id": cast.dana.pk})
    response = reauthenticated(cast.ada).post(url, {"email": "eve@example.test"})
    assert response.status_code == 400
    assert b"Nothing was erased" in response.content
    assert User.objects.filter(pk=cast.dana.pk).exists()


def test_the_admin_erases_a_client_after_typing_their_address(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.audit.models import Action, AuditEvent

    rich_record(cast)
    dana_asks_for_erasure(cast)
    dana_id = cast.dana.pk
    admin = reauthenticated(cast.ada)
    url = reverse("person_erase", kwargs={"user_id": dana_id})
    response = admin.post(url, {"email": " Dana@Example.test "})
    assert response.status_code == 302
    assert response.url == reverse("practice_records")
    assert not User.objects.filter(pk=dana_id).exists()
    assert User.objects.filter(pk=cast.eve.pk).exists()
    assert AuditEvent.objects.filter(
        action=Action.CLIENT_ERASED, actor_id=cast.ada.pk, client_id=dana_id
    ).exists()
    page = admin.get(response.url).content.decode()
    assert f"#{dana_id}" in page
    assert "dana@example.test" not in page and "Dana" not in page
    assert admin.get(reverse("person_record", kwargs={"user_id": dana_id})).status_code == 404


def test_an_erasure_without_the_password_again_waits_for_it(cast: Any) -> None:
    from alliance.accounts.models import User

    dana_asks_for_erasure(cast)
    url = reverse("person_erase", kwargs={"user_id": cast.dana.pk})
    response = signed_in(cast.ada).post(url, {"email": "dana@example.test"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert User.objects.filter(pk=cast.dana.pk).exists()


def test_who_has_seen_lists_the_admins_page_and_a_copy_made_on_the_server(
    cast: Any, tmp_path: Any
) -> None:
    from django.core.management import call_command

    signed_in(cast.ada).get(reverse("person_record", kwargs={"user_id": cast.dana.pk}))
    call_command(
        "export-record", "dana@example.test", "--without-request", "-o", str(tmp_path / "c.zip")
    )
    seen = signed_in(cast.dana).get(reverse("my_access_log")).content.decode()
    assert "opened the page of your requests for a copy or erasure" in seen
    assert "The practice</strong> (on its server, not through the website)" in seen
    assert "downloaded a copy of the whole record" in seen
