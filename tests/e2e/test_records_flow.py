"""The whole record in a real browser: a client downloads it on a phone; the admin takes a
copy only after the client asks and the authenticator app confirms it is the admin; the
admin erases one."""

from __future__ import annotations

import zipfile
from typing import Any

from alliance.accounts.models import User
from alliance.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, current_code_for
from tests.records.helpers import DANA_SAYS, ENTRY_PRIVATE, GOAL_NOW, rich_record


def confirm_password(visitor: Any) -> None:
    assert "/accounts/reauthenticate/" in visitor.page.url
    visitor.check()
    visitor.page.get_by_label("Password").fill(PASSWORD)


def test_a_client_downloads_their_record_on_a_phone(cast: Any, visit: Any, tmp_path: Any) -> None:
    rich_record(cast)
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.page.get_by_role("navigation").get_by_role("link", name="About me").click()
    dana.check()
    dana.page.get_by_role("link", name="Your record: download a copy").click()
    dana.check()
    assert dana.page.get_by_role("heading", level=1).inner_text() == "Your record"
    dana.screenshot("record-client-phone")
    dana.page.get_by_role("button", name="Download my record").click()
    dana.page.wait_for_load_state("load")
    confirm_password(dana)
    with dana.page.expect_download() as download_info:
        dana.page.get_by_role("button", name="Confirm").click()
    download = download_info.value
    assert download.suggested_filename.startswith("alliance-record-")
    assert "Dana" not in download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    archive = zipfile.ZipFile(saved)
    html = archive.read("record.html").decode()
    assert GOAL_NOW in html and DANA_SAYS in html
    assert AuditEvent.objects.filter(action="record_exported", actor_id=cast.dana.pk).exists()


def test_the_admin_erases_a_client_at_their_request(cast: Any, visit: Any) -> None:
    rich_record(cast)
    dana_id = cast.dana.pk
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto("/me/record/")
    dana.page.get_by_role("button", name="Ask the practice to erase my record").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert "You asked on" in dana.page.content()

    ada = visit()
    ada.login("ada@example.test", PASSWORD)
    ada.goto("/practice/")
    ada.page.get_by_role("link", name="Requests from clients").click()
    ada.check()
    ada.page.get_by_role("link", name="Dana").click()
    ada.check()
    assert "still open" in ada.page.content()
    ada.screenshot("record-admin-erase")
    ada.page.get_by_label("Type this person's e-mail address to confirm").fill("dana@example.test")
    ada.page.get_by_role("button", name="Erase everything about this person").click()
    ada.page.wait_for_load_state("load")
    confirm_password(ada)
    ada.page.get_by_role("button", name="Confirm").click()
    ada.page.wait_for_load_state("load")
    ada.check()
    assert ada.page.url.endswith("/practice/records/")
    assert f"#{dana_id}" in ada.page.content()
    assert "dana@example.test" not in ada.page.content()
    assert not User.objects.filter(pk=dana_id).exists()
    assert User.objects.filter(pk=cast.eve.pk).exists()
    # Dana's browser is signed out: her sessions went with her account.
    dana.page.reload()
    dana.page.wait_for_load_state("load")
    assert "/accounts/login/" in dana.page.url


def test_the_admin_takes_a_copy_only_when_asked_and_after_the_app(
    cast: Any, visit: Any, tmp_path: Any
) -> None:
    rich_record(cast)
    dana = visit(PHONE)
    dana.login("dana@example.test", PASSWORD)
    dana.goto("/me/record/")
    assert dana.page.get_by_label("Everything except what I kept private").is_checked()
    dana.page.get_by_role("button", name="Ask the practice for a copy").click()
    dana.page.wait_for_load_state("load")
    dana.check()
    assert "You asked for everything except what you kept private." in dana.page.content()

    ada = visit()
    ada.login("ada@example.test", PASSWORD)
    ada.goto("/practice/records/")
    ada.page.get_by_role("link", name="Dana").first.click()
    ada.check()
    ada.screenshot("record-admin-copy-request")
    ada.page.get_by_role("button", name="Download the copy for them").click()
    ada.page.wait_for_url("**/reauthenticate/**")
    ada.check()
    ada.page.locator("input[name=code]").fill(current_code_for("ada@example.test"))
    ada.page.locator("form:has(input[name=code]) button[type=submit]").click()
    ada.page.wait_for_url(f"**/practice/people/{cast.dana.pk}/record/")
    ada.check()
    with ada.page.expect_download() as download_info:
        ada.page.get_by_role("button", name="Download the copy for them").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    html = zipfile.ZipFile(saved).read("record.html").decode()
    assert GOAL_NOW in html and ENTRY_PRIVATE not in html

    dana.goto("/me/record/")
    dana.check()
    assert "Ada, the practice administrator, downloaded a copy." in dana.page.content()
