"""The practice's registry of EHRs (``alliance ehr``) and the links of people to them."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import Cast


def run(*args: str) -> str:
    out = StringIO()
    call_command("ehr", *args, stdout=out)
    return out.getvalue()


def test_register_link_list_and_remove(cast: Cast) -> None:
    from alliance.ehr.models import Ehr, ExternalIdentifier

    run(
        "add",
        "epic",
        "--iss",
        "https://ehr.example.org/fhir/",
        "--client-id",
        "abc",
        "--client-secret-env",
        "EPIC_SECRET",
    )
    assert Ehr.objects.get().iss == "https://ehr.example.org/fhir"
    run("link-client", "dana@example.test", "--ehr", "epic", "--patient-id", "p1")
    run("link-clinician", "alice@example.test", "--ehr", "epic", "--fhir-user", "Practitioner/9")
    listing = run("list")
    assert "epic: https://ehr.example.org/fhir (client id abc, secret in $EPIC_SECRET)" in listing
    assert "patient p1 -> dana@example.test" in listing
    assert "clinician Practitioner/9 -> alice@example.test" in listing
    run("remove", "epic")
    assert not Ehr.objects.exists()
    assert not ExternalIdentifier.objects.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("add", "x", "--iss", "http://ehr.example.org/fhir", "--client-id", "a"),
        ("add", "x", "--iss", "ftp://ehr.example.org", "--client-id", "a"),
        ("link-client", "alice@example.test", "--ehr", "epic", "--patient-id", "p1"),
        ("link-clinician", "dana@example.test", "--ehr", "epic", "--fhir-user", "Practitioner/1"),
        ("link-clinician", "ada@example.test", "--ehr", "epic", "--fhir-user", "Practitioner/1"),
        ("link-client", "eve@example.test", "--ehr", "epic", "--patient-id", "taken"),
        ("link-client", "eve@example.test", "--ehr", "nope", "--patient-id", "p2"),
        ("unlink", "999"),
    ],
)
def test_refusals(cast: Cast, args: Any) -> None:
    run("add", "epic", "--iss", "https://ehr.example.org/fhir", "--client-id", "abc")
    run("link-client", "dana@example.test", "--ehr", "epic", "--patient-id", "taken")
    with pytest.raises(CommandError):
        run(*args)


def test_no_secret_is_stored(cast: Cast) -> None:
    from alliance.ehr.models import Ehr

    field_names = {f.name for f in Ehr._meta.get_fields()}
    assert not any("secret" in name and name != "client_secret_env" for name in field_names)


def test_erasure_takes_the_clients_links(cast: Cast) -> None:
    from alliance.ehr.models import ExternalIdentifier
    from alliance.records.erasure import client_erase
    from tests.records.helpers import rows_about

    run("add", "epic", "--iss", "https://ehr.example.org/fhir", "--client-id", "abc")
    run("link-client", "dana@example.test", "--ehr", "epic", "--patient-id", "p1")
    run("link-clinician", "alice@example.test", "--ehr", "epic", "--fhir-user", "Practitioner/9")
    dana_pk, episode_pk = cast.dana.pk, cast.dana_episode.pk
    client_erase(actor=cast.ada, client=cast.dana)
    assert not ExternalIdentifier.objects.filter(person_id=dana_pk).exists()
    assert ExternalIdentifier.objects.filter(person=cast.alice).exists()
    assert not [k for k in rows_about(dana_pk, {episode_pk}) if k.startswith("ehr.")]
