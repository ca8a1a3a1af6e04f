"""The admin's reach over a client's record: what README, SECURITY.md, the access policy and
the client's own page say, and that the code does exactly that.

The documents must hold the same sentences word for word (line breaks, comment marks and
backticks aside), so that none of them can drift from the others; the client is told the
same thing in plain words, in English and Spanish. Then each clause is checked against the
running app.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from tests.conftest import PASSWORD, forget_used_code, signed_in, totp_now
from tests.records.helpers import ENTRY_PRIVATE, GOAL_NOW, rich_record

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = {
    "README.md": ROOT / "README.md",
    "SECURITY.md": ROOT / "SECURITY.md",
    "care/access.py": ROOT / "src" / "alliance" / "care" / "access.py",
}
ADMIN = (
    "The practice admin cannot open a client's clinical record: they can download it only to "
    "fulfil the client's own pending request for a copy, after re-authenticating with their "
    "authenticator app, and the copy leaves out what the client kept private unless the "
    "client asked for everything."
)
SERVER = (
    "On the server, alliance export-record fulfils the same pending request; its operator "
    "may add --without-request (for a duty outside the app), which the client is shown too."
)
ERASURE = (
    "The practice admin erases a client's record only for the client's own erasure request, "
    "after re-authenticating and typing the person's e-mail address; a request made another "
    "way (in writing, say) is carried out on the server with alliance erase-client."
)
CLIENT = (
    "Nobody at the practice can take a copy of your whole record unless you ask for one here. "
    "When you ask, the practice administrator can download it once, after confirming who they "
    "are with their authenticator app. Unless you choose everything, the copy leaves out what "
    "you kept private. Every copy made for you is listed on this page."
)


def plain(text: str) -> str:
    """Words only: no line breaks, comment marks or backticks."""
    text = re.sub(r"^\s*#\s?", "", text, flags=re.M).replace("`", "")
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_says_the_same(name: str) -> None:
    text = plain(DOCUMENTS[name].read_text(encoding="utf-8"))
    assert ADMIN in text, f"{name} does not say what the admin may do with a record"
    assert SERVER in text, f"{name} does not say what `alliance export-record` does"
    assert ERASURE in text, f"{name} does not say when the admin may erase a record"


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_client_is_told_the_same_in_their_language(cast: Any, language: str) -> None:
    from alliance.accounts.models import User

    User.objects.filter(pk=cast.dana.pk).update(language=language)
    page = signed_in(cast.dana).get(reverse("my_record")).content.decode()
    with translation.override(language):
        told = translation.gettext(CLIENT)
    assert language == "en" or told != CLIENT, "not translated"
    promise = re.search(r'id="copy-promise"><strong>(.*?)</strong>', page, re.S)
    assert promise is not None
    assert " ".join(promise[1].split()) == told


def authenticated_again(user: Any, *, with_app: bool) -> Any:
    client = signed_in(user)
    if with_app:
        code = totp_now()
        forget_used_code(user, code)
        response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    else:
        response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302
    return client


def test_the_code_does_what_they_say(cast: Any, tmp_path: Path) -> None:
    from alliance.records.models import CopyRequest

    rich_record(cast)
    download = reverse("person_record_download", kwargs={"user_id": cast.dana.pk})
    admin = authenticated_again(cast.ada, with_app=True)
    # "cannot open a client's clinical record": no page of the admin's shows it.
    for url in (
        reverse("client_record", kwargs={"client_id": cast.dana.pk}),
        reverse("person_record", kwargs={"user_id": cast.dana.pk}),
    ):
        assert GOAL_NOW not in admin.get(url).content.decode()
    # "only to fulfil the client's own pending request": nothing without one.
    assert admin.post(download).status_code == 403
    dana = signed_in(cast.dana)
    dana.post(reverse("my_record_copy_request"), {"contents": "without_private"})
    # "after re-authenticating with their authenticator app": the password is not enough.
    by_password = authenticated_again(cast.ada, with_app=False).post(download)
    assert by_password.status_code == 302
    assert by_password.url.startswith(reverse("mfa_reauthenticate"))
    # "the copy leaves out what the client kept private unless the client asked for
    # everything", and one copy per request.
    copy = admin.post(download)
    assert copy.status_code == 200
    html = zipfile.ZipFile(io.BytesIO(copy.content)).read("record.html").decode()
    assert GOAL_NOW in html and ENTRY_PRIVATE not in html
    assert admin.post(download).status_code == 403
    dana.post(reverse("my_record_copy_request"), {"contents": "everything"})
    everything = admin.post(download)
    assert (
        ENTRY_PRIVATE
        in zipfile.ZipFile(io.BytesIO(everything.content)).read("record.html").decode()
    )
    # "Every copy made for you is listed on this page".
    listed = dana.get(reverse("my_record")).content.decode()
    assert listed.count("Ada, the practice administrator, downloaded a copy.") == 2
    # The server: the same pending request, or --without-request, shown to the client too.
    target = tmp_path / "record.zip"
    with pytest.raises(CommandError, match="has not asked"):
        call_command("export-record", "dana@example.test", "-o", str(target))
    call_command("export-record", "dana@example.test", "-o", str(target), "--without-request")
    assert CopyRequest.objects.filter(requested_at__isnull=True).count() == 1
    listed = dana.get(reverse("my_record")).content.decode()
    assert "a copy was made on the practice's server." in listed
    assert "You had not asked for it." in listed
