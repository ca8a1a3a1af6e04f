"""`alliance export-record` and `alliance erase-client`."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from tests.conftest import signed_in
from tests.records.helpers import ENTRY_PRIVATE, GOAL_NOW, rich_record


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def ask_for_a_copy(client: Any, *, everything: bool = False) -> Any:
    from alliance.records.services import copy_request_create

    return copy_request_create(actor=client, everything=everything)


def test_export_record_fulfils_the_clients_request_and_is_audited(
    cast: Any, tmp_path: Path
) -> None:
    from alliance.audit.models import Action, AuditEvent

    rich_record(cast)
    request = ask_for_a_copy(cast.dana)
    target = tmp_path / "record.zip"
    out, err = run("export-record", "DANA@example.test", "-o", str(target))
    assert f"client #{cast.dana.pk}" in out and str(target) in out
    assert "everything but what they kept private" in out
    assert "Reading the record" in err and "Writing" in err  # progress
    archive = zipfile.ZipFile(target)
    html = archive.read("record.html").decode()
    assert GOAL_NOW in html and ENTRY_PRIVATE not in html
    json.loads(archive.read("record.fhir.json"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id, event.target_id) == (
        Action.RECORD_EXPORTED,
        None,
        cast.dana.pk,
        request.pk,
    )
    request.refresh_from_db()
    assert request.made_at is not None and request.made_by is None
    # The request is used up: a second copy needs a second request.
    with pytest.raises(CommandError, match="has not asked the practice for a copy"):
        run("export-record", "dana@example.test", "-o", str(target), "--force")
    page = signed_in(cast.dana).get(reverse("my_record")).content.decode()
    assert "a copy was made on the practice's server." in page
    assert "You had asked for it on" in page


def test_without_a_request_export_record_refuses_unless_told_and_the_client_is_shown(
    cast: Any, tmp_path: Path
) -> None:
    from alliance.records.models import CopyRequest

    rich_record(cast)
    target = tmp_path / "record.zip"
    with pytest.raises(CommandError, match="has not asked the practice for a copy"):
        run("export-record", "dana@example.test", "-o", str(target))
    with pytest.raises(CommandError, match="--everything goes with --without-request"):
        run("export-record", "dana@example.test", "-o", str(target), "--everything")
    assert not target.exists()
    run("export-record", "dana@example.test", "-o", str(target), "--without-request")
    assert ENTRY_PRIVATE not in zipfile.ZipFile(target).read("record.html").decode()
    run(
        "export-record",
        "dana@example.test",
        "-o",
        str(target),
        "--force",
        "--without-request",
        "--everything",
    )
    assert ENTRY_PRIVATE in zipfile.ZipFile(target).read("record.html").decode()
    made = list(CopyRequest.objects.order_by("pk"))
    assert [(c.requested_at, c.everything) for c in made] == [(None, False), (None, True)]
    page = signed_in(cast.dana).get(reverse("my_record")).content.decode()
    assert page.count("You had not asked for it.") == 2


def test_export_record_refuses_an_unknown_address_a_staff_one_and_an_existing_file(
    cast: Any, tmp_path: Path
) -> None:
    ask_for_a_copy(cast.dana)
    target = tmp_path / "record.zip"
    with pytest.raises(CommandError, match="No account has the e-mail address nobody@"):
        run("export-record", "nobody@example.test", "-o", str(target))
    with pytest.raises(CommandError, match="not a client"):
        run("export-record", "alice@example.test", "-o", str(target))
    assert not target.exists()
    target.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        run("export-record", "dana@example.test", "-o", str(target))
    assert target.read_bytes() == b"keep me"
    run("export-record", "dana@example.test", "-o", str(target), "--force")
    assert zipfile.is_zipfile(target)


def test_a_file_that_cannot_be_written_leaves_the_request_waiting(
    cast: Any, tmp_path: Path
) -> None:
    from alliance.audit.models import AuditEvent
    from alliance.records.models import CopyRequest

    ask_for_a_copy(cast.dana)
    target = tmp_path / "no-such-folder" / "record.zip"
    with pytest.raises(FileNotFoundError):
        run("export-record", "dana@example.test", "-o", str(target))
    assert CopyRequest.objects.get().is_pending
    assert not AuditEvent.objects.filter(action="record_exported").exists()


def test_erase_client_with_yes_erases_and_reports(cast: Any) -> None:
    from alliance.accounts.models import User
    from alliance.audit.models import Action, AuditEvent

    rich_record(cast)
    dana_id = cast.dana.pk
    out, err = run("erase-client", "dana@example.test", "--yes")
    assert f"Client #{dana_id} is erased" in out
    assert "messages" in err  # what was removed, by kind
    assert not User.objects.filter(pk=dana_id).exists()
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.actor_id, event.client_id) == (Action.CLIENT_ERASED, None, dana_id)


def test_erase_client_asks_for_the_address_again(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alliance.accounts.models import User

    monkeypatch.setattr("builtins.input", lambda prompt="": "eve@example.test")
    with pytest.raises(CommandError, match="Not confirmed: nothing was erased"):
        run("erase-client", "dana@example.test")
    assert User.objects.filter(pk=cast.dana.pk).exists()
    monkeypatch.setattr("builtins.input", lambda prompt="": "Dana@example.test")
    run("erase-client", "dana@example.test")
    assert not User.objects.filter(pk=cast.dana.pk).exists()


def test_erase_client_refuses_staff_and_unknown_addresses(cast: Any) -> None:
    from alliance.accounts.models import User

    with pytest.raises(CommandError, match="Only a client's record can be erased"):
        run("erase-client", "alice@example.test", "--yes")
    with pytest.raises(CommandError, match="No account has the e-mail address"):
        run("erase-client", "nobody@example.test", "--yes")
    assert User.objects.filter(pk=cast.alice.pk).exists()
